#!/bin/bash
# memcached's text protocol: a real memcached, a client that pipelines,
# sends noreply sets, a 200 KB value and meta commands, then memcslap's set
# and get runs; sonde counts every command by name as memcached's own stats
# count them (cmd_get, cmd_set, get_hits, get_misses, deletes, incrs),
# retrievals as hit or miss, the unknown command as _OTHER with status
# error.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd memcached memcslap /usr/bin/python3

PORT=$(free_port)
memcached -p "$PORT" -l 127.0.0.1 -U 0 -u nobody -m 64 >"$TMP/memcached.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "memcached did not start"
start_sonde --target "port:$PORT=cache"
/usr/bin/python3 "$ROOT/tests/integration/peers/memcached_client.py" "$PORT" >"$TMP/sent" || fail "the client failed"
memcslap --servers="127.0.0.1:$PORT" --test=set --execute-number=300 --concurrency=2 >"$TMP/slap-set" 2>&1 ||
	fail "memcslap set failed: $(tail -2 "$TMP/slap-set")"
memcslap --servers="127.0.0.1:$PORT" --test=get --execute-number=300 --concurrency=2 >"$TMP/slap-get" 2>&1 ||
	fail "memcslap get failed: $(tail -2 "$TMP/slap-get")"

# memcached's own counters, over a connection sonde sees too: its stats
# call is the last one.
/usr/bin/python3 - "$PORT" >"$TMP/stats" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"stats\r\n")
buf = b""
while not buf.endswith(b"END\r\n"):
    buf += s.recv(65536)
print(buf.decode())
PY
series() { echo "microservice_requests_total{service=\"cache\",protocol=\"memcached\",method=\"$1\",endpoint=\"$1\",status=\"$2\"}"; }
wait_metric "$(series stats ok)" 1
stat() { awk -v k="$1" '$2 == k { print $3 }' "$TMP/stats" | tr -d '\r'; }
n() { local v; v=$(metric "$(series "$1" "$2")"); [ "$v" = absent ] && v=0; echo "$v"; }
hits=$(($(n get hit) + $(n mg hit))) misses=$(($(n get miss) + $(n mg miss)))
[ "$hits" = "$(stat get_hits)" ] ||
	fail "get and mg hits $hits, memcached's get_hits $(stat get_hits) (events lost: $(metric sonde_events_lost_total))"
[ "$misses" = "$(stat get_misses)" ] || fail "get and mg misses $misses, memcached's get_misses $(stat get_misses)"
[ $((hits + misses)) = "$(stat cmd_get)" ] || fail "retrievals $((hits + misses)), memcached's cmd_get $(stat cmd_get)"
[ $(($(n set ok) + $(n ms ok))) = "$(stat cmd_set)" ] || fail "set + ms = $(($(n set ok) + $(n ms ok))), cmd_set $(stat cmd_set)"
[ "$(n delete ok)" = $(($(stat delete_hits) + $(stat delete_misses))) ] || fail "deletes differ from memcached's"
[ "$(n incr ok)" = $(($(stat incr_hits) + $(stat incr_misses))) ] || fail "incrs differ from memcached's"
pass "as memcached counts them: cmd_get $(stat cmd_get) ($hits hits, $misses misses), cmd_set $(stat cmd_set), deletes, incrs"
for cmd in delete incr ms; do
	expect_metric "$(series "$cmd" ok)" "$(awk -v c="$cmd" '$1 == c { print $2 }' "$TMP/sent")"
done
expect_metric "$(series version ok)" 1
expect_metric "$(series _OTHER error)" 3
expect_metric 'sonde_parse_failures_total{kind="memcached"}' absent
expect_metric 'sonde_connections_left_total{service="cache",reason="memcached"}' absent
stop_sonde
