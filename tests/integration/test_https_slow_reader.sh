#!/bin/bash
# HTTPS replies of 8 MB to a client that reads slowly: nginx's writes meet
# a full socket (EAGAIN) and OpenSSL retries them, and every reply is still
# counted once and ends by its own Content-Length as nginx writes its last
# byte: not at the next request, 3 s later, nor at close.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx openssl

PORT=$(free_port) TLS=$(free_port)
start_nginx "$PORT" "$TLS"
head -c 8000000 /dev/urandom >"$TMP/nginx/www/static/big.bin"
start_sonde --target exe:nginx=web
wait_tls_processes 2 15

/usr/bin/python3 "$ROOT/tests/integration/peers/slow_https_client.py" "$TLS" /static/big.bin 3 3 >"$TMP/client.log" ||
	fail "the slow client failed: $(cat "$TMP/client.log")"
[ "$(grep -c '^200 8000000$' "$TMP/client.log")" = 3 ] || fail "the client read: $(cat "$TMP/client.log")"
pass "the client read 3 replies of 8,000,000 bytes"

SERIES='service="web",protocol="http",method="GET",endpoint="/static/big.bin",status="200"'
wait_metric "microservice_requests_total{$SERIES}" 3 10
# Framed: each under 2.5 s (the client reads 8 MB in about 1.3 s); at the
# next request it would be over 3 s, and the last would wait for close.
expect_metric "microservice_request_duration_seconds_bucket{$SERIES,le=\"2.5\"}" 3
sum=$(metric "microservice_request_duration_seconds_sum{$SERIES}")
awk -v s="$sum" 'BEGIN { exit !(s >= 0.9) }' || fail "the replies took $sum s in all: framed too early"
pass "the replies took $sum s in all: each ended with its last byte"
expect_metric 'sonde_events_lost_total' 0
stop_sonde
