#!/bin/bash
# What a followed function costs the process that calls it. A C program
# calls tick, a function doing nothing, N times (and tick_framed, the
# same starting with push rbp, where the kernel emulates the breakpoint;
# tick starts with a mov, single-stepped), and CPython calls a
# Python function doing nothing M times: unobserved, and while sonde times
# that function (C: an entry probe the kernel emulates and a uretprobe;
# Python: CPython's function__entry and function__return USDT probes, with
# the line semaphore held up so CPython 3.11 reaches function__entry);
# for Python also while sonde follows another function of the process, so
# every call still hits the probes and only the kernel's name lookup
# differs. Rounds interleave the observers; it reports the median calls
# per second and the time each call gains.
#   ROUNDS=3 CALLS=1000000 PYCALLS=1000000 make bench
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SONDE=${SONDE:-$ROOT/build/sonde}
ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-1000000}
PYCALLS=${PYCALLS:-1000000}
TMP=$(mktemp -d /tmp/sonde-bench-fn.XXXXXX)
SONDE_PID=
cleanup() {
	[ -n "$SONDE_PID" ] && kill "$SONDE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench: needs root"; exit 1; }
[ -x /usr/bin/python3.11 ] || { echo "bench: /usr/bin/python3.11 missing"; exit 1; }

cc -O2 -g -o "$TMP/spin" "$ROOT/tests/integration/peers/orders.c" -lpthread || exit 1
cp /usr/bin/python3.11 "$TMP/pyspin"
cat >"$TMP/spin_py.py" <<'PY'
import os, sys, time
def tick(i):
    return i
def other(i):
    return i
n, go = int(sys.argv[1]), sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.01)
t = time.perf_counter()
for i in range(n):
    tick(i)
print(round(n / (time.perf_counter() - t)))
PY
config() { # python function followed
	cat <<YAML
services:
  - {name: spin, match: {exe: spin}}
  - {name: pyspin, match: {exe: pyspin}}
functions:
  - {service: spin, symbol: tick}
  - {service: spin, symbol: tick_framed}
  - {service: pyspin, symbol: spin_py.$1, runtime: python}
YAML
}
start_sonde() { # python function followed
	config "$1" >"$TMP/sonde.yaml"
	SPORT=$((10000 + RANDOM % 22000))
	"$SONDE" --config "$TMP/sonde.yaml" --listen "127.0.0.1:$SPORT" >"$TMP/sonde.log" 2>&1 &
	SONDE_PID=$!
	for ((i = 0; i < 300; i++)); do
		curl -s "http://127.0.0.1:$SPORT/health" | grep -qE '"(healthy|degraded|unhealthy)"' && return 0
		sleep 0.1
	done
	echo "bench: sonde did not start"; cat "$TMP/sonde.log"; exit 1
}
stop_sonde() { kill "$SONDE_PID"; wait "$SONDE_PID" 2>/dev/null; SONDE_PID=; }
# Runs a program that waits for its go file; once sonde reports its probes
# in (or at once, unobserved), lets it go; prints what it prints.
spin() { # service function observed command...
	local service=$1 function=$2 observed=$3 i
	shift 3
	rm -f "$TMP/go"
	"$@" >"$TMP/out" &
	local pid=$!
	if [ "$observed" = 1 ]; then
		for ((i = 0; i < 100; i++)); do
			curl -s "http://127.0.0.1:$SPORT/metrics" |
				grep -q "^sonde_function_probe_processes{service=\"$service\",function=\"$function\"} 1" && break
			sleep 0.1
		done
	fi
	touch "$TMP/go"
	wait "$pid"
	cat "$TMP/out"
}
declare -A R
for round in $(seq "$ROUNDS"); do
	R[c_none]+=" $(spin spin tick 0 "$TMP/spin" spin "$CALLS" "$TMP/go")"
	R[cf_none]+=" $(spin spin tick_framed 0 "$TMP/spin" spin "$CALLS" "$TMP/go" framed)"
	R[py_none]+=" $(spin pyspin x 0 "$TMP/pyspin" "$TMP/spin_py.py" "$PYCALLS" "$TMP/go")"
	start_sonde tick
	R[c_sonde]+=" $(spin spin tick 1 "$TMP/spin" spin "$CALLS" "$TMP/go")"
	R[cf_sonde]+=" $(spin spin tick_framed 1 "$TMP/spin" spin "$CALLS" "$TMP/go" framed)"
	R[py_sonde]+=" $(spin pyspin spin_py.tick 1 "$TMP/pyspin" "$TMP/spin_py.py" "$PYCALLS" "$TMP/go")"
	stop_sonde
	start_sonde other
	R[py_other]+=" $(spin pyspin spin_py.other 1 "$TMP/pyspin" "$TMP/spin_py.py" "$PYCALLS" "$TMP/go")"
	stop_sonde
	echo "round $round: C ${R[c_none]##* } / ${R[c_sonde]##* }, framed ${R[cf_none]##* } / ${R[cf_sonde]##* } calls/s, Python ${R[py_none]##* } / ${R[py_sonde]##* } / ${R[py_other]##* }"
done
median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
report() { # label none observed
	awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%-44s %12.0f -> %10.0f calls/s  (%.2fx, +%.2f us a call)\n", l, a, b, b / a, (1 / b - 1 / a) * 1e6 }'
}
echo "medians of $ROUNDS rounds:"
report "C tick, timed (mov: single-stepped)" "$(median "${R[c_none]}")" "$(median "${R[c_sonde]}")"
report "C tick_framed, timed (push: emulated)" "$(median "${R[cf_none]}")" "$(median "${R[cf_sonde]}")"
report "Python tick, timed (USDT + line tracing)" "$(median "${R[py_none]}")" "$(median "${R[py_sonde]}")"
report "Python tick, another function timed" "$(median "${R[py_none]}")" "$(median "${R[py_other]}")"
