#!/bin/bash
# NATS against a real nats-server: a subscriber on orders.>, then two
# publishers (the nats.go client Debian packages) of 25 messages each to
# subjects with an id in them; sonde counts the server's side by operation
# and bounded subject as the server's own /varz counts what it received
# and sent (in_msgs, out_msgs), the clients' side the same, each client's
# PING paired with the server's PONG; the spans follow the messaging
# conventions (decoded with protoc).
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nats-server go curl protoc /usr/bin/python3
[ -d /usr/share/gocode/src/github.com/nats-io/nats.go ] ||
	fail "golang-github-nats-io-go-nats-dev is not installed (make deps installs it)"
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

N=25
mkdir -p "$TMP/bin"
GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$TMP/gocache \
	go build -o "$TMP/bin/natsclient" "$ROOT/tests/integration/peers/nats_client.go" || fail "go build failed"
PORT=$(free_port) MON=$(free_port)
nats-server -a 127.0.0.1 -p "$PORT" -m "$MON" >"$TMP/nats.log" 2>&1 &
NATS_PID=$!
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "nats-server did not start: $(cat "$TMP/nats.log")"
start_otlp_receiver
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "pid:$NATS_PID=broker" --target exe:natsclient=orders

URL=nats://127.0.0.1:$PORT
"$TMP/bin/natsclient" "$URL" sub 'orders.>' $((2 * N)) >"$TMP/received" 2>"$TMP/sub.err" &
SUB=$!
CHILDREN+=($!)
for ((i = 0; i < 100; i++)); do grep -q ready "$TMP/received" && break; sleep 0.1; done
grep -q ready "$TMP/received" || fail "the subscriber did not start: $(cat "$TMP/sub.err")"
for p in 1 2; do "$TMP/bin/natsclient" "$URL" pub orders $N || fail "publisher $p failed"; done
wait "$SUB" || fail "the subscriber did not get $((2 * N)) messages: $(cat "$TMP/sub.err")"

S='microservice_requests_total{service="broker",protocol="nats"'
wait_metric "$S,method=\"MSG\",endpoint=\"orders.{id}.created\",status=\"ok\"}" $((2 * N))
curl -sf "http://127.0.0.1:$MON/varz" >"$TMP/varz" || fail "nats-server's /varz did not answer"
varz() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/varz" "$1"; }
expect_metric "$S,method=\"PUB\",endpoint=\"orders.{id}.created\",status=\"ok\"}" "$(varz in_msgs)"
expect_metric "$S,method=\"MSG\",endpoint=\"orders.{id}.created\",status=\"ok\"}" "$(varz out_msgs)"
[ "$(grep -c '^orders\.' "$TMP/received")" = $((2 * N)) ] || fail "the subscriber printed other than $((2 * N)) messages"
expect_metric "$S,method=\"SUB\",endpoint=\"orders.>\",status=\"ok\"}" 1
expect_metric "$S,method=\"CONNECT\",endpoint=\"CONNECT\",status=\"ok\"}" 3
pass "the server's side as nats-server counts it: in_msgs $(varz in_msgs), out_msgs $(varz out_msgs)"
# Pings are answered: paired and timed; publishes and deliveries are not.
[ "$(metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"nats\",method=\"PING\",endpoint=\"PING\",status=\"ok\"}")" -ge 3 ] ||
	fail "the clients' PINGs were not paired with PONGs"
expect_metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"nats\",method=\"PUB\",endpoint=\"orders.{id}.created\",status=\"ok\"}" absent
C="microservice_client_requests_total{service=\"orders\",protocol=\"nats\""
expect_metric "$C,method=\"PUB\",peer=\"127.0.0.1:$PORT\",status=\"ok\"}" $((2 * N))
expect_metric "$C,method=\"MSG\",peer=\"127.0.0.1:$PORT\",status=\"ok\"}" $((2 * N))
pass "the clients' side: $((2 * N)) publishes, $((2 * N)) deliveries"
expect_metric 'sonde_parse_failures_total{kind="nats"}' absent
promtool_check

for ((i = 0; i < 50; i++)); do
	decode_spans
	[ "$(grep -c '"messaging.operation.type": "receive"' "$TMP/spans.jsonl")" -ge $((4 * N)) ] && break
	sleep 0.2
done
/usr/bin/python3 - "$TMP/spans.jsonl" $N <<'PY' || fail "the NATS spans do not follow the messaging conventions"
import json, sys
n = int(sys.argv[2])
spans = [json.loads(l) for l in open(sys.argv[1])]
nats = [s for s in spans if s["attributes"].get("messaging.system") == "nats"]
sent = [s for s in nats if s["attributes"].get("messaging.operation.type") == "send" and s["kind"] == 2]
assert len(sent) == 2 * n, len(sent)
assert {s["name"] for s in sent} == {"PUB orders.{id}.created"}, {s["name"] for s in sent}
assert {s["attributes"]["messaging.destination.name"] for s in sent} == {"orders.%d.created" % (1000 + i) for i in range(n)}
assert all(s["resource"]["service.name"] == "broker" for s in sent)
assert not any("db.system.name" in s["attributes"] for s in nats)
PY
pass "spans: messaging.system=nats, the subject as messaging.destination.name, send and receive"
stop_sonde
