#!/bin/bash
# What writing trace context into a service's requests costs. A relay
# (tests/bench/relay.c: per request it serves, one keep-alive GET to
# nginx) under wrk -t1 -c8, observed by sonde with propagation off and
# with propagation: {inject: true} on the relay, in interleaved rounds:
# the median throughput ratio (inject/off), and with
# kernel.bpf_stats_enabled the BPF time per relayed request of sk_msg
# (sonde_inject, which writes the header) and of sockops, and how many
# requests got a header.
#   ROUNDS=3 DURATION=5 make bench
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SONDE=${SONDE:-$ROOT/build/sonde}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
TMP=$(mktemp -d /tmp/sonde-bench-prop.XXXXXX)
PIDS=()
OBS=
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$OBS" ] && kill "$OBS" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
for c in nginx wrk bpftool cc; do command -v $c >/dev/null || { echo "bench: $c missing (make deps)"; exit 1; }; done
port() { local p; while :; do p=$((10000 + RANDOM % 22000)); ss -Htan "sport = :$p" | grep -q . || { echo $p; return; }; done; }

cc -O2 -D_GNU_SOURCE -o "$TMP/relay" "$ROOT/tests/bench/relay.c" -lpthread || exit 1
UP=$(port) RELAY=$(port) SPORT=$(port)
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	server { listen 127.0.0.1:$UP; location / { return 200 "hello\n"; } }
}
CONF
nginx -c "$TMP/nginx.conf" -e "$TMP/error.log" >/dev/null 2>&1 &
PIDS+=($!)
"$TMP/relay" "$RELAY" "$UP" &
PIDS+=($!)
sleep 1

start_sonde() { # true|false
	printf 'services:\n  - name: relay\n    match: {port: %s}\n    propagation: {inject: %s}\n  - name: web\n    match: {exe: nginx}\n' \
		"$RELAY" "$1" >"$TMP/sonde.yaml"
	"$SONDE" --config "$TMP/sonde.yaml" --listen "127.0.0.1:$SPORT" >"$TMP/sonde.log" 2>&1 &
	OBS=$!
	for i in $(seq 300); do curl -s "http://127.0.0.1:$SPORT/health" | grep -q healthy && return 0; sleep 0.1; done
	echo "bench: sonde did not start"; cat "$TMP/sonde.log"; exit 1
}
stop_sonde() { kill "$OBS"; wait "$OBS" 2>/dev/null; OBS=; }
prog_ns() { # name
	bpftool prog show -j | /usr/bin/python3 -c '
import json, sys
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if p.get("name") == sys.argv[1]))' "$1"
}
# New connections each load: the relay's upstream ones are made after
# sonde starts, so they are in the sockhash.
load() { wrk -t1 -c8 -d"$1s" "http://127.0.0.1:$RELAY/" 2>&1 | awk '/requests in/ { n = $1 } /Requests\/sec/ { r = $2 } END { print n, r }'; }
metric() { curl -s "http://127.0.0.1:$SPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

declare -A rps
ratios=() inject_ns=() sockops_ns=()
for round in $(seq "$ROUNDS"); do
	order=(false true)
	((round % 2)) || order=(true false)
	for mode in "${order[@]}"; do
		start_sonde "$mode"
		read -r _ r <<<"$(load "$DURATION")"
		rps[$mode]=$r
		if [ "$mode" = true ]; then
			sysctl -qw kernel.bpf_stats_enabled=1
			i0=$(prog_ns sonde_inject) s0=$(prog_ns sonde_sockops)
			read -r n _ <<<"$(load 2)"
			i1=$(prog_ns sonde_inject) s1=$(prog_ns sonde_sockops)
			sysctl -qw kernel.bpf_stats_enabled=0
			inject_ns+=("$(awk -v d=$((i1 - i0)) -v q="$n" 'BEGIN { printf "%.0f", d / q }')")
			sockops_ns+=("$(awk -v d=$((s1 - s0)) -v q="$n" 'BEGIN { printf "%.0f", d / q }')")
			injected=$(metric 'sonde_propagation_total{outcome="injected"}')
			relayed=$(metric 'microservice_requests_total{service="relay",protocol="http",method="GET",endpoint="/",status="200"}')
		fi
		stop_sonde
	done
	ratios+=("$(awk -v a="${rps[true]}" -v b="${rps[false]}" 'BEGIN { printf "%.3f", a / b }')")
	echo "round $round: propagation off ${rps[false]} req/s, inject ${rps[true]} req/s; headers written $injected of $relayed requests relayed"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "propagation: throughput with inject / without, median of $ROUNDS: $(median "${ratios[@]}"); BPF time per relayed request: sk_msg $(median "${inject_ns[@]}") ns, sockops $(median "${sockops_ns[@]}") ns"
