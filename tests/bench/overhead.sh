#!/bin/bash
# Overhead benchmark. Two nginx (one worker each, a 6-byte body, a plaintext
# and an HTTPS port each): the target, which sonde observes, and a
# bystander started from a copy of the nginx binary, which nothing targets
# but which maps the same libssl. wrk -t1 -c16 loads each port in turn
# while nothing observes them, while sonde does, and while the peers do: a
# BASELINE sonde binary when given, and bpftrace with the simplest TLS
# observer (a uprobe and a uretprobe on SSL_read and SSL_write counting
# calls, for the target worker's pid); with MODES=1 (the default) also
# this sonde in its fallback mode, --hooks syscalls (the observer
# "syscalls"). The observers take turns within each
# round, in rotating order, so machine noise hits them alike.
#
# Per port and observer it reports the median throughput ratio against
# the same round's unobserved run and the CPU added per request (the whole
# machine's busy time, so the BPF programs and the daemon are in it). For
# sonde and a BASELINE sonde it also reports the BPF run time per request,
# from a short extra load per round with kernel.bpf_stats_enabled (the
# accounting costs time itself, so it stays off while throughput is
# measured); for sonde the events lost, and its memory: the daemon's resident set after each round's loads and
# what its BPF maps lock. After each observer's loads, dd copies
# SYSCALLS bytes one at a time (a process nothing targets): the CPU added
# to each of its read and write syscalls. sonde's loads start once its TLS probes' warm
# window (10 s after it attaches, while a new target attaches fastest)
# is over: the steady state; WARM=0 measures within the window. With
# PAGE=1, the observer "page" is this sonde with its status page fetched
# every second meanwhile (ten times the page's own refresh).
#   PAIRS=5 DURATION=5 BASELINE=/path/to/sonde PEER=1 PAGE=1 make bench
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PAIRS=${PAIRS:-5}
DURATION=${DURATION:-5}
STATS_DURATION=${STATS_DURATION:-2}
SYSCALLS=${SYSCALLS:-1000000}
SONDE=${SONDE:-$ROOT/build/sonde}
BASELINE=${BASELINE:-}
PEER=${PEER:-1}
MODES=${MODES:-1}
PAGE=${PAGE:-0}
PAGE_PID=
SONDE_ARGS=${SONDE_ARGS:-}
OTLP=${OTLP:-0}
WARM=${WARM:-10.5}
LIBSSL=${LIBSSL:-$(ldconfig -p | awk '/libssl.so.3 .*x86-64|libssl.so.3 .*64/ { print $NF; exit }')}
TMP=$(mktemp -d /tmp/sonde-bench.XXXXXX)
PIDS=()
OBS_PID=
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	[ -n "$OBS_PID" ] && kill "$OBS_PID" 2>/dev/null
	[ -n "$PAGE_PID" ] && kill "$PAGE_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench: needs root to load BPF"; exit 1; }
for c in nginx wrk curl openssl bpftool; do command -v $c >/dev/null || { echo "bench: $c missing (make deps)"; exit 1; }; done
if [ "$PEER" = 1 ] && ! command -v bpftrace >/dev/null; then echo "bench: bpftrace missing (make deps), no peer"; PEER=0; fi

port() { local p; while :; do p=$((10000 + RANDOM % 22000)); ss -Htan "sport = :$p" | grep -q . || { echo $p; return; }; done; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || { echo "bench: openssl could not make a certificate"; exit 1; }

# nginx on two ports of its own; prints its master's pid.
start_nginx() { # name binary http_port https_port
	local dir=$TMP/$1
	mkdir -p "$dir"
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	server {
		listen 127.0.0.1:$3;
		listen 127.0.0.1:$4 ssl;
		ssl_certificate $TMP/cert.pem;
		ssl_certificate_key $TMP/key.pem;
		location / { return 200 "hello\n"; }
	}
}
CONF
	"$2" -c "$dir/nginx.conf" -e "$dir/error.log" >/dev/null 2>&1 &
	echo $!
}

