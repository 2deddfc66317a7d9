#!/bin/bash
# An HTTPS server with OpenSSL linked in statically, started after sonde:
# no libssl.so in its maps, so sonde finds SSL_read and SSL_write among the
# executable's own symbols, attaches there, and counts its requests
# exactly, as for any HTTPS server.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd cc curl openssl
[ -f /usr/lib/x86_64-linux-gnu/libssl.a ] || [ -f /usr/lib/aarch64-linux-gnu/libssl.a ] ||
	fail "libssl.a is not installed (make deps installs libssl-dev)"

cc -O1 -o "$TMP/tlsstatic" "$ROOT/tests/integration/peers/static_tls_server.c" \
	-Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic -lpthread -ldl || fail "the static TLS server did not build"
ldd "$TMP/tlsstatic" | grep -q libssl && fail "libssl is linked dynamically"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"

start_sonde --target exe:tlsstatic=vault
PORT=$(free_port)
"$TMP/tlsstatic" "$PORT" "$TMP/cert.pem" "$TMP/key.pem" >"$TMP/tlsstatic.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "the static TLS server did not start: $(cat "$TMP/tlsstatic.log")"
for ((i = 0; i < 150; i++)); do
	grep -q 'tls: attached to .*/tlsstatic ' "$TMP/sonde.log" && break
	sleep 0.1
done
[ $i -lt 150 ] || fail "sonde did not attach to the executable"
pass "attached to the executable's own SSL_read and SSL_write"

# 10 GETs on one keep-alive connection, 4 404s on another.
for i in $(seq 10); do echo "url = \"https://127.0.0.1:$PORT/\""; echo 'output = "/dev/null"'; done >"$TMP/ok.curl"
curl -sk --http1.1 --config "$TMP/ok.curl" || fail "HTTPS GETs failed"
for i in $(seq 4); do echo "url = \"https://127.0.0.1:$PORT/missing/$((70 + i))\""; echo 'output = "/dev/null"'; done >"$TMP/missing.curl"
curl -sk --http1.1 --config "$TMP/missing.curl" || fail "HTTPS 404s failed"

RT='microservice_requests_total{service="vault",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/missing/{id}\",status=\"404\"}" 4 15
expect_metric "$RT,endpoint=\"/\",status=\"200\"}" 10
expect_metric 'sonde_tls_connections_total' 2
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
