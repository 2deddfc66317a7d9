#!/bin/bash
# memcached's text protocol: a real memcached and a client that pipelines,
# sends noreply sets, a 200 KB value and meta commands; sonde counts every
# command by name, as the client sent them and as memcached's own stats
# (cmd_get, cmd_set, deletes, incrs) count them, and the unknown command
# as _OTHER with status error.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd memcached /usr/bin/python3

PORT=$(free_port)
memcached -p "$PORT" -l 127.0.0.1 -U 0 -u nobody -m 64 >"$TMP/memcached.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "memcached did not start"
start_sonde --target "port:$PORT=cache"
/usr/bin/python3 "$ROOT/tests/integration/peers/memcached_client.py" "$PORT" >"$TMP/sent" || fail "the client failed"
series() { echo "microservice_requests_total{service=\"cache\",protocol=\"memcached\",method=\"$1\",endpoint=\"$1\",status=\"$2\"}"; }
wait_metric "$(series version ok)" 1
for cmd in set get delete incr mg ms; do
	expect_metric "$(series "$cmd" ok)" "$(awk -v c="$cmd" '$1 == c { print $2 }' "$TMP/sent")"
done
expect_metric "$(series _OTHER error)" 3
# memcached's own counters, read over a connection sonde sees too.
/usr/bin/python3 - "$PORT" >"$TMP/stats" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"stats\r\n")
buf = b""
while not buf.endswith(b"END\r\n"):
    buf += s.recv(65536)
print(buf.decode())
PY
stat() { awk -v k="$1" '$2 == k { print $3 }' "$TMP/stats" | tr -d '\r'; }
wait_metric "$(series stats ok)" 1
scrape
get=$(metric "$(series get ok)") mg=$(metric "$(series mg ok)") set=$(metric "$(series set ok)") ms=$(metric "$(series ms ok)")
[ $((get + mg)) = "$(stat cmd_get)" ] || fail "get + mg = $((get + mg)), memcached's cmd_get $(stat cmd_get)"
[ $((set + ms)) = "$(stat cmd_set)" ] || fail "set + ms = $((set + ms)), memcached's cmd_set $(stat cmd_set)"
[ "$(metric "$(series delete ok)")" = $(($(stat delete_hits) + $(stat delete_misses))) ] || fail "deletes differ from memcached's"
[ "$(metric "$(series incr ok)")" = $(($(stat incr_hits) + $(stat incr_misses))) ] || fail "incrs differ from memcached's"
pass "as memcached counts them: cmd_get $(stat cmd_get), cmd_set $(stat cmd_set), deletes, incrs"
expect_metric 'sonde_parse_failures_total{kind="memcached"}' absent
stop_sonde
