#!/bin/bash
# Round-trip times across a slow link: two network namespaces joined
# through a 20 ms delay line (TUN devices and a user-space forwarder, as
# this kernel has no netem), a Python http.server in one, curl in the
# other. Each of the server's 8 connections gets one smoothed RTT sample
# in microservice_tcp_rtt_seconds, and their median is near 20 ms: every
# sample between 10 and 50 ms, against tens of microseconds on loopback.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl ip nsenter /usr/bin/python3
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
netns_pair sonde-r

# Packets from B (the server's side) to A wait 20 ms; A to B go at once.
/usr/bin/python3 "$ROOT/tests/integration/peers/delay_line.py" "tb$$" "ta$$" 0.020 "$TMP/ready" &
CHILDREN+=($!)
for i in $(seq 50); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
[ -e "$TMP/ready" ] || fail "the delay line did not start"
ip link set "ta$$" netns "$NS_A" && ip link set "tb$$" netns "$NS_B" || fail "cannot move the TUN devices"
in_a ip addr add 10.232.0.1 peer 10.232.0.2 dev "ta$$" && in_a ip link set "ta$$" up && in_a ip link set lo up
in_b ip addr add 10.232.0.2 peer 10.232.0.1 dev "tb$$" && in_b ip link set "tb$$" up && in_b ip link set lo up
# nsenter itself, not in_b: a function in the background is a subshell,
# and its pid would not be the server's.
nsenter --net=/run/netns/$NS_B /usr/bin/python3 -m http.server --bind 10.232.0.2 8080 --directory "$TMP" \
	>/dev/null 2>&1 &
SERVER=$!
CHILDREN+=($SERVER)
for i in $(seq 50); do in_b ss -Htln "sport = :8080" | grep -q . && break; sleep 0.1; done
start_sonde --target "pid:$SERVER=far"
for i in $(seq 8); do in_a curl -sf -o /dev/null "http://10.232.0.2:8080/" || fail "request $i across the delay line failed"; done
S='microservice_tcp_rtt_seconds'
L='service="far",peer="10.232.0.1"'
wait_metric "${S}_count{$L}" 8 10
expect_metric "${S}_bucket{$L,le=\"0.01\"}" 0
expect_metric "${S}_bucket{$L,le=\"0.05\"}" 8
# The median is in the 10-25 ms bucket: at least half the samples are.
[ "$(metric "${S}_bucket{$L,le=\"0.025\"}")" -ge 4 ] || fail "the median round-trip time is above 25 ms"
awk -v k="${S}_sum{$L}" '$1 == k { m = $2 / 8; printf "mean %.1f ms\n", m * 1000; exit !(m > 0.015 && m < 0.035) }' \
	"$TMP/metrics" || fail "the mean round-trip time is not near 20 ms"
pass "8 round-trip samples between 10 and 50 ms, their mean near 20 ms, across a 20 ms link"
expect_metric 'microservice_requests_total{service="far",protocol="http",method="GET",endpoint="/",status="200"}' 8
