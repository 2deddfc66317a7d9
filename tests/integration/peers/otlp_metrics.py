"""Prints every histogram data point of the OTLP metrics bodies a test
receiver stored (metrics-*.bin, decoded with the module protoc generated
in the directory given second, or metrics-*.json), one JSON line each:
the body's number, metric, resource and point attributes, temporality,
count, start and time."""
import glob
import json
import os
import sys

directory, generated = sys.argv[1], sys.argv[2]
sys.path.insert(0, generated)


def value(v):
    if "stringValue" in v:
        return v["stringValue"]
    return int(v["intValue"])


def attrs(kvs):
    return {kv["key"]: value(kv["value"]) for kv in kvs}


def bodies():
    for path in sorted(glob.glob(os.path.join(directory, "metrics-*.*"))):
        number = int(os.path.basename(path).split("-")[1].split(".")[0])
        if path.endswith(".bin"):
            import otlp_pb2
            from google.protobuf import json_format

            req = otlp_pb2.ExportMetricsServiceRequest()
            req.ParseFromString(open(path, "rb").read())
            yield number, json_format.MessageToDict(req)
        elif path.endswith(".json"):
            yield number, json.load(open(path))


for number, body in bodies():
    for rm in body.get("resourceMetrics", []):
        resource = attrs(rm["resource"].get("attributes", []))
        for sm in rm.get("scopeMetrics", []):
            for m in sm.get("metrics", []):
                h = m["histogram"]
                temporality = h.get("aggregationTemporality")
                if isinstance(temporality, str):
                    temporality = {"AGGREGATION_TEMPORALITY_DELTA": 1,
                                   "AGGREGATION_TEMPORALITY_CUMULATIVE": 2}[temporality]
                for p in h.get("dataPoints", []):
                    print(json.dumps({
                        "body": number, "metric": m["name"], "unit": m.get("unit"),
                        "resource": resource, "attributes": attrs(p.get("attributes", [])),
                        "temporality": temporality, "count": int(p.get("count", 0)),
                        "start": int(p["startTimeUnixNano"]), "time": int(p["timeUnixNano"]),
                        "buckets": [int(b) for b in p.get("bucketCounts", [])]}))
