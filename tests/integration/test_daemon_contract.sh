#!/bin/bash
# The daemon's contract: bad flags exit 2 with the reason, /health answers
# 503 until every hook is attached and 200 after, unknown paths 404, and
# with no --target every process but sonde is observed, named by command.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

out=$("$SONDE" --target disk:sda 2>&1); rc=$?
[ $rc = 2 ] || fail "a bad selector exited $rc, expected 2"
grep -q "^sonde: --target disk:sda: expected pid:N" <<<"$out" || fail "bad selector message: $out"
pass "a bad selector exits 2 and names it"
out=$("$SONDE" --listen nowhere 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- "--listen nowhere: expected ADDR:PORT" <<<"$out" || fail "bad --listen: $rc $out"
pass "a bad --listen exits 2 and names it"

# Poll /health from the moment sonde starts: 503 while the programs load.
SONDE_PORT=$(free_port)
"$SONDE" --listen "127.0.0.1:$SONDE_PORT" >"$TMP/sonde.log" 2>&1 &
SONDE_PID=$!
seen=""
for ((i = 0; i < 600; i++)); do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SONDE_PORT/health")
	[ "$code" != 000 ] && [ "${seen##* }" != "$code" ] && seen="$seen $code"
	[ "$code" = 200 ] && break
	sleep 0.02
done
[ "$seen" = " 503 200" ] || fail "/health went through '$seen', expected 503 then 200"
pass "/health answers 503 while attaching, then 200"
[ "$(curl -s "http://127.0.0.1:$SONDE_PORT/health")" = '{"status":"healthy"}' ] || fail "/health body"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SONDE_PORT/nope")" = 404 ] || fail "unknown path is not 404"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SONDE_PORT/metrics")" = 405 ] || fail "POST /metrics is not 405"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SONDE_PORT/alerts")" = 405 ] || fail "POST /alerts is not 405"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$SONDE_PORT/health/detailed")" = 405 ] ||
	fail "DELETE /health/detailed is not 405"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SONDE_PORT/health/detailed/x")" = 404 ] ||
	fail "/health/detailed/x is not 404"
pass "unknown paths 404, other methods 405"

# Observe-all: a server started now is seen without any selector.
PORT=$(free_port)
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$PORT" --directory "$TMP" >"$TMP/py.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "python http.server did not start"
for i in $(seq 3); do curl -s -o /dev/null "http://127.0.0.1:$PORT/missing-$i.txt"; done
# The last request driven: once it is in, the others are.
wait_metric 'microservice_requests_total{service="python3",protocol="http",method="GET",endpoint="/missing-3.txt",status="404"}' 1 10
expect_metric 'microservice_requests_total{service="python3",protocol="http",method="GET",endpoint="/missing-1.txt",status="404"}' 1
expect_no_line 'service="sonde"' "sonde does not observe itself"
stop_sonde
