#!/bin/bash
# A real redis-server under redis-benchmark, both observed: the server
# counts exactly the GETs and SETs the benchmark made, and the benchmark,
# as a client, counts the same; a pipelined run (16 commands in flight)
# keeps every reply paired with its command, and matches Redis's own
# command statistics; an error reply is "error"; values of 100 kB, beyond
# what one capture holds, still count.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd redis-server redis-benchmark redis-cli curl promtool

PORT=$(free_port)
start_redis "$PORT"
start_sonde --target "pid:$REDIS_PID=cache" --target exe:redis-benchmark=loadgen

redis-benchmark -h 127.0.0.1 -p "$PORT" -t get,set -n 1000 -c 5 -q >"$TMP/bench1.log" 2>&1 ||
	fail "redis-benchmark failed: $(cat "$TMP/bench1.log")"

RT='microservice_requests_total{service="cache",protocol="redis"'
# redis-benchmark runs its SETs, then its GETs: once the GETs are in, the
# SETs are.
wait_metric "$RT,method=\"GET\",endpoint=\"GET\",status=\"ok\"}" 1000 15
expect_metric "$RT,method=\"SET\",endpoint=\"SET\",status=\"ok\"}" 1000
expect_metric 'microservice_request_duration_seconds_count{service="cache",protocol="redis",method="GET",endpoint="GET",status="ok"}' 1000
# Client side: the benchmark's own GETs and SETs, to the one peer.
sum_client() { # method
	awk -v m="method=\"$1\"" '$1 ~ /^microservice_client_requests_total\{service="loadgen",protocol="redis",/ && index($1, m) && /status="ok"/ { s += $2 } END { print s + 0 }' "$TMP/metrics"
}
# The client reads its last reply after the server sent it: wait for it too.
for ((i = 0; i < 150; i++)); do
	[ "$(sum_client GET)" = 1000 ] && break
	sleep 0.1
	scrape
done
[ "$(sum_client GET)" = 1000 ] || fail "the benchmark made $(sum_client GET) GETs, expected 1000"
pass "client side: 1000 GETs"
[ "$(sum_client SET)" = 1000 ] || fail "the benchmark made $(sum_client SET) SETs, expected 1000"
pass "client side: 1000 SETs"
# The service graph: one database edge, each of the benchmark's commands
# once, though sonde sees both ends.
ALL=$(awk '$1 ~ /^microservice_client_requests_total\{service="loadgen",/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
expect_metric 'traces_service_graph_request_total{client="loadgen",server="cache",connection_type="database"}' "$ALL"
expect_no_line '^traces_service_graph_request_total\{client="user"' "every caller of cache is a target"

# Pipelined: redis-benchmark fills its last pipeline past -n, so the
# truth is Redis's own count of the commands it ran.
redis-benchmark -h 127.0.0.1 -p "$PORT" -t get,set -n 1000 -c 2 -P 16 -q >"$TMP/bench2.log" 2>&1 ||
	fail "pipelined redis-benchmark failed: $(cat "$TMP/bench2.log")"
# One error reply: INCR of a value that is not a number.
redis-cli -h 127.0.0.1 -p "$PORT" set word abc >/dev/null
redis-cli -h 127.0.0.1 -p "$PORT" incr word >/dev/null
# A command Redis does not know names no series.
redis-cli -h 127.0.0.1 -p "$PORT" madeup123 >/dev/null
# A value bigger than one capture (8 KiB) each way: the rest is counted down
# unseen, and each call still ends with its reply.
head -c 100000 /dev/zero | tr '\0' v | redis-cli -h 127.0.0.1 -p "$PORT" -x set big >/dev/null
for i in 1 2 3; do
	[ "$(redis-cli -h 127.0.0.1 -p "$PORT" get big | wc -c)" = 100001 ] || fail "GET big did not return the value"
done
calls() { # command
	redis-cli -h 127.0.0.1 -p "$PORT" info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p"
}
GETS=$(calls get)
SETS=$(calls set)
[ "$GETS" -gt 2000 ] || fail "Redis ran $GETS GETs, expected more than 2000 with the pipelines filled"
# The GETs of the big value came last: once they are in, the rest are.
wait_metric "$RT,method=\"GET\",endpoint=\"GET\",status=\"ok\"}" "$GETS" 15
expect_metric "$RT,method=\"SET\",endpoint=\"SET\",status=\"ok\"}" "$SETS"
expect_metric "$RT,method=\"INCR\",endpoint=\"INCR\",status=\"error\"}" 1
expect_metric "$RT,method=\"_OTHER\",endpoint=\"_OTHER\",status=\"error\"}" 1
expect_no_line 'MADEUP' "an unknown command names no series"
[ "$(sum_client GET)" = $((GETS - 3)) ] || fail "the benchmark made $(sum_client GET) GETs, Redis ran $GETS, 3 of them redis-cli's"
pass "client side: $((GETS - 3)) GETs, as Redis counted, and the 3 of 100 kB counted on the server side"
expect_no_line '^microservice_client_requests_total\{service="loadgen".*status="error"' "the benchmark got no error replies"
# A client error is no server error.
expect_no_line '^microservice_errors_total\{service="cache"' "no server errors"
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
