#!/bin/bash
# A real Python http.server, selected by port while already running: chunked
# bodies, responses in several writes, requests arriving in several reads,
# HEAD, HTTP/1.0, and 5xx, each counted exactly with its duration.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl promtool /usr/bin/python3

PORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/framing_server.py" "$PORT" >"$TMP/py.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "python server did not start"
start_sonde --target "port:$PORT=shop"
BASE=http://127.0.0.1:$PORT

for i in $(seq 7); do curl -s -o /dev/null "$BASE/chunked/$i"; done
for i in $(seq 4); do curl -s -o /dev/null "$BASE/pieces/$i"; done
for i in $(seq 3); do curl -s -o /dev/null -I "$BASE/head"; done
for i in $(seq 6); do curl -s -o /dev/null --http1.0 "$BASE/old/$i"; done
for i in $(seq 2); do curl -s -o /dev/null "$BASE/fail/$i"; done
/usr/bin/python3 "$ROOT/tests/integration/peers/split_client.py" "$PORT" 8 >"$TMP/split.out" || fail "split client failed"
[ "$(grep -c '^204$' "$TMP/split.out")" = 8 ] || fail "split client did not get 8 responses"

RT='microservice_requests_total{service="shop",protocol="http"'
# The last requests driven: once they are in, the rest are.
wait_metric "$RT,method=\"POST\",endpoint=\"/api/items/{id}\",status=\"204\"}" 8 15
expect_metric "$RT,method=\"GET\",endpoint=\"/chunked/{id}\",status=\"200\"}" 7
expect_metric "$RT,method=\"GET\",endpoint=\"/pieces/{id}\",status=\"200\"}" 4
expect_metric "$RT,method=\"HEAD\",endpoint=\"/head\",status=\"200\"}" 3
expect_metric "$RT,method=\"GET\",endpoint=\"/old/{id}\",status=\"200\"}" 6
expect_metric "$RT,method=\"GET\",endpoint=\"/fail/{id}\",status=\"500\"}" 2
expect_metric 'microservice_errors_total{service="shop",type="http_5xx"}' 2

# A response written over ~30 ms in three writes is timed to its last byte.
sum=$(metric 'microservice_request_duration_seconds_sum{service="shop",protocol="http",method="GET",endpoint="/pieces/{id}",status="200"}')
awk -v s="$sum" 'BEGIN { exit !(s >= 4 * 0.02) }' || fail "pieces took $sum s in all, expected at least 0.08"
pass "multi-write responses timed to the last write ($sum s for 4)"
# Split requests are timed from their first byte: 3 pauses of 5 ms at least.
sum=$(metric 'microservice_request_duration_seconds_sum{service="shop",protocol="http",method="POST",endpoint="/api/items/{id}",status="204"}')
awk -v s="$sum" 'BEGIN { exit !(s >= 8 * 0.015) }' || fail "split requests took $sum s in all, expected at least 0.12"
pass "split requests timed from their first byte ($sum s for 8)"
expect_metric 'sonde_events_lost_total' 0
promtool_check
stop_sonde
