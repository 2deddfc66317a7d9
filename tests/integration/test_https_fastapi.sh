#!/bin/bash
# A FastAPI service under uvicorn over HTTPS, unmodified: Python's ssl
# module decrypts from memory after asyncio has read the socket, so no
# syscall runs inside SSL_read_ex and sonde ties the SSL object to the
# socket its thread received on just before. 20 GETs on one keep-alive
# connection, 5 503s and 5 404s on connections of their own, counted
# exactly by route and status.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl openssl promtool /usr/bin/python3
/usr/bin/python3 -c 'import fastapi, uvicorn' 2>/dev/null ||
	fail "python3-fastapi or python3-uvicorn is not installed (make deps installs them)"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"
PORT=$(free_port)
/usr/bin/python3 -m uvicorn --app-dir "$ROOT/tests/integration/peers" fastapi_app:app --host 127.0.0.1 \
	--port "$PORT" --ssl-keyfile "$TMP/key.pem" --ssl-certfile "$TMP/cert.pem" --log-level warning \
	>"$TMP/uvicorn.log" 2>&1 &
API=$!
CHILDREN+=($API)
wait_listen "$PORT" 20 || fail "uvicorn did not start: $(cat "$TMP/uvicorn.log")"
start_sonde --target "pid:$API=api"
wait_tls_attached 15
BASE=https://127.0.0.1:$PORT

for i in $(seq 20); do echo "url = \"$BASE/items/$((100 + i))\""; echo 'output = "/dev/null"'; done >"$TMP/items.curl"
curl -sk --config "$TMP/items.curl" || fail "HTTPS GETs failed"
for i in $(seq 5); do curl -sk -o /dev/null "$BASE/maintenance"; done
for i in $(seq 5); do curl -sk -o /dev/null "$BASE/nope/$i"; done

RT='microservice_requests_total{service="api",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/nope/{id}\",status=\"404\"}" 5 15
expect_metric "$RT,endpoint=\"/items/{id}\",status=\"200\"}" 20
expect_metric "$RT,endpoint=\"/maintenance\",status=\"503\"}" 5
expect_metric 'microservice_errors_total{service="api",type="http_5xx"}' 5
n=$(grep -c '^microservice_requests_total{' "$TMP/metrics")
[ "$n" = 3 ] || fail "expected 3 request series, found $n"
pass "exactly 3 request series"
expect_metric 'sonde_tls_connections_total' 11
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
