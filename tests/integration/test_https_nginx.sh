#!/bin/bash
# nginx serving HTTPS through OpenSSL, started after sonde: sonde finds the
# libssl it maps, attaches its probes, and counts 50 curl -k requests
# exactly by route and status, as for plaintext; 15 more over HTTP/2 (ALPN
# h2) on another port count the same way; the plaintext port of the same
# nginx keeps its own exact counts.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl openssl promtool

start_sonde --target exe:nginx=web
PORT=$(free_port)
TLS_PORT=$(free_port)
H2_PORT=$(free_port)
start_nginx "$PORT" "$TLS_PORT" "$H2_PORT"
wait_tls_processes 2 15
BASE=https://127.0.0.1:$TLS_PORT

# 20 GETs of / on one keep-alive TLS connection.
for i in $(seq 20); do echo "url = \"$BASE/\""; echo 'output = "/dev/null"'; done >"$TMP/keepalive.curl"
curl -sk --config "$TMP/keepalive.curl" || fail "keep-alive HTTPS GETs failed"
# 10 404s and 10 503s, each on a TLS connection of its own.
for i in $(seq 10); do curl -sk -o /dev/null "$BASE/nope/$((1000 + i))"; done
for i in $(seq 10); do curl -sk -o /dev/null "$BASE/unavailable"; done
# 5 POSTs with a body on one connection, and 5 static files of 100 kB.
for i in $(seq 5); do echo "url = \"$BASE/api/users/$((4200 + i))\""; echo 'output = "/dev/null"'; done >"$TMP/posts.curl"
curl -sk -X POST -d 'name=ada' --config "$TMP/posts.curl" || fail "HTTPS POSTs failed"
for i in $(seq 5); do echo "url = \"$BASE/static/blob.bin\""; echo 'output = "/dev/null"'; done >"$TMP/static.curl"
curl -sk --config "$TMP/static.curl" || fail "HTTPS static GETs failed"
# 3 plaintext requests on the other port of the same server.
for i in $(seq 3); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
# HTTP/2 over TLS: 10 GETs on one connection, then 5 503s on another.
for i in $(seq 10); do echo "url = \"https://127.0.0.1:$H2_PORT/api/users/$((500 + i))\""; echo 'output = "/dev/null"'; done >"$TMP/h2.curl"
curl -sk --http2 --config "$TMP/h2.curl" -w '%{http_version}\n' >"$TMP/h2.versions" || fail "HTTP/2 GETs failed"
[ "$(sort -u "$TMP/h2.versions")" = 2 ] || fail "curl did not speak HTTP/2: $(sort -u "$TMP/h2.versions")"
for i in $(seq 5); do echo "url = \"https://127.0.0.1:$H2_PORT/unavailable\""; echo 'output = "/dev/null"'; done >"$TMP/h2err.curl"
curl -sk --http2 --config "$TMP/h2err.curl" || fail "HTTP/2 503s failed"

RT='microservice_requests_total{service="web",protocol="http"'
wait_metric "$RT,method=\"GET\",endpoint=\"/static/blob.bin\",status=\"200\"}" 5 15
wait_metric "$RT,method=\"GET\",endpoint=\"/unavailable\",status=\"503\"}" 15 15
expect_metric "$RT,method=\"GET\",endpoint=\"/\",status=\"200\"}" 23
expect_metric "$RT,method=\"GET\",endpoint=\"/nope/{id}\",status=\"404\"}" 10
expect_metric "$RT,method=\"POST\",endpoint=\"/api/users/{id}\",status=\"201\"}" 5
expect_metric "$RT,method=\"GET\",endpoint=\"/api/users/{id}\",status=\"201\"}" 10
expect_metric 'microservice_errors_total{service="web",type="http_5xx"}' 15
n=$(awk '$1 ~ /^microservice_requests_total\{/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$n" = 68 ] || fail "expected 68 requests in all (50 HTTPS, 15 HTTP/2 over TLS, 3 plaintext), found $n"
pass "68 requests in all: 50 over HTTPS, 15 over HTTP/2 and TLS, 3 plaintext"
# One keep-alive connection, 10 + 10 single ones, one for the POSTs, one for
# the files, and the two HTTP/2 ones.
expect_metric 'sonde_tls_connections_total' 25
expect_metric 'sonde_connections_not_http_total' 0
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
