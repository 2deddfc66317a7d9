#!/bin/bash
# Spans of the protocols parsed in user space, over OTLP/protobuf: gRPC
# SERVER spans named for the RPC with its status, joined to a traceparent
# sent as metadata, INTERNAL an error; Redis spans on both sides named for
# the command, an error reply an error for the caller and not the
# server's fault.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd protoc redis-server redis-cli /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf, grpc' 2>/dev/null ||
	fail "python3-protobuf or python3-grpcio is not installed (make deps installs them)"

protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/otlp.proto" || fail "protoc --python_out failed"
GRPC_PORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/grpc_greeter.py" serve "$GRPC_PORT" >"$TMP/greeter.log" 2>&1 &
GREETER=$!
CHILDREN+=($GREETER)
wait_listen "$GRPC_PORT" 20 || fail "the gRPC server did not start: $(cat "$TMP/greeter.log")"
REDIS_PORT=$(free_port)
start_redis "$REDIS_PORT"
RPORT=$(free_port)
mkdir -p "$TMP/otlp"
/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" "$TMP/otlp" &
CHILDREN+=($!)
wait_listen "$RPORT" 10 || fail "the OTLP receiver did not start"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "pid:$GREETER=greeter" --target "pid:$REDIS_PID=cache" --target exe:redis-cli=cli

TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
	/usr/bin/python3 "$ROOT/tests/integration/peers/grpc_greeter.py" call "$GRPC_PORT" 2 1 ||
	fail "the gRPC client failed"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" set word abc >/dev/null
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" get word >/dev/null
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" incr word >/dev/null

spans() { /usr/bin/python3 "$ROOT/tests/integration/peers/otlp_spans.py" "$TMP/otlp" "$TMP"; }
# 3 gRPC server spans, 3 Redis server spans, and 3 client spans released
# as roots after the hold time.
for ((i = 0; i < 150; i++)); do
	[ "$(spans | wc -l)" -ge 9 ] && break
	sleep 0.1
done
spans >"$TMP/spans.jsonl"
protoc_decode_all "$TMP/otlp"

/usr/bin/python3 - "$TMP/spans.jsonl" "$GRPC_PORT" <<'PY' || fail "the gRPC spans are not as expected"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
grpc = [s for s in spans if s["resource"]["service.name"] == "greeter"]
assert len(grpc) == 3, "expected 3 spans of greeter, got %d" % len(grpc)
for s in grpc:
    a = s["attributes"]
    assert s["name"] == "helloworld.Greeter/SayHello" and s["kind"] == 2, s
    assert a["rpc.system"] == "grpc" and a["rpc.service"] == "helloworld.Greeter" and a["rpc.method"] == "SayHello", a
    assert a["server.port"] == sys.argv[2] and "http.route" not in a and "url.path" not in a, a
codes = sorted(s["attributes"]["rpc.grpc.status_code"] for s in grpc)
assert codes == ["0", "0", "13"], codes
for s in grpc:
    assert s["status"] == (2 if s["attributes"]["rpc.grpc.status_code"] == "13" else 0), s
joined = [s for s in grpc if s["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"]
assert len(joined) == 1 and joined[0]["parent"] == "00f067aa0ba902b7", joined
PY
pass "3 gRPC SERVER spans: named for the RPC, status codes 0 0 13, INTERNAL an error, one joined to its traceparent"

/usr/bin/python3 - "$TMP/spans.jsonl" "$REDIS_PORT" <<'PY' || fail "the Redis spans are not as expected"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
for service, kind in (("cache", 2), ("cli", 3)):
    mine = {s["name"]: s for s in spans if s["resource"]["service.name"] == service and s["name"] in ("SET", "GET", "INCR")}
    assert set(mine) == {"SET", "GET", "INCR"}, (service, sorted(mine))
    for name, s in mine.items():
        a = s["attributes"]
        assert s["kind"] == kind and a["db.system.name"] == "redis" and a["db.operation.name"] == name, s
        assert "http.request.method" not in a, a
    # WRONGTYPE is the caller's error, not the server's fault.
    assert [n for n, s in mine.items() if s["status"] == 2] == (["INCR"] if kind == 3 else []), mine
    if kind == 3:
        assert mine["GET"]["attributes"]["server.port"] == sys.argv[2], mine["GET"]
PY
pass "Redis SERVER and CLIENT spans named for the command, the error reply an error for the client only"
scrape
expect_metric 'sonde_events_lost_total' 0
stop_sonde
