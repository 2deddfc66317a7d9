#!/bin/bash
# TCP health while connections live, from sockops: an unmodified Python
# http.server sends 10 MiB on a keep-alive connection, and the bytes both
# ways appear in /metrics, exact to the client's own count, while the
# connection is still open; nginx's loopback connections get one smoothed
# round-trip time sample each in microservice_tcp_rtt_seconds.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl promtool ss /usr/bin/python3

PORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/big_reply.py" "$PORT" "$TMP/access.log" &
CHILDREN+=("$!")
wait_listen "$PORT" 10 || fail "the Python server did not listen"
WEB=$(free_port)
start_nginx "$WEB"
start_sonde --target "port:$PORT=big" --target exe:nginx=web
scrape
grep -q '^sonde_build_info{.*tcp="sockops"} 1$' "$TMP/metrics" \
	|| fail "sockops is not in use: $(grep sonde_build_info "$TMP/metrics")"
pass "sonde_build_info says TCP health comes from sockops"

/usr/bin/python3 "$ROOT/tests/integration/peers/keepalive_counter.py" "$PORT" "$TMP/counted" &
CLIENT=$!
CHILDREN+=("$CLIENT")
for i in $(seq 200); do [ -s "$TMP/counted" ] && break; sleep 0.1; done
[ -s "$TMP/counted" ] || fail "the client did not finish its two requests"
read -r SENT RECEIVED <"$TMP/counted"
[ "$RECEIVED" -gt 10485760 ] || fail "the client received only $RECEIVED bytes"
[ "$(cat "$TMP/access.log")" = $'GET /big 200\nGET /small 200' ] || fail "the server logged: $(cat "$TMP/access.log")"
ss -Htn state established "dport = :$PORT" | grep -q . || fail "the client's connection is not open"
# The server's sent bytes are the client's received, and the other way.
wait_metric "microservice_tcp_sent_bytes_total{service=\"big\",peer=\"127.0.0.1\"}" "$RECEIVED" 5
expect_metric "microservice_tcp_received_bytes_total{service=\"big\",peer=\"127.0.0.1\"}" "$SENT"
ss -Htn state established "dport = :$PORT" | grep -q . || fail "the connection closed before the bytes were seen"
pass "10 MiB and two requests counted while the connection is open"
RTTS=$(metric "microservice_tcp_rtt_seconds_count{service=\"big\",peer=\"127.0.0.1\"}")
[ "$RTTS" != absent ] && [ "$RTTS" -ge 2 ] || fail "$RTTS round-trip samples on the 10 MiB connection"
pass "$RTTS round-trip samples on the live connection"
rm -f "$TMP/counted"
wait "$CLIENT" || fail "the client failed"
# At close only what had not been told: the FINs, a byte each way.
for i in $(seq 50); do
	scrape
	[ "$(metric "microservice_tcp_received_bytes_total{service=\"big\",peer=\"127.0.0.1\"}")" = $((SENT + 1)) ] && break
	sleep 0.1
done
expect_metric "microservice_tcp_received_bytes_total{service=\"big\",peer=\"127.0.0.1\"}" $((SENT + 1))
expect_metric "microservice_tcp_sent_bytes_total{service=\"big\",peer=\"127.0.0.1\"}" $((RECEIVED + 1))

# 20 short connections to nginx: one sample each, at its first
# acknowledgement, under 100 ms on loopback.
for i in $(seq 20); do curl -s -o /dev/null "http://127.0.0.1:$WEB/"; done
S='microservice_tcp_rtt_seconds'
L='service="web",peer="127.0.0.1"'
wait_metric "${S}_count{$L}" 20 10
expect_metric "${S}_bucket{$L,le=\"0.1\"}" 20
expect_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 20
expect_metric 'sonde_events_lost_total' 0
promtool_check