TPORT=$(port) TTLS=$(port) BPORT=$(port) BTLS=$(port) SPORT=$(port)
mkdir -p "$TMP/bin"
cp "$(command -v nginx)" "$TMP/bin/nginx-bystander"
TARGET=$(start_nginx target "$(command -v nginx)" "$TPORT" "$TTLS")
BYSTANDER=$(start_nginx bystander "$TMP/bin/nginx-bystander" "$BPORT" "$BTLS")
PIDS+=("$TARGET" "$BYSTANDER")
if [ "$OTLP" = 1 ]; then
	RPORT=$(port)
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" - &
	PIDS+=($!)
	export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT
	export OTEL_TRACES_SAMPLER=${OTEL_TRACES_SAMPLER:-always_on}
	echo "tracing to a loopback OTLP receiver, sampler $OTEL_TRACES_SAMPLER ${OTEL_TRACES_SAMPLER_ARG:-}"
fi
sleep 1
for p in "$TARGET" "$BYSTANDER"; do kill -0 "$p" 2>/dev/null || { echo "bench: nginx did not start"; cat "$TMP"/*/error.log; exit 1; }; done
WORKER=$(pgrep -P "$TARGET" | head -n 1)
[ -n "$WORKER" ] || { echo "bench: no nginx worker"; exit 1; }

LOADS=(http https bystander_http bystander_https)
declare -A URL=([http]="http://127.0.0.1:$TPORT/" [https]="https://127.0.0.1:$TTLS/"
	[bystander_http]="http://127.0.0.1:$BPORT/" [bystander_https]="https://127.0.0.1:$BTLS/")

busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# The observer daemon's own CPU time, in clock ticks (0 without one).
own_jiffies() { [ -n "$OBS_PID" ] && awk '{ print $14 + $15 }' /proc/"$OBS_PID"/stat 2>/dev/null || echo 0; }

# Runs wrk on a URL for $1 seconds; prints "requests req_per_s
# busy_jiffies own_jiffies" (the observer daemon's share of the busy time).
load() { # seconds url
	local before after own_before own_after out
	before=$(busy_jiffies) own_before=$(own_jiffies)
	out=$(wrk -t1 -c16 -d"$1s" "$2" 2>&1)
	after=$(busy_jiffies) own_after=$(own_jiffies)
	echo "$(echo "$out" | awk '/requests in/ { print $1 }') $(echo "$out" | awk '/Requests\/sec/ { print $2 }') $((after - before)) $((own_after - own_before))"
}

prog_ids() { bpftool prog show -j | /usr/bin/python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }
# The run time, in ns, of the programs with these ids.
prog_ns() { # ids...
	bpftool prog show -j | /usr/bin/python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1:])
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if p["id"] in ids))' "$@"
}
# The run time, in ns, of the one of these programs with this name.
prog_named_ns() { # name ids...
	bpftool prog show -j | /usr/bin/python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[2:])
print(sum(p.get("run_time_ns", 0) for p in json.load(sys.stdin) if p["id"] in ids and p.get("name") == sys.argv[1]))' "$@"
}
# What the maps of these programs lock, in bytes.
maps_bytes() { # prog ids...
	local ids
	ids=$(for p in "$@"; do bpftool prog show id "$p" -j; echo; done | /usr/bin/python3 -c '
import json, sys
m = set()
for line in sys.stdin:
    if line.strip():
        m.update(json.loads(line).get("map_ids", []))
print(" ".join(map(str, m)))')
	bpftool map show -j | /usr/bin/python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1:])
print(sum(int(m.get("bytes_memlock", 0)) for m in json.load(sys.stdin) if m["id"] in ids))' $ids
}

# CPU time, in ns, of one read or write syscall of a process nothing
# targets: dd copying a byte at a time.
syscall_ns() {
	local out
	out=$( { TIMEFORMAT='%3U %3S'; time dd if=/dev/zero of=/dev/null bs=1 count="$SYSCALLS" 2>/dev/null; } 2>&1)
	echo "$out" | awk -v n="$SYSCALLS" '{ printf "%.1f", ($1 + $2) * 1e9 / (2 * n) }'
}

metric() { curl -s "http://127.0.0.1:$SPORT/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

# Starts an observer; sets OBS_PID and OBS_PROGS (its programs' ids).
start_observer() { # none|sonde|baseline|bpftrace
	local before i bin
	OBS_PID= OBS_PROGS=
	before=" $(prog_ids) "
	case $1 in
	none) return ;;
	sonde | baseline | syscalls | page)
		bin=$SONDE mode=
		[ "$1" = baseline ] && bin=$BASELINE
		[ "$1" = syscalls ] && mode="--hooks syscalls"
		# shellcheck disable=SC2086
		"$bin" --listen "127.0.0.1:$SPORT" --target "port:$TPORT=bench" $mode $SONDE_ARGS >"$TMP/$1.log" 2>&1 &
		OBS_PID=$!
		for ((i = 0; i < 300; i++)); do
			[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SPORT/health")" = 200 ] &&
				grep -q 'tls: attached to .*libssl' "$TMP/$1.log" && break
			sleep 0.1
		done
		((i < 300)) || { echo "bench: $1 did not start"; cat "$TMP/$1.log"; exit 1; }
		sleep "$WARM"
		if [ "$1" = page ]; then
			while :; do curl -s -o /dev/null "http://127.0.0.1:$SPORT/"; sleep 1; done &
			PAGE_PID=$!
		fi
		;;
	bpftrace)
		cat >"$TMP/peer.bt" <<BT
uprobe:$LIBSSL:SSL_read, uprobe:$LIBSSL:SSL_write { @calls = count(); }
uretprobe:$LIBSSL:SSL_read, uretprobe:$LIBSSL:SSL_write { @returns = count(); }
BT
		bpftrace -p "$WORKER" "$TMP/peer.bt" >"$TMP/bpftrace.log" 2>&1 &
		OBS_PID=$!
		for ((i = 0; i < 300; i++)); do
			grep -q 'Attaching' "$TMP/bpftrace.log" && [ "$(prog_ids | wc -w)" -gt "$(echo "$before" | wc -w)" ] && break
			sleep 0.1
		done
		sleep 0.5
		;;
	esac
	for i in $(prog_ids); do [[ "$before" == *" $i "* ]] || OBS_PROGS+="$i "; done
}

stop_observer() {
	[ -n "$PAGE_PID" ] && kill "$PAGE_PID" 2>/dev/null && wait "$PAGE_PID" 2>/dev/null
	PAGE_PID=
	[ -n "$OBS_PID" ] || return
	kill -INT "$OBS_PID"
	wait "$OBS_PID" 2>/dev/null
	OBS_PID=
}

HZ=$(getconf CLK_TCK)
OBSERVERS=(none sonde)
[ "$MODES" = 1 ] && OBSERVERS+=(syscalls)
[ "$PAGE" = 1 ] && OBSERVERS+=(page)
[ -n "$BASELINE" ] && OBSERVERS+=(baseline)
[ "$PEER" = 1 ] && OBSERVERS+=(bpftrace)
declare -A rps cpu own ratio added bpf_ns sockops_ns sys sys_added
lost_total=0 events_total=0 requests_total=0 rss_max=0 maps=0
printf '%-5s %-9s' round observer
for l in "${LOADS[@]}"; do printf ' %16s' "$l"; done
echo
for round in $(seq "$PAIRS"); do
	n=${#OBSERVERS[@]}
	for ((k = 0; k < n; k++)); do
		obs=${OBSERVERS[$(((k + round - 1) % n))]}
		start_observer "$obs"
		printf '%-5s %-9s' "$round" "$obs"
		for l in "${LOADS[@]}"; do
			read -r req r jif ownj <<<"$(load "$DURATION" "${URL[$l]}")"
			rps[$round,$obs,$l]=$r
			cpu[$round,$obs,$l]=$(awk -v j="$jif" -v q="$req" -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz / q * 1e6 }')
			[[ $obs == sonde || $obs == baseline || $obs == syscalls || $obs == page ]] &&
				own[$obs,$l]+="$(awk -v j="$ownj" -v q="$req" -v hz="$HZ" 'BEGIN { printf "%.2f", j / hz / q * 1e6 }') "
			printf ' %16s' "$r"
			[ "$obs" = sonde ] && [[ $l != bystander_* ]] && requests_total=$((requests_total + req))
		done
		echo
		sys[$round,$obs]=$(syscall_ns)
		if [ "$obs" = sonde ]; then
			sleep 0.3
			events_total=$((events_total + $(metric sonde_events_total)))
			lost_total=$((lost_total + $(metric sonde_events_lost_total)))
			rss=$(awk '/VmRSS/ { print $2 }' /proc/"$OBS_PID"/status)
			((rss > rss_max)) && rss_max=$rss
			maps=$(maps_bytes $OBS_PROGS)
		fi
		# Both sonde builds' BPF time, in the same round: the steadier
		# figure to compare them by.
		if [ "$obs" = sonde ] || [ "$obs" = baseline ]; then
			sysctl -qw kernel.bpf_stats_enabled=1
			for l in http https bystander_http; do
				before=$(prog_ns $OBS_PROGS) so_before=$(prog_named_ns sonde_sockops $OBS_PROGS)
				read -r req r jif _ <<<"$(load "$STATS_DURATION" "${URL[$l]}")"
				after=$(prog_ns $OBS_PROGS) so_after=$(prog_named_ns sonde_sockops $OBS_PROGS)
				bpf_ns[$obs,$l]+="$(awk -v d="$((after - before))" -v q="$req" 'BEGIN { printf "%.0f", d / q }') "
				sockops_ns[$obs,$l]+="$(awk -v d="$((so_after - so_before))" -v q="$req" 'BEGIN { printf "%.0f", d / q }') "
			done
			sysctl -qw kernel.bpf_stats_enabled=0
		fi
		stop_observer
	done
	for obs in "${OBSERVERS[@]}"; do
		[ "$obs" = none ] && continue
		for l in "${LOADS[@]}"; do
			ratio[$obs,$l]+="$(awk -v o="${rps[$round,$obs,$l]}" -v u="${rps[$round,none,$l]}" 'BEGIN { printf "%.3f", o / u }') "
			added[$obs,$l]+="$(awk -v a="${cpu[$round,$obs,$l]}" -v b="${cpu[$round,none,$l]}" 'BEGIN { printf "%.2f", a - b }') "
		done
		sys_added[$obs]+="$(awk -v a="${sys[$round,$obs]}" -v b="${sys[$round,none]}" 'BEGIN { printf "%.1f", a - b }') "
	done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "medians of $PAIRS rounds (ratio: observed/unobserved throughput; CPU: added per request, whole machine):"
for obs in "${OBSERVERS[@]}"; do
	[ "$obs" = none ] && continue
	for l in "${LOADS[@]}"; do
		# shellcheck disable=SC2086
		line="$obs $l: ratio $(median ${ratio[$obs,$l]}), CPU $(median ${added[$obs,$l]}) us"
		# shellcheck disable=SC2086
		[ -n "${own[$obs,$l]:-}" ] && line="$line (the daemon $(median ${own[$obs,$l]}) us)"
		# shellcheck disable=SC2086
		[ -n "${bpf_ns[$obs,$l]:-}" ] &&
			line="$line, BPF time $(median ${bpf_ns[$obs,$l]}) ns per request (sockops $(median ${sockops_ns[$obs,$l]}) ns)"
		echo "$line"
	done
done
for obs in "${OBSERVERS[@]}"; do
	# shellcheck disable=SC2086
	[ "$obs" = none ] || echo "$obs: a read or write syscall of a process it does not target costs $(median ${sys_added[$obs]}) ns more"
done
echo "sonde events: $events_total for $requests_total requests to the target; lost: $lost_total"
echo "sonde memory: resident $(awk -v k="$rss_max" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }') MB at most after a round; BPF maps lock $(awk -v b="$maps" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
