#!/bin/bash
# Spans over OTLP/HTTP to a loopback receiver: nginx requests joined to the
# caller's traceparent, fresh roots otherwise, 5xx as errors, no query
# string anywhere; over protobuf (checked by protoc --decode and decoded by
# the protobuf library) and over JSON; CLIENT spans of a Python server as
# children of the SERVER span whose handler made them.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl protoc /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/otlp.proto" || fail "protoc --python_out failed"
PORT=$(free_port)
start_nginx "$PORT"
BASE=http://127.0.0.1:$PORT
TP=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01

receiver() { # directory
	RPORT=$(free_port)
	mkdir -p "$1"
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" "$1" &
	CHILDREN+=($!)
	wait_listen "$RPORT" 10 || fail "the OTLP receiver did not start"
}

spans() { /usr/bin/python3 "$ROOT/tests/integration/peers/otlp_spans.py" "$1" "$TMP"; }

wait_spans() { # directory, count
	local i
	for ((i = 0; i < 150; i++)); do
		[ "$(spans "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "the receiver got $(spans "$1" | wc -l) spans, expected $2"
}

check_nginx_spans() { # directory
	spans "$1" >"$1/spans.jsonl"
	/usr/bin/python3 - "$1/spans.jsonl" "$PORT" <<'PY' || fail "the nginx spans are not as expected"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
web = [s for s in spans if s["resource"]["service.name"] == "web"]
assert len(web) == 3, "expected 3 spans of web, got %d" % len(web)
by_name = {s["name"]: s for s in web}
assert set(by_name) == {"GET /api/users/{id}", "GET /", "GET /unavailable"}, by_name.keys()
joined = by_name["GET /api/users/{id}"]
assert joined["trace_id"] == "0af7651916cd43dd8448eb211c80319c", joined["trace_id"]
assert joined["parent"] == "b7ad6b7169203331", joined["parent"]
assert joined["kind"] == 2, joined["kind"]
a = joined["attributes"]
assert a["http.request.method"] == "GET" and a["http.route"] == "/api/users/{id}", a
assert a["url.path"] == "/api/users/42" and a["http.response.status_code"] == "201", a
assert a["server.address"] == "127.0.0.1" and a["server.port"] == sys.argv[2], a
assert a["client.address"] == "127.0.0.1" and a["network.peer.address"] == "127.0.0.1", a
assert joined["status"] == 0 and joined["end"] > joined["start"] > 1.7e18, joined
for name in ("GET /", "GET /unavailable"):
    s = by_name[name]
    assert s["parent"] == "" and s["trace_id"] != joined["trace_id"], s
    assert s["status"] == (2 if name == "GET /unavailable" else 0), s
assert by_name["GET /"]["trace_id"] != by_name["GET /unavailable"]["trace_id"]
r = joined["resource"]
assert r["telemetry.sdk.name"] == "sonde" and int(r["process.pid"]) > 0 and r["host.name"], r
assert joined["scope"] == "sonde"
PY
	grep -rq secret "$1" && fail "the query string reached the receiver"
	pass "3 nginx spans: joined to traceparent, fresh roots, the 503 an error, no query string"
}

drive_nginx() {
	curl -s -o /dev/null -H "traceparent: $TP" "$BASE/api/users/42?secret=abc"
	curl -s -o /dev/null "$BASE/"
	curl -s -o /dev/null "$BASE/unavailable"
}

# http/protobuf, the default.
receiver "$TMP/pb"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT OTEL_BSP_SCHEDULE_DELAY=100 \
	OTEL_EXPORTER_OTLP_HEADERS="x-tenant=team%20a,authorization=Bearer abc" start_sonde --target exe:nginx=web
drive_nginx
wait_spans "$TMP/pb" 3
for body in "$TMP"/pb/*.bin; do
	protoc --decode=sonde.otlp.ExportTraceServiceRequest --proto_path="$ROOT/proto" "$ROOT/proto/otlp.proto" \
		<"$body" >"$body.txt" || fail "protoc --decode rejected $body"
done
pass "protoc --decode reads every request body"
grep -q 'key: "http.route"' "$TMP"/pb/*.txt || fail "protoc's decoding has no http.route"
grep -qi '^x-tenant: team a' "$TMP"/pb/0001.headers || fail "OTEL_EXPORTER_OTLP_HEADERS were not sent"
grep -qi '^content-type: application/x-protobuf' "$TMP"/pb/0001.headers || fail "wrong content type"
pass "headers from OTEL_EXPORTER_OTLP_HEADERS and the protobuf content type"
check_nginx_spans "$TMP/pb"
scrape
expect_metric 'sonde_spans_exported_total' 3
stop_sonde

# http/json.
receiver "$TMP/json"
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
	OTEL_BSP_SCHEDULE_DELAY=100 start_sonde --target exe:nginx=web
drive_nginx
wait_spans "$TMP/json" 3
check_nginx_spans "$TMP/json"
stop_sonde

# A Python server that calls nginx from its handler: each CLIENT span is the
# child of the SERVER span of the request that made it.
receiver "$TMP/calls"
CALLER=$(free_port)
UPSTREAM_PORT=$PORT /usr/bin/python3 "$ROOT/tests/integration/peers/framing_server.py" "$CALLER" >"$TMP/caller.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$CALLER" 10 || fail "the calling server did not start"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target exe:nginx=web --target "port:$CALLER=caller"
for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$CALLER/call/$i"; done
# A call to a port where nothing listens: a CLIENT span in error, "connect".
curl -s -o /dev/null "http://127.0.0.1:$CALLER/dead/1"
wait_spans "$TMP/calls" 11
spans "$TMP/calls" >"$TMP/calls.jsonl"
/usr/bin/python3 - "$TMP/calls.jsonl" <<'PY' || fail "client spans are not children of their server spans"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
servers = {s["span_id"]: s for s in spans if s["resource"]["service.name"] == "caller" and s["kind"] == 2}
clients = [s for s in spans if s["resource"]["service.name"] == "caller" and s["kind"] == 3 and s["name"] == "GET"]
failed = [s for s in spans if s["resource"]["service.name"] == "caller" and s["kind"] == 3 and s["name"] == "connect"]
assert len(servers) == 4 and len(clients) == 3 and len(failed) == 1, (len(servers), len(clients), len(failed))
f = failed[0]
assert f["status"] == 2 and f["attributes"]["error.type"] == "refused", f
assert servers[f["parent"]]["status"] == 2, "the failed call's server span is an error too"
for c in clients:
    parent = servers[c["parent"]]
    assert c["trace_id"] == parent["trace_id"], c
    assert parent["start"] <= c["start"] and c["end"] <= parent["end"], (parent, c)
    assert c["name"] == "GET" and c["attributes"]["http.response.status_code"] == "201", c
assert len({s["trace_id"] for s in servers.values()}) == 4
PY
pass "3 CLIENT spans, each the child of the SERVER span that made it, and a refused connect as an error"
stop_sonde
