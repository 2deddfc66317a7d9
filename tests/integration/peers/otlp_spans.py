"""Prints the spans a test receiver stored, one JSON object per line, from
protobuf bodies (decoded by the protobuf library, with classes protoc
generated from proto/otlp.proto into PYDIR) or OTLP/JSON bodies.
Usage: otlp_spans.py DIR PYDIR"""
import base64
import glob
import json
import os
import sys

directory, pydir = sys.argv[1], sys.argv[2]
sys.path.insert(0, pydir)


def attrs(kvs):
    out = {}
    for kv in kvs:
        v = kv["value"]
        out[kv["key"]] = v.get("stringValue", v.get("intValue"))
    return out


def from_json(doc, ids_in_hex):
    for rs in doc.get("resourceSpans", []):
        resource = attrs(rs["resource"]["attributes"])
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                conv = (lambda x: x) if ids_in_hex else (lambda x: base64.b64decode(x).hex())
                yield {
                    "resource": resource,
                    "scope": ss["scope"]["name"],
                    "trace_id": conv(s["traceId"]),
                    "span_id": conv(s["spanId"]),
                    "parent": conv(s["parentSpanId"]) if s.get("parentSpanId") else "",
                    "name": s["name"],
                    "kind": s["kind"],
                    "attributes": attrs(s.get("attributes", [])),
                    "status": s.get("status", {}).get("code", 0),
                    "start": int(s["startTimeUnixNano"]),
                    "end": int(s["endTimeUnixNano"]),
                }


for path in sorted(glob.glob(os.path.join(directory, "*.bin")) + glob.glob(os.path.join(directory, "*.json"))):
    with open(path, "rb") as f:
        body = f.read()
    if path.endswith(".json"):
        spans = from_json(json.loads(body), True)
    else:
        import otlp_pb2
        from google.protobuf import json_format

        req = otlp_pb2.ExportTraceServiceRequest()
        req.ParseFromString(body)
        doc = json_format.MessageToDict(req, use_integers_for_enums=True)
        spans = from_json(doc, False)
    for span in spans:
        print(json.dumps(span, sort_keys=True))
