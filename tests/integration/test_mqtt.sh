#!/bin/bash
# MQTT against a real mosquitto: a subscriber at QoS 1 on sensors/#, then
# three publishers of 10 messages each at QoS 0, 1 and 2 to topics with an
# id in them; sonde counts the broker's side by operation, bounded topic
# and QoS as mosquitto counts what it received ($SYS/broker/publish/
# messages/received, QoS 0 and 1) and the subscriber printed (every
# delivery), the clients' side the same; the spans follow the messaging conventions (decoded with protoc).
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd mosquitto mosquitto_pub mosquitto_sub protoc /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

N=10
PORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nsys_interval 1\npersistence false\n' "$PORT" >"$TMP/mosquitto.conf"
mosquitto -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
MOSQ_PID=$!
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "mosquitto did not start: $(cat "$TMP/mosquitto.log")"
start_otlp_receiver
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "pid:$MOSQ_PID=broker" --target exe:mosquitto_pub=publisher --target exe:mosquitto_sub=subscriber

mosquitto_sub -h 127.0.0.1 -p "$PORT" -t 'sensors/#' -q 1 -C $((3 * N)) -v >"$TMP/received" 2>"$TMP/sub.err" &
SUB=$!
CHILDREN+=($!)
S='microservice_requests_total{service="broker",protocol="mqtt"'
wait_metric "$S,method=\"SUBSCRIBE\",endpoint=\"sensors/#\",status=\"ok\"}" 1 10
for q in 0 1 2; do
	seq 1 $N | mosquitto_pub -h 127.0.0.1 -p "$PORT" -t "sensors/$((17 + q))/temp" -q $q -l ||
		fail "mosquitto_pub at QoS $q failed"
done
wait "$SUB" || fail "the subscriber did not get $((3 * N)) messages: $(cat "$TMP/sub.err")"
[ "$(wc -l <"$TMP/received")" = $((3 * N)) ] || fail "the subscriber printed $(wc -l <"$TMP/received") messages"

P="$S,method=\"PUBLISH\",endpoint=\"sensors/{id}/temp\""
D="$S,method=\"DELIVER\",endpoint=\"sensors/{id}/temp\""
wait_metric "$D,status=\"qos1\"}" $((2 * N))
for q in 0 1 2; do expect_metric "$P,status=\"qos$q\"}" $N; done
# Delivered at the lower of the publish's and the subscription's QoS.
expect_metric "$D,status=\"qos0\"}" $N
DELIVERED=$(($(metric "$D,status=\"qos0\"}") + $(metric "$D,status=\"qos1\"}")))
[ "$DELIVERED" = "$(wc -l <"$TMP/received")" ] || fail "$DELIVERED deliveries, the subscriber printed $(wc -l <"$TMP/received")"
expect_metric "$S,method=\"CONNECT\",endpoint=\"CONNECT\",status=\"ok\"}" 4
expect_metric "$S,method=\"DISCONNECT\",endpoint=\"DISCONNECT\",status=\"ok\"}" 4
# Timed only where an answer pairs: QoS 1 and 2, not QoS 0 or deliveries.
expect_metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"mqtt\",method=\"PUBLISH\",endpoint=\"sensors/{id}/temp\",status=\"qos1\"}" $N
expect_metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"mqtt\",method=\"PUBLISH\",endpoint=\"sensors/{id}/temp\",status=\"qos0\"}" absent
# mosquitto 2.0 counts QoS 0 and 1 publishes in publish/messages/received,
# not QoS 2 ones (measured: 10 of each QoS make it 20); those are checked
# against the subscriber's lines above.
PUBLISHED=$(($(metric "$P,status=\"qos0\"}") + $(metric "$P,status=\"qos1\"}")))

# mosquitto's own count, once its $SYS tree (refreshed each second) has it.
for ((i = 0; i < 10; i++)); do
	RECEIVED=$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -t '$SYS/broker/publish/messages/received' -C 1 -W 5)
	[ "$RECEIVED" = "$PUBLISHED" ] && break
	sleep 1
done
[ "$RECEIVED" = "$PUBLISHED" ] || fail "sonde counted $PUBLISHED publishes at QoS 0 and 1, mosquitto received $RECEIVED"
pass "the broker's side as mosquitto counts it: $PUBLISHED publishes at QoS 0 and 1, $DELIVERED deliveries as the subscriber printed them"

C='microservice_client_requests_total{service="publisher",protocol="mqtt",method="PUBLISH",peer="127.0.0.1:'$PORT'"'
for q in 0 1 2; do expect_metric "$C,status=\"qos$q\"}" $N; done
SUBC='microservice_client_requests_total{service="subscriber",protocol="mqtt",method="DELIVER",peer="127.0.0.1:'$PORT'"'
[ $(($(metric "$SUBC,status=\"qos0\"}") + $(metric "$SUBC,status=\"qos1\"}"))) = $((3 * N)) ] ||
	fail "the subscriber's side counted other than $((3 * N)) deliveries"
pass "the clients' side: $N publishes at each QoS, $((3 * N)) deliveries"
expect_metric 'traces_service_graph_request_total{client="publisher",server="broker",connection_type="messaging_system"}' $((3 * N + 3 * 2))
expect_metric 'sonde_parse_failures_total{kind="mqtt"}' absent
promtool_check

for ((i = 0; i < 50; i++)); do
	decode_spans
	grep -q '"messaging.operation.type": "receive"' "$TMP/spans.jsonl" && break
	sleep 0.2
done
/usr/bin/python3 - "$TMP/spans.jsonl" <<'PY' || fail "the MQTT spans do not follow the messaging conventions"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
mqtt = [s for s in spans if s["attributes"].get("messaging.system") == "mqtt"]
sent = [s for s in mqtt if s["attributes"].get("messaging.operation.type") == "send" and s["kind"] == 2]
assert len(sent) >= 30, len(sent)
assert {s["attributes"]["messaging.destination.name"] for s in sent} == {"sensors/17/temp", "sensors/18/temp", "sensors/19/temp"}
assert {s["name"] for s in sent} == {"PUBLISH sensors/{id}/temp"}, {s["name"] for s in sent}
assert {s["resource"]["service.name"] for s in sent} == {"broker"}
got = [s for s in mqtt if s["attributes"].get("messaging.operation.type") == "receive"]
assert got and all(s["attributes"]["messaging.operation.name"] == "DELIVER" for s in got)
assert not any("db.system.name" in s["attributes"] for s in mqtt)
PY
pass "spans: messaging.system=mqtt, the topic as messaging.destination.name, send and receive"
stop_sonde
