#!/bin/bash
# A real nginx, selected by executable before it starts: exact RED counts
# per route and status, keep-alive and fresh connections, sendfile bodies,
# errors for 5xx only, routes instead of raw ids, a clean exposition.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl promtool /usr/bin/python3

start_sonde --target exe:nginx=web
PORT=$(free_port)
start_nginx "$PORT"
BASE=http://127.0.0.1:$PORT

# 100 GETs of / on one keep-alive connection (curl reuses it for every URL).
for i in $(seq 100); do echo "url = \"$BASE/\""; echo 'output = "/dev/null"'; done >"$TMP/keepalive.curl"
curl -s --config "$TMP/keepalive.curl" || fail "keep-alive GETs failed"
# 30 404s, each on a new connection, and 2 whose paths hold secrets: an
# API key and a session id in a matrix parameter.
for i in $(seq 30); do curl -s -o /dev/null "$BASE/nope/$((1000 + i))?secret=$i"; done
curl -s -o /dev/null "$BASE/nope/sk_live_4eC39HqLyjWDarjtT1zdp7dc"
curl -s -o /dev/null "$BASE/nope/77;jsessionid=0A1B2C3D4E5F"
# 20 503s.
for i in $(seq 20); do curl -s -o /dev/null "$BASE/unavailable"; done
# 10 POSTs with a body to /api/users/<n>, on one connection.
for i in $(seq 10); do echo "url = \"$BASE/api/users/$((4200 + i))\""; echo 'output = "/dev/null"'; done >"$TMP/posts.curl"
curl -s -X POST -d 'name=ada&role=admin' --config "$TMP/posts.curl" || fail "POSTs failed"
# 5 static files of 100 kB: head by writev, body by sendfile.
for i in $(seq 5); do echo "url = \"$BASE/static/blob.bin\""; echo 'output = "/dev/null"'; done >"$TMP/static.curl"
curl -s --config "$TMP/static.curl" || fail "static GETs failed"

# A request cut short by its client: nginx closes without answering.
/usr/bin/python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"GET /cut HTTP/1.1\r\nHost: x"); s.close()' "$PORT"

RT='microservice_requests_total{service="web",protocol="http"'
DUR='microservice_request_duration_seconds_count{service="web",protocol="http"'
# The last requests driven: once they are in, the rest are.
wait_metric "$RT,method=\"GET\",endpoint=\"/static/blob.bin\",status=\"200\"}" 5 15
expect_metric "$RT,method=\"GET\",endpoint=\"/\",status=\"200\"}" 100
expect_metric "$RT,method=\"GET\",endpoint=\"/nope/{id}\",status=\"404\"}" 32
expect_metric "$RT,method=\"GET\",endpoint=\"/unavailable\",status=\"503\"}" 20
expect_metric "$RT,method=\"POST\",endpoint=\"/api/users/{id}\",status=\"201\"}" 10
expect_metric "$DUR,method=\"GET\",endpoint=\"/\",status=\"200\"}" 100
expect_metric "$DUR,method=\"GET\",endpoint=\"/nope/{id}\",status=\"404\"}" 32
expect_metric "$DUR,method=\"GET\",endpoint=\"/unavailable\",status=\"503\"}" 20
expect_metric "$DUR,method=\"POST\",endpoint=\"/api/users/{id}\",status=\"201\"}" 10
expect_metric 'microservice_errors_total{service="web",type="http_5xx"}' 20
expect_no_line '^microservice_errors_total\{.*type="(malformed_response|http_4xx)"' "no errors other than the 503s"
n=$(grep -c '^microservice_requests_total{' "$TMP/metrics")
[ "$n" = 5 ] || fail "expected 5 request series, found $n"
pass "exactly 5 request series"
expect_no_line 'endpoint="[^"]*[0-9]{3,}' "no raw ids in endpoint labels"
expect_no_line 'secret' "no query strings in labels"
expect_no_line 'sk_live|jsessionid' "no keys or session ids in labels"
expect_metric 'sonde_events_lost_total' 0
wait_metric 'sonde_requests_unanswered_total' 1 5
expect_metric 'sonde_parse_failures_total{kind="request"}' absent
# The bodies' sizes prove sendfile was followed to the end of each response.
awk '$1 ~ /^microservice_request_duration_seconds_sum\{.*blob.bin/ { exit !($2 > 0) }' "$TMP/metrics" \
	|| fail "static responses have no duration"
promtool_check
stop_sonde
