#!/bin/bash
# HTTP/1.1 pipelining, both sides: h2load and wrk send four requests in a
# write to a real nginx, whose own access log is the reference, per route
# and status; a client that pipelines reads several responses a read.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx h2load wrk promtool /usr/bin/python3

PORT=$(free_port)
NGINX_ACCESS_LOG=$TMP/access.log start_nginx "$PORT"
BASE=http://127.0.0.1:$PORT
/usr/bin/python3 "$ROOT/tests/integration/peers/pipelining_client.py" "$PORT" 25 "$TMP/go" \
	/ /unavailable /api/users/7 /nope/9 &
CLIENT=$!
CHILDREN+=("$CLIENT")
start_sonde --target exe:nginx=web --target "pid:$CLIENT=client"

# 400 requests, four in flight on each of four connections, the routes in turn.
h2load --h1 -m 4 -n 400 -c 4 "$BASE/" "$BASE/unavailable" "$BASE/api/users/7" "$BASE/nope/9" >"$TMP/h2load.out" \
	|| fail "h2load failed"
grep -q '400 total, 400 started, 400 done' "$TMP/h2load.out" || { cat "$TMP/h2load.out"; fail "h2load did not finish"; }
# 2 connections of wrk, 25 writes of four requests each.
BATCHES=25 wrk -t2 -c2 -d3s -s "$ROOT/tests/integration/peers/pipeline.lua" "$BASE" >"$TMP/wrk.out" || fail "wrk failed"
# 25 writes of four requests from the client, whose responses it reads together.
touch "$TMP/go"
wait "$CLIENT" || fail "the pipelining client failed"

logged() { grep -c "^GET $1 $2\$" "$TMP/access.log"; }
[ "$(wc -l <"$TMP/access.log")" = 700 ] || fail "nginx logged $(wc -l <"$TMP/access.log") requests, not 700"
pass "700 requests in nginx's access log"
RT='microservice_requests_total{service="web",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/nope/{id}\",status=\"404\"}" "$(logged /nope/9 404)" 15
expect_metric "$RT,endpoint=\"/\",status=\"200\"}" "$(logged / 200)"
expect_metric "$RT,endpoint=\"/unavailable\",status=\"503\"}" "$(logged /unavailable 503)"
expect_metric "$RT,endpoint=\"/api/users/{id}\",status=\"201\"}" "$(logged /api/users/7 201)"
expect_metric "microservice_request_duration_seconds_count{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/\",status=\"200\"}" \
	"$(logged / 200)"
n=$(grep -c '^microservice_requests_total{service="web"' "$TMP/metrics")
[ "$n" = 4 ] || fail "expected 4 request series for web, found $n"
pass "each request its own route and status"

CR="microservice_client_requests_total{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$PORT\""
expect_metric "$CR,status=\"200\"}" 25
expect_metric "$CR,status=\"503\"}" 25
expect_metric "$CR,status=\"201\"}" 25
expect_metric "$CR,status=\"404\"}" 25
expect_metric 'sonde_parse_failures_total{kind="pipeline"}' absent
expect_metric 'sonde_parse_failures_total{kind="request"}' absent
expect_metric 'sonde_events_lost_total' 0
promtool_check
