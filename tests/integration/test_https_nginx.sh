#!/bin/bash
# nginx serving HTTPS through OpenSSL, started after sonde: sonde finds the
# libssl it maps, attaches its probes, and counts 50 curl -k requests
# exactly by route and status, as for plaintext; the plaintext port of the
# same nginx keeps its own exact counts.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl openssl promtool

start_sonde --target exe:nginx=web
PORT=$(free_port)
TLS_PORT=$(free_port)
start_nginx "$PORT" "$TLS_PORT"
wait_tls_attached 15
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

RT='microservice_requests_total{service="web",protocol="http"'
wait_metric "$RT,method=\"GET\",endpoint=\"/static/blob.bin\",status=\"200\"}" 5 15
expect_metric "$RT,method=\"GET\",endpoint=\"/\",status=\"200\"}" 23
expect_metric "$RT,method=\"GET\",endpoint=\"/nope/{id}\",status=\"404\"}" 10
expect_metric "$RT,method=\"GET\",endpoint=\"/unavailable\",status=\"503\"}" 10
expect_metric "$RT,method=\"POST\",endpoint=\"/api/users/{id}\",status=\"201\"}" 5
expect_metric 'microservice_errors_total{service="web",type="http_5xx"}' 10
n=$(awk '$1 ~ /^microservice_requests_total\{/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$n" = 53 ] || fail "expected 53 requests in all (50 HTTPS, 3 plaintext), found $n"
pass "53 requests in all: 50 over HTTPS, 3 plaintext"
# One keep-alive connection, 10 + 10 single ones, one for the POSTs, one for the files.
expect_metric 'sonde_tls_connections_total' 23
expect_metric 'sonde_connections_not_http_total' 0
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
