#!/bin/bash
# make soak: sonde under hours of mixed traffic, process churn, hostile
# clients and reloads, sampled for drift. Not part of make test.
#
# One nginx (plaintext and TLS, an access log) and one redis-server are
# the targets; meanwhile, in loops until the end:
#   - wrk on / (plaintext), curl over HTTPS, redis-benchmark bursts;
#   - churn: short-lived targeted clients (curl, redis-cli) every second;
#   - hostile clients: made-up paths (404s and answered ones), junk bytes,
#     PROPFIND, slow /metrics readers that never read;
#   - a SIGHUP every RELOAD_S seconds, the file alternating.
# Every SAMPLE_S seconds: sonde's resident memory, what its BPF maps lock,
# the series it exposes, its events and losses. At the end, after the
# load stops: the requests nginx logged for / against sonde's count of
# them and its losses, then 1,000 requests that must count exactly, and
# the drift of memory and maps over the second half of the run.
#   SOAK_MINUTES=60 make soak
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SONDE=${SONDE:-$ROOT/build/sonde}
MINUTES=${SOAK_MINUTES:-60}
SAMPLE_S=${SAMPLE_S:-30}
RELOAD_S=${RELOAD_S:-30}
TMP=$(mktemp -d /tmp/sonde-soak.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${SONDE_PID:-}" ] && kill "$SONDE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "soak: needs root"; exit 1; }
for c in nginx wrk curl redis-server redis-cli redis-benchmark openssl bpftool; do
	command -v $c >/dev/null || { echo "soak: $c missing (make deps)"; exit 1; }
done
prog_ids() { bpftool prog show -j | /usr/bin/python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
port() { local p; while :; do p=$((10000 + RANDOM % 22000)); ss -Htan "sport = :$p" | grep -q . || { echo $p; return; }; done; }
HTTP=$(port) HTTPS=$(port) REDIS=$(port) SPORT=$(port)

chmod 755 "$TMP"
mkdir -p "$TMP/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/nginx/key.pem" -out "$TMP/nginx/cert.pem" -days 2 \
	-subj /CN=localhost >/dev/null 2>&1
cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 2048; }
http {
	log_format plain '\$request_method \$uri \$status';
	access_log $TMP/nginx/access.log plain;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:$HTTP;
		listen 127.0.0.1:$HTTPS ssl;
		ssl_certificate $TMP/nginx/cert.pem;
		ssl_certificate_key $TMP/nginx/key.pem;
		location = / { return 200 "hello\n"; }
		location = /final { return 200 "final\n"; }
		location /api/users/ { return 201 "created\n"; }
		location / { return 404; }
	}
}
CONF
nginx -c "$TMP/nginx/nginx.conf" >/dev/null 2>&1 &
PIDS+=($!)
redis-server --port "$REDIS" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
PIDS+=($!)
sleep 1

config() { # variant
	cat <<YAML
services:
  - {name: web, match: {exe: nginx}}
  - {name: cache, match: {exe: redis-server}}
  - {name: clients, match: {exe: curl}}
  - {name: rcli, match: {exe: redis-cli}}
health_checks:
  - {name: home, type: http, url: "http://127.0.0.1:$HTTP/", interval: ${1}s}
business_metrics:
  - {name: users_created, description: "Users created", match: {service: web, endpoint: "/api/users/{id}"}}
YAML
}
config 5 >"$TMP/sonde.yaml"
BEFORE=" $(prog_ids) "
"$SONDE" --config "$TMP/sonde.yaml" --listen "127.0.0.1:$SPORT" >"$TMP/sonde.log" 2>&1 &
SONDE_PID=$!
for ((i = 0; i < 300; i++)); do
	curl -s "http://127.0.0.1:$SPORT/health" | grep -qE '"(healthy|degraded|unhealthy)"' && break
	sleep 0.1
done
SONDE_PROGS=
for id in $(prog_ids); do [[ $BEFORE == *" $id "* ]] || SONDE_PROGS="$SONDE_PROGS $id"; done
echo "soak: sonde pid $SONDE_PID on :$SPORT, $MINUTES minutes, a sample every $SAMPLE_S s"

END=$(($(date +%s) + MINUTES * 60))
forever() { while [ "$(date +%s)" -lt "$END" ]; do "$@"; done; }
forever wrk -t1 -c8 -d10s "http://127.0.0.1:$HTTP/" >/dev/null 2>&1 &
PIDS+=($!)
https_burst() { for i in $(seq 20); do curl -sk -o /dev/null "https://127.0.0.1:$HTTPS/api/users/$i"; done; sleep 1; }
forever https_burst &
PIDS+=($!)
redis_burst() { redis-benchmark -p "$REDIS" -q -n 2000 -c 4 -t set,get >/dev/null 2>&1; sleep 5; }
forever redis_burst &
PIDS+=($!)
churn() { curl -s -o /dev/null "http://127.0.0.1:$HTTP/api/users/churn"; redis-cli -p "$REDIS" ping >/dev/null; sleep 1; }
forever churn &
PIDS+=($!)
hostile() {
	local w
	w=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 0-9 g-p)
	curl -s -o /dev/null "http://127.0.0.1:$HTTP/scan/$w"
	curl -s -o /dev/null "http://127.0.0.1:$HTTP/api/users/$w"
	curl -s -o /dev/null -X PROPFIND "http://127.0.0.1:$HTTP/dav/"
	head -c 64 /dev/urandom >"/dev/tcp/127.0.0.1/$HTTP" 2>/dev/null
	sleep 0.2
}
forever hostile &
PIDS+=($!)
slow_readers() {
	/usr/bin/python3 - "$SPORT" <<'PY'
import socket, sys, time
conns = []
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
time.sleep(20)
PY
	sleep 10
}
forever slow_readers &
PIDS+=($!)
reloads() {
	sleep "$RELOAD_S"
	config $((RANDOM % 2 ? 5 : 7)) >"$TMP/sonde.yaml"
	kill -HUP "$SONDE_PID"
}
forever reloads &
PIDS+=($!)

