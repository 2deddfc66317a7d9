#!/bin/bash
# AMQP 0-9-1 against a real RabbitMQ: a pika client declares a queue,
# publishes 20 messages, takes 5 with basic.get and consumes the rest with
# acks. sonde's broker side counts the publishes as RabbitMQ's own queue
# depth says (rabbitmqctl list_queues: 20 after publishing, 0 after), the
# gets, deliveries and acks as the client got them, the synchronous
# methods paired with their -ok; a queue.declare of a missing queue fails
# with the channel closed 404; the spans follow the messaging conventions.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd epmd protoc /usr/bin/python3
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || fail "rabbitmq-server is not installed (make deps installs it)"
/usr/bin/python3 -c 'import pika, google.protobuf' 2>/dev/null || fail "python3-pika is not installed (make deps installs it)"

N=20
# A node of its own: its own epmd, ports and files, none of the system's.
export HOME=$TMP ERL_EPMD_PORT=$(free_port) RABBITMQ_NODENAME=sonde-test-$$@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$(free_port) RABBITMQ_DIST_PORT=$(free_port)
export RABBITMQ_MNESIA_BASE=$TMP/mnesia RABBITMQ_LOG_BASE=$TMP/rlog RABBITMQ_ENABLED_PLUGINS_FILE=$TMP/plugins
export RABBITMQ_CONFIG_FILE=$TMP/rabbitmq
echo "[]." >"$TMP/plugins"
epmd -port "$ERL_EPMD_PORT" >/dev/null 2>&1 &
CHILDREN+=($!)
/usr/lib/rabbitmq/bin/rabbitmq-server >"$TMP/rabbitmq.log" 2>&1 &
RMQ_PID=$!
CHILDREN+=($!)
ctl() { /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBITMQ_NODENAME" -q "$@"; }
wait_listen "$RABBITMQ_NODE_PORT" 60 || fail "RabbitMQ did not start: $(tail -5 "$TMP/rabbitmq.log")"
# The Erlang VM that serves, as the node's pid file names it.
for ((i = 0; i < 100; i++)); do [ -s "$RABBITMQ_MNESIA_BASE/$RABBITMQ_NODENAME.pid" ] && break; sleep 0.1; done
BEAM=$(cat "$RABBITMQ_MNESIA_BASE/$RABBITMQ_NODENAME.pid" 2>/dev/null)
[ -n "$BEAM" ] && kill -0 "$BEAM" || fail "no beam process of the node"
start_otlp_receiver

/usr/bin/python3 "$ROOT/tests/integration/peers/amqp_client.py" "$RABBITMQ_NODE_PORT" orders $N "$TMP/go" >"$TMP/client.out" 2>"$TMP/client.err" &
CLIENT=$!
CHILDREN+=($!)
for ((i = 0; i < 50; i++)); do [ -s "$TMP/client.out" ] && break; sleep 0.1; done
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "pid:$BEAM=broker" --target "pid:$(head -1 "$TMP/client.out")=shop"
touch "$TMP/go"
for ((i = 0; i < 100; i++)); do grep -q published "$TMP/client.out" && break; sleep 0.1; done
grep -q published "$TMP/client.out" || fail "the client did not publish: $(cat "$TMP/client.err")"
[ "$(ctl list_queues name messages | awk '$1 == "orders" { print $2 }')" = $N ] ||
	fail "RabbitMQ holds $(ctl list_queues name messages) after the publishes"
S='microservice_requests_total{service="broker",protocol="amqp"'
wait_metric "$S,method=\"basic.publish\",endpoint=\"orders\",status=\"ok\"}" $N
pass "the broker's side: $N publishes, as RabbitMQ's queue depth has them"
touch "$TMP/go.2"
wait "$CLIENT" || fail "the client failed: $(cat "$TMP/client.err")"
read -r _ GOT _ CONSUMED _ EMPTY <<<"$(tail -1 "$TMP/client.out")"
[ "$GOT" = 5 ] && [ $((GOT + CONSUMED)) = $N ] && [ "$EMPTY" = 1 ] || fail "the client says: $(tail -1 "$TMP/client.out")"
[ "$(ctl list_queues name messages | awk '$1 == "orders" { print $2 }')" = 0 ] || fail "RabbitMQ still holds messages"
wait_metric "$S,method=\"basic.get\",endpoint=\"orders\",status=\"empty\"}" 1
expect_metric "$S,method=\"basic.get\",endpoint=\"orders\",status=\"ok\"}" "$GOT"
expect_metric "$S,method=\"basic.deliver\",endpoint=\"orders\",status=\"ok\"}" "$CONSUMED"
ACKS=$(awk -v p="$S,method=\"basic.ack\"," 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$ACKS" = "$CONSUMED" ] || fail "$ACKS acks, the client acked $CONSUMED"
expect_metric "$S,method=\"queue.declare\",endpoint=\"orders\",status=\"ok\"}" 2
expect_metric "$S,method=\"basic.consume\",endpoint=\"orders\",status=\"ok\"}" 1
expect_metric "$S,method=\"connection.open\",endpoint=\"connection.open\",status=\"ok\"}" 1
expect_metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"amqp\",method=\"queue.declare\",endpoint=\"orders\",status=\"ok\"}" 2
expect_metric "microservice_request_duration_seconds_count{service=\"broker\",protocol=\"amqp\",method=\"basic.publish\",endpoint=\"orders\",status=\"ok\"}" absent
C="microservice_client_requests_total{service=\"shop\",protocol=\"amqp\""
expect_metric "$C,method=\"basic.publish\",peer=\"127.0.0.1:$RABBITMQ_NODE_PORT\",status=\"ok\"}" $N
expect_metric "$C,method=\"basic.deliver\",peer=\"127.0.0.1:$RABBITMQ_NODE_PORT\",status=\"ok\"}" "$CONSUMED"
pass "gets ($GOT and 1 empty), deliveries ($CONSUMED) and acks as the client got them, both sides"

# A passive declare of a queue that does not exist: RabbitMQ closes the
# channel with 404, which fails the call.
/usr/bin/python3 - "$RABBITMQ_NODE_PORT" <<'PY' || fail "the passive declare did not fail"
import sys, pika
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", int(sys.argv[1])))
try:
    conn.channel().queue_declare(queue="missing", passive=True)
    sys.exit(1)
except pika.exceptions.ChannelClosedByBroker as e:
    assert e.reply_code == 404
conn.close()
PY
wait_metric "$S,method=\"queue.declare\",endpoint=\"missing\",status=\"error\"}" 1
expect_metric 'sonde_parse_failures_total{kind="amqp"}' absent
promtool_check

for ((i = 0; i < 50; i++)); do
	decode_spans
	[ "$(grep -c '"messaging.operation.type": "send"' "$TMP/spans.jsonl")" -ge $((2 * N)) ] && break
	sleep 0.2
done
/usr/bin/python3 - "$TMP/spans.jsonl" $N <<'PY' || fail "the AMQP spans do not follow the messaging conventions"
import json, sys
n = int(sys.argv[2])
spans = [json.loads(l) for l in open(sys.argv[1])]
amqp = [s for s in spans if s["attributes"].get("messaging.system") == "rabbitmq"]
sent = [s for s in amqp if s["attributes"].get("messaging.operation.type") == "send" and s["kind"] == 2]
assert len(sent) == n, len(sent)
assert {s["name"] for s in sent} == {"basic.publish orders"}, {s["name"] for s in sent}
assert {s["attributes"]["messaging.destination.name"] for s in sent} == {"orders"}
assert any(s["attributes"].get("messaging.operation.type") == "settle" for s in amqp)
PY
pass "spans: messaging.system=rabbitmq, the queue as messaging.destination.name, send, receive and settle"
stop_sonde
