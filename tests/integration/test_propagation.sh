#!/bin/bash
# Trace context carried across services without code: service A, an
# unmodified Python http.server that calls B with urllib, gets
# `propagation: {inject: true}`; a traced request into A reaches B with a
# traceparent sonde wrote (B's own log shows it), and the spans chain in
# the caller's trace: B's SERVER span is the child of A's CLIENT span,
# itself the child of A's SERVER span (decoded with protoc and the
# protobuf library). An untraced request gets one trace across both. With
# inject: false, B sees no header and its span starts a trace of its own.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl protoc /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

BPORT=$(free_port)
APORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/header_logger.py" "$BPORT" "$TMP/b.log" &
CHILDREN+=($!)
/usr/bin/python3 "$ROOT/tests/integration/peers/graph_frontend.py" "$APORT" "http://127.0.0.1:$BPORT" &
CHILDREN+=($!)
wait_listen "$BPORT" 10 && wait_listen "$APORT" 10 || fail "the Python services did not start"
# A client that serves nothing, for the outcomes other than injected.
/usr/bin/python3 "$ROOT/tests/integration/peers/traced_client.py" "$BPORT" "$TMP/go" \
	"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" >"$TMP/client.out" &
CLIENT=$!
CHILDREN+=($CLIENT)
T0=0af7651916cd43dd8448eb211c80319c
P0=b7ad6b7169203331

run() { # inject: true|false
	cat >"$TMP/sonde.yaml" <<YAML
services:
  - name: front
    match: {port: $APORT}
    propagation: {inject: $1}
  - name: back
    match: {port: $BPORT}
YAML
	[ "$1" = true ] && printf '  - name: cli\n    match: {pid: %s}\n    propagation: {inject: true}\n' "$CLIENT" \
		>>"$TMP/sonde.yaml"
	rm -rf "$TMP/spans"
	start_otlp_receiver
	: >"$TMP/b.log"
	OTEL_BSP_SCHEDULE_DELAY=100 start_sonde --config "$TMP/sonde.yaml" --otlp-endpoint "http://127.0.0.1:$RPORT"
	curl -sf -o /dev/null -H "traceparent: 00-$T0-$P0-01" "http://127.0.0.1:$APORT/1" || fail "the traced request failed"
	curl -sf -o /dev/null "http://127.0.0.1:$APORT/2" || fail "the untraced request failed"
	for i in $(seq 100); do
		decode_spans
		[ "$(wc -l <"$TMP/spans.jsonl")" -ge 6 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$TMP/spans.jsonl")" = 6 ] || fail "expected 6 spans, got $(wc -l <"$TMP/spans.jsonl")"
	protoc_decode_all "$TMP/spans"
}

run true
[ "$(wc -l <"$TMP/b.log")" = 2 ] || fail "B logged: $(cat "$TMP/b.log")"
grep -qE "^/ 00-$T0-[0-9a-f]{16}-01\$" "$TMP/b.log" || fail "B's log has no traceparent in the caller's trace: $(cat "$TMP/b.log")"
pass "B's access log shows the traceparent sonde wrote, in the caller's trace"
/usr/bin/python3 - "$TMP/spans.jsonl" "$TMP/b.log" "$T0" "$P0" <<'PY' || fail "the spans do not chain across the services"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
headers = [l.split()[1] for l in open(sys.argv[2])]
t0, p0 = sys.argv[3], sys.argv[4]
def one(service, kind, trace):
    found = [s for s in spans if s["resource"]["service.name"] == service and s["kind"] == kind and s["trace_id"] == trace]
    assert len(found) == 1, (service, kind, trace, spans)
    return found[0]
for header in headers:
    trace, sent_span = header.split("-")[1:3]
    a_server = one("front", 2, trace)
    a_client = one("front", 3, trace)
    b_server = one("back", 2, trace)
    assert a_server["parent"] == (p0 if trace == t0 else ""), a_server
    assert a_client["span_id"] == sent_span and a_client["parent"] == a_server["span_id"], (a_client, a_server)
    assert b_server["parent"] == sent_span, b_server
assert {h.split("-")[1] for h in headers} == {t0, [h.split("-")[1] for h in headers if h.split("-")[1] != t0][0]}
PY
pass "traced: A's SERVER span (child of the caller) → A's CLIENT span → B's SERVER span, one trace"
pass "untraced: the same chain in one trace sonde started"
# A request with its own traceparent keeps it; one sent while nothing is
# served, and one whose request line is split, go as they are.
touch "$TMP/go"
wait "$CLIENT" || fail "the client failed"
[ "$(grep -c '^HTTP/1.0 200' "$TMP/client.out")" = 3 ] || fail "the client got: $(cat "$TMP/client.out")"
[ "$(tail -n 3 "$TMP/b.log")" = $'/own 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n/bare -\n/split-across-two-sends -' ] ||
	fail "B logged: $(cat "$TMP/b.log")"
pass "a request's own traceparent is kept; no header goes where none belongs"
scrape
expect_metric 'sonde_propagation_total{outcome="injected"}' 2
expect_metric 'sonde_propagation_total{outcome="present"}' 1
expect_metric 'sonde_propagation_total{outcome="not_serving"}' 1
expect_metric 'sonde_propagation_total{outcome="partial"}' 1
expect_metric 'sonde_propagation_total{outcome="failed"}' 0
expect_metric 'microservice_requests_total{service="back",protocol="http",method="GET",endpoint="/",status="200"}' 2
expect_metric 'microservice_client_requests_total{service="cli",protocol="http",method="GET",peer="127.0.0.1:'"$BPORT"'",status="200"}' 3
promtool_check
stop_sonde

run false
[ "$(cat "$TMP/b.log")" = $'/ -\n/ -' ] || fail "with inject: false, B saw: $(cat "$TMP/b.log")"
pass "inject: false: B's requests carry no traceparent"
/usr/bin/python3 - "$TMP/spans.jsonl" "$T0" <<'PY' || fail "with inject: false, B's spans are not roots of their own"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
back = [s for s in spans if s["resource"]["service.name"] == "back"]
front = {s["trace_id"] for s in spans if s["resource"]["service.name"] == "front"}
assert len(back) == 2 and all(s["parent"] == "" and s["trace_id"] not in front for s in back), back
PY
pass "inject: false: B's SERVER spans start traces of their own"
scrape
expect_metric 'sonde_propagation_total{outcome="injected"}' 0
stop_sonde