# What the maps of sonde's programs lock: its programs are those loaded
# after it started.
maps_bytes() {
	local ids=" $SONDE_PROGS " id maps=
	for id in $ids; do maps="$maps $(bpftool prog show id "$id" -j 2>/dev/null | /usr/bin/python3 -c 'import json,sys
print(" ".join(str(m) for m in json.load(sys.stdin).get("map_ids", [])))')"; done
	bpftool map show -j | /usr/bin/python3 -c 'import json,sys
ids=set(int(i) for i in sys.argv[1:])
print(sum(m.get("bytes_memlock", 0) for m in json.load(sys.stdin) if m["id"] in ids))' $maps
}
sample() {
	local rss series lost events
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SONDE_PID/status")
	curl -s -m 20 "http://127.0.0.1:$SPORT/metrics" >"$TMP/metrics"
	series=$(grep -vc '^#' "$TMP/metrics")
	lost=$(awk '$1 == "sonde_events_lost_total" {print $2}' "$TMP/metrics")
	events=$(awk '$1 == "sonde_events_total" {print $2}' "$TMP/metrics")
	printf '%s %8d kB %10d B %7d series %12s events %6s lost\n' "$(date +%T)" "$rss" "$(maps_bytes)" "$series" \
		"$events" "$lost" | tee -a "$TMP/samples"
}
while [ "$(date +%s)" -lt "$END" ]; do
	kill -0 "$SONDE_PID" 2>/dev/null || { echo "soak: sonde died"; tail -20 "$TMP/sonde.log"; exit 1; }
	sample
	sleep "$SAMPLE_S"
done
# The loops stop; the load they started runs out on its own (a killed
# client would leave requests in flight that nginx logs and never sends).
for p in "${PIDS[@]:2}"; do kill "$p" 2>/dev/null; done
while pgrep -f "wrk -t1 -c8 -d10s http://127.0.0.1:$HTTP/" >/dev/null; do sleep 1; done
sleep 3
sample
# The load's own requests: wrk closes its connections with requests in
# flight when its time is up, which nginx logs and sonde counts as
# unanswered.
logged=$(awk '$1 == "GET" && $2 == "/" && $3 == 200 { n++ } END { print n + 0 }' "$TMP/nginx/access.log")
counted=$(awk '$1 ~ /^microservice_requests_total\{service="web",protocol="http",method="GET",endpoint="\/",status="200"/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
echo "soak: GET / logged by nginx $logged, counted by sonde $counted"
grep -E '^sonde_(events_lost|exchanges_evicted|requests_unanswered|connections_untracked|parse_failures)_total' "$TMP/metrics" |
	sed 's/^/soak: /'
# After it all, exact: 1,000 requests on one keep-alive connection, in
# web's totals (the hostile routes hold its series budget, so they may
# land in its overflow series).
web_total() {
	curl -s "http://127.0.0.1:$SPORT/metrics" |
		awk '$1 ~ /^microservice_requests_total\{service="web",/ { s += $2 } END { printf "%d\n", s }'
}
before=$(web_total)
for i in $(seq 1000); do echo "url = \"http://127.0.0.1:$HTTP/final\""; echo "output = /dev/null"; done >"$TMP/final"
curl -s -K "$TMP/final"
sleep 2
final=$(($(web_total) - before))
echo "soak: after the run, 1000 requests to /final: $final more counted"
# Drift over the second half of the run, once the series budgets are full.
awk -v half="$(($(wc -l <"$TMP/samples") / 2))" 'NR == half { r0 = $2; m0 = $4 } { r = $2; m = $4 } END {
	printf "soak: over the second half, RSS %d -> %d kB (%+.1f%%), maps %d -> %d B (%+.1f%%)\n", r0, r, r0 ? 100 * (r - r0) / r0 : 0, m0, m, m0 ? 100 * (m - m0) / m0 : 0 }' "$TMP/samples"
grep -cE ' (error|warn) ' "$TMP/sonde.log" | xargs printf 'soak: %s warnings and errors logged\n'
grep -E ' (error|warn) ' "$TMP/sonde.log" | sort -k3 | uniq -c -f2 | head -5 | sed 's/^/soak:   /'
[ "$final" = 1000 ] || { echo "soak: the count after the run is not exact"; exit 1; }
