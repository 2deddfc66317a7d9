#!/bin/bash
# HTTPS servers on Node.js, whose OpenSSL is linked into the node executable
# and fed from memory (no syscall inside SSL_read or SSL_write): one started
# before sonde, whose text sonde finds already mapped in pieces, and one
# after. Keep-alive requests, errors and 300 kB replies are counted exactly,
# against each server's own access log.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd node curl openssl
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"

start_node() { # port log
	node "$ROOT/tests/integration/peers/node_https.js" "$1" "$TMP/cert.pem" "$TMP/key.pem" "$2" >>"$TMP/node.out" 2>&1 &
	CHILDREN+=($!)
	NODE_PID=$!
	wait_listen "$1" 15 || fail "node did not start: $(cat "$TMP/node.out")"
}

# Requests from a curl config file: one connection, kept alive.
curl_many() { # name urls...
	local u
	for u in "${@:2}"; do echo "url = \"$u\""; echo 'output = "/dev/null"'; done >"$TMP/$1.curl"
	curl -sk --http1.1 --config "$TMP/$1.curl" || fail "curl $1 failed"
}

OLD=$(free_port) NEW=$(free_port)
start_node "$OLD" "$TMP/old.log"
OLD_PID=$NODE_PID
start_sonde --target exe:node=nodeweb
wait_tls_pid "$OLD_PID" 15
start_node "$NEW" "$TMP/new.log"
wait_tls_pid "$NODE_PID" 15

urls=()
for i in $(seq 20); do urls+=("https://127.0.0.1:$OLD/old/$i"); done
curl_many old_ok "${urls[@]}"
for i in $(seq 5); do curl -sk -o /dev/null "https://127.0.0.1:$OLD/fail/$i" || fail "curl failed"; done
for i in $(seq 10); do curl -sk -o /dev/null "https://127.0.0.1:$NEW/new/$i" || fail "curl failed"; done
curl_many new_big "https://127.0.0.1:$NEW/big" "https://127.0.0.1:$NEW/big" "https://127.0.0.1:$NEW/big"

RT='microservice_requests_total{service="nodeweb",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/big\",status=\"200\"}" 3 15
expect_metric "$RT,endpoint=\"/old/{id}\",status=\"200\"}" "$(grep -c ' /old/.* 200$' "$TMP/old.log")"
expect_metric "$RT,endpoint=\"/fail/{id}\",status=\"503\"}" "$(grep -c ' /fail/.* 503$' "$TMP/old.log")"
expect_metric "$RT,endpoint=\"/new/{id}\",status=\"200\"}" "$(grep -c ' /new/.* 200$' "$TMP/new.log")"
expect_metric "$RT,endpoint=\"/big\",status=\"200\"}" "$(grep -c ' /big 200$' "$TMP/new.log")"
[ "$(cat "$TMP/old.log" "$TMP/new.log" | wc -l)" = 38 ] || fail "the servers logged $(cat "$TMP/old.log" "$TMP/new.log" | wc -l) requests, not 38"
pass "38 requests in the servers' access logs, each counted once"
expect_metric 'sonde_tls_connections_total' 17
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
