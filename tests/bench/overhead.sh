#!/bin/bash
# Overhead benchmark: nginx (one worker, 6-byte body) under wrk -t1 -c16,
# over plaintext HTTP and over HTTPS (OpenSSL, read through sonde's TLS
# probes), unobserved and observed by sonde in alternating pairs within one
# run, so machine noise hits both sides alike. Reports, per scheme, the
# median throughput ratio,
# the CPU added per request (whole machine, from /proc/stat, so it includes
# the BPF programs and the daemon) and the events lost. OTLP=1 also traces
# requests to a loopback receiver, every one unless OTEL_TRACES_SAMPLER says
# otherwise.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAIRS=${PAIRS:-5}
DURATION=${DURATION:-5}
SONDE_ARGS=${SONDE_ARGS:-}
OTLP=${OTLP:-0}
TMP=$(mktemp -d /tmp/sonde-bench.XXXXXX)
NGINX_PID= SONDE_PID=
RECEIVER_PID=
trap '[ -n "$SONDE_PID" ] && kill $SONDE_PID; [ -n "$NGINX_PID" ] && kill $NGINX_PID; [ -n "$RECEIVER_PID" ] && kill $RECEIVER_PID; wait 2>/dev/null; rm -rf $TMP' EXIT

[ "$(id -u)" = 0 ] || { echo "bench: needs root to load BPF"; exit 1; }
for c in nginx wrk curl openssl; do command -v $c >/dev/null || { echo "bench: $c missing (make deps)"; exit 1; }; done

port() { local p; while :; do p=$((10000 + RANDOM % 22000)); ss -Htln "sport = :$p" | grep -q . || { echo $p; return; }; done; }
PORT=$(port)
TLS_PORT=$(port)
SPORT=$(port)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || { echo "bench: openssl could not make a certificate"; exit 1; }
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	server {
		listen 127.0.0.1:$PORT;
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $TMP/cert.pem;
		ssl_certificate_key $TMP/key.pem;
		location / { return 200 "hello\n"; }
	}
}
CONF
nginx -c "$TMP/nginx.conf" -e "$TMP/error.log" &
NGINX_PID=$!
if [ "$OTLP" = 1 ]; then
	RPORT=$(port)
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" - &
	RECEIVER_PID=$!
	export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT
	export OTEL_TRACES_SAMPLER=${OTEL_TRACES_SAMPLER:-always_on}
	echo "tracing to a loopback OTLP receiver, sampler $OTEL_TRACES_SAMPLER ${OTEL_TRACES_SAMPLER_ARG:-}"
fi
sleep 1
kill -0 "$NGINX_PID" 2>/dev/null || { echo "bench: nginx did not start:"; cat "$TMP/error.log"; exit 1; }

busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Runs wrk on a URL; prints "requests req_per_s busy_jiffies".
load() {
	local before after out
	before=$(busy_jiffies)
	out=$(wrk -t1 -c16 -d"${DURATION}s" "$1" 2>&1)
	after=$(busy_jiffies)
	echo "$(echo "$out" | awk '/requests in/ { print $1 }') $(echo "$out" | awk '/Requests\/sec/ { print $2 }') $((after - before))"
}

start_sonde() {
	"$ROOT/build/sonde" --listen "127.0.0.1:$SPORT" --target "port:$PORT=bench" $SONDE_ARGS >"$TMP/sonde.log" 2>&1 &
	SONDE_PID=$!
	for i in $(seq 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/health")" = 200 ] &&
			grep -q 'tls: attached to .*libssl' "$TMP/sonde.log" && return
		sleep 0.1
	done
	echo "bench: sonde did not start"; cat "$TMP/sonde.log"; exit 1
}

metric() { curl -s "http://127.0.0.1:$SPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

HZ=$(getconf CLK_TCK)
URLS=("http://127.0.0.1:$PORT/" "https://127.0.0.1:$TLS_PORT/")
SCHEMES=(http https)
printf '%-5s %-6s %-12s %-12s %-7s %-14s %-14s\n' pair scheme unobs_rps obs_rps ratio unobs_us_cpu obs_us_cpu
declare -A ratios added
lost_total=0 events_total=0 requests_total=0 spans_out=0 spans_dropped=0
# Both schemes' loads on one side: "requests rps jiffies" per scheme.
side() { local u; for u in "${URLS[@]}"; do load "$u"; done; }
for pair in $(seq "$PAIRS"); do
	# Alternate which side runs first.
	if ((pair % 2)); then
		mapfile -t unobs < <(side)
		start_sonde
		mapfile -t obs < <(side)
	else
		start_sonde
		mapfile -t obs < <(side)
	fi
	sleep 0.3
	ev=$(metric sonde_events_total)
	lost=$(metric sonde_events_lost_total)
	spans_out=$((spans_out + $(metric sonde_spans_exported_total)))
	spans_dropped=$((spans_dropped + $(metric 'sonde_spans_dropped_total{reason="queue_full"}') + $(metric 'sonde_spans_dropped_total{reason="export_failed"}')))
	kill -INT "$SONDE_PID"; wait "$SONDE_PID"; SONDE_PID=
	if ! ((pair % 2)); then mapfile -t unobs < <(side); fi
	for i in 0 1; do
		read -r ureq urps ujif <<<"${unobs[$i]}"
		read -r oreq orps ojif <<<"${obs[$i]}"
		ratio=$(awk -v o="$orps" -v u="$urps" 'BEGIN { printf "%.3f", o / u }')
		ucpu=$(awk -v j="$ujif" -v r="$ureq" -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz / r * 1e6 }')
		ocpu=$(awk -v j="$ojif" -v r="$oreq" -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz / r * 1e6 }')
		printf '%-5s %-6s %-12s %-12s %-7s %-14s %-14s\n' "$pair" "${SCHEMES[$i]}" "$urps" "$orps" "$ratio" "$ucpu" "$ocpu"
		ratios[${SCHEMES[$i]}]+="$ratio "
		added[${SCHEMES[$i]}]+="$(awk -v a="$ocpu" -v b="$ucpu" 'BEGIN { printf "%.2f", a - b }') "
		requests_total=$((requests_total + oreq))
	done
	lost_total=$((lost_total + ${lost:-0}))
	events_total=$((events_total + ${ev:-0}))
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
for scheme in "${SCHEMES[@]}"; do
	# shellcheck disable=SC2086
	echo "$scheme: throughput ratio (observed/unobserved), median of $PAIRS pairs: $(median ${ratios[$scheme]}); added CPU per request, median: $(median ${added[$scheme]}) us"
done
echo "events: $events_total for $requests_total observed requests; lost: $lost_total"
if [ "$OTLP" = 1 ]; then echo "spans: $spans_out exported, $spans_dropped dropped (counted before sonde stopped)"; fi
