#!/bin/bash
# A reload never stalls the event path: under wrk load, SIGHUP while a
# health check hangs on a server that never answers. The replaced check
# is stopped on a thread of its own (it waits for the check's 5 s
# timeout), so the reload is done at once and no event is lost.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx wrk curl /usr/bin/python3

PORT=$(free_port)
HANG=$(free_port)
start_nginx "$PORT"
/usr/bin/python3 - "$HANG" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)  # never answered
PY
CHILDREN+=($!)
wait_listen "$HANG" 10 || fail "the hanging server did not start"
cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $PORT}}
health_checks:
  - {name: hangs, type: http, url: "http://127.0.0.1:$HANG/", interval: 1s, timeout: 5s}
YAML
start_sonde --config "$TMP/sonde.yaml"
sleep 1.5
wrk -t1 -c16 -d5s "http://127.0.0.1:$PORT/" >"$TMP/wrk.out" 2>&1 &
WRK=$!
sleep 2
kill -HUP "$SONDE_PID"
start=$(date +%s%N)
for ((i = 0; i < 100; i++)); do grep -q 'config: reloaded' "$TMP/sonde.log" && break; sleep 0.01; done
took=$((($(date +%s%N) - start) / 1000000))
grep -q 'config: reloaded' "$TMP/sonde.log" || fail "no reload within 1 s"
pass "reloaded ${took} ms after SIGHUP, a check still hanging"
wait "$WRK" || fail "wrk failed"
n=$(awk '/requests in/ { print $1 }' "$TMP/wrk.out")
((n > 1000)) || fail "wrk made only $n requests"
sleep 0.5
scrape
counted=$(awk '$1 ~ /^microservice_requests_total\{service="web",/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
((counted >= n)) || fail "$counted requests counted of wrk's $n"
pass "$counted requests counted, wrk saw $n answered"
expect_metric 'sonde_events_lost_total' 0
