#!/bin/bash
# OTLP metrics to a loopback receiver: nginx over HTTP and HTTPS, counted
# in http.server.request.duration as in the Prometheus family and in
# nginx's access log, with the semantic conventions' attributes; bodies
# protoc --decode reads; OTLP/JSON with delta temporality adding up to
# what was sent; a receiver that refuses, counted in sonde_* metrics.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl protoc /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/otlp.proto" || fail "protoc --python_out failed"
PORT=$(free_port) TPORT=$(free_port)
NGINX_ACCESS_LOG=$TMP/access.log start_nginx "$PORT" "$TPORT"

receiver() { # directory [statuses...]
	local dir=$1
	shift
	RPORT=$(free_port)
	mkdir -p "$dir"
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" "$dir" "$@" &
	CHILDREN+=($!)
	wait_listen "$RPORT" 10 || fail "the OTLP receiver did not start"
}
points() { /usr/bin/python3 "$ROOT/tests/integration/peers/otlp_metrics.py" "$1" "$TMP"; }

drive() { # plain GET / count
	local i
	for ((i = 0; i < $1; i++)); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
}

# http/protobuf, cumulative: the defaults.
receiver "$TMP/pb"
OTEL_METRICS_EXPORTER=otlp OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://127.0.0.1:$RPORT/v1/metrics \
	OTEL_METRIC_EXPORT_INTERVAL=300 start_sonde --target "port:$PORT=web"
drive 20
for i in 1 2 3 4 5; do curl -sk -o /dev/null "https://127.0.0.1:$TPORT/api/users/$i"; done
for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$PORT/unavailable"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 20
# An export after the last request, then the newest body holds them all.
sleep 1
scrape
ls "$TMP"/pb/metrics-*.bin >/dev/null 2>&1 || fail "the receiver got no metrics"
for body in "$TMP"/pb/metrics-*.bin; do
	protoc --decode=sonde.otlp.ExportMetricsServiceRequest --proto_path="$ROOT/proto" "$ROOT/proto/otlp.proto" \
		<"$body" >"$body.txt" || fail "protoc --decode rejected $body"
done
grep -q 'name: "http.server.request.duration"' "$TMP"/pb/metrics-*.txt || fail "no http.server.request.duration"
pass "protoc --decode reads every metrics body, http.server.request.duration in them"
grep -qi '^content-type: application/x-protobuf' "$(ls "$TMP"/pb/metrics-*.headers | tail -1)" ||
	fail "wrong content type"
points "$TMP/pb" >"$TMP/pb.jsonl"
/usr/bin/python3 - "$TMP/pb.jsonl" "$TMP/metrics" "$TMP/access.log" <<'PY' || fail "OTLP counts differ"
import collections, json, re, sys
points = [json.loads(l) for l in open(sys.argv[1])]
last = max(p["body"] for p in points)
otlp = collections.Counter()
for p in points:
    if p["body"] != last or p["metric"] != "http.server.request.duration":
        continue
    assert p["resource"]["service.name"] == "web" and p["resource"]["telemetry.sdk.name"] == "sonde", p
    assert p["temporality"] == 2 and p["unit"] == "s" and p["start"] <= p["time"], p
    assert sum(p["buckets"]) == p["count"], p
    a = p["attributes"]
    assert a["network.protocol.version"] == "1.1", a
    assert a["url.scheme"] == ("https" if a["http.route"] == "/api/users/{id}" else "http"), a
    otlp[(a["http.request.method"], a["http.route"], str(a["http.response.status_code"]))] += p["count"]
prom = collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r'microservice_request_duration_seconds_count\{service="web",protocol="http",'
                 r'method="([^"]+)",endpoint="([^"]+)",status="([^"]+)"\} (\d+)', line)
    if m:
        prom[m.group(1, 2, 3)] += int(m.group(4))
logged = collections.Counter()
route = {"/": "/", "/unavailable": "/unavailable"}
for line in open(sys.argv[3]):
    method, uri, status = line.split()
    logged[(method, route.get(uri, "/api/users/{id}"), status)] += 1
want = {("GET", "/", "200"): 20, ("GET", "/api/users/{id}", "201"): 5, ("GET", "/unavailable", "503"): 3}
assert dict(logged) == want, logged
assert dict(prom) == want, prom
assert dict(otlp) == want, otlp
PY
pass "http.server.request.duration: 20, 5 over https, 3 of 503, as the Prometheus family and nginx's log"
wait_metric 'sonde_metric_exports_total{result="failed"}' 0
[ "$(metric 'sonde_metric_exports_total{result="ok"}')" -ge 1 ] || fail "no successful export counted"
pass "successful exports counted, none failed"
stop_sonde

# http/json, delta: every window's points add up to what was sent, the
# last one exported at stop.
receiver "$TMP/json"
OTEL_METRICS_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
	OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta OTEL_METRIC_EXPORT_INTERVAL=300 \
	start_sonde --target "port:$PORT=web"
drive 6
sleep 1
drive 4
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 10
stop_sonde
points "$TMP/json" >"$TMP/json.jsonl"
/usr/bin/python3 - "$TMP/json.jsonl" <<'PY' || fail "delta points do not add up"
import json, sys
points = [json.loads(l) for l in open(sys.argv[1]) if '"http.server.request.duration"' in l]
root = [p for p in points if p["attributes"]["http.route"] == "/"]
assert sum(p["count"] for p in root) == 10, [p["count"] for p in root]
assert len({p["body"] for p in root}) >= 2, "expected the requests in more than one window"
assert all(p["temporality"] == 1 for p in points)
windows = sorted((p["start"], p["time"]) for p in root)
for (s1, t1), (s2, t2) in zip(windows, windows[1:]):
    assert t1 <= s2, "delta windows overlap"
PY
pass "OTLP/JSON, delta: 10 requests in $(grep -c '"http.route"' "$TMP/json.jsonl") windows adding up to 10"

# A receiver that refuses: failed exports and, with delta, the points lost
# with them, counted; the event path goes on.
receiver "$TMP/refused" 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400 400
OTEL_METRICS_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT \
	OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta OTEL_METRIC_EXPORT_INTERVAL=200 \
	start_sonde --target "port:$PORT=web"
drive 3
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 3
wait_log 'warn otlp: metrics export failed: http://127.0.0.1:[0-9]+/.* 400' 10
scrape
[ "$(metric 'sonde_metric_exports_total{result="failed"}')" -ge 1 ] || fail "no failed export counted"
[ "$(metric 'sonde_metric_points_total{result="dropped"}')" -ge 1 ] || fail "no dropped point counted"
pass "a refusing receiver: failed exports and dropped points counted"
stop_sonde
