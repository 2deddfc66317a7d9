#!/bin/bash
# Functions named in the configuration, timed and counted from outside:
# a C program's process_order (20 calls, 5 returning -1, about 2 ms each),
# a recursive function, a function on 8 threads at once, a function of a
# library the program loads, one called while
# a thread serves an HTTP request (its INTERNAL span the SERVER span's
# child, decoded with protoc), a Go function (probes on its return
# instructions) and a Python function through CPython's USDT probes, a
# call in flight at its process's death counted as lost; then a SIGHUP
# that swaps the functions without a restart, and bad entries refused at
# start and at reload.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd cc go protoc promtool curl /usr/bin/python3.11
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

cc -O2 -g -o "$TMP/orders" "$ROOT/tests/integration/peers/orders.c" -lpthread || fail "cc failed"
cc -O2 -g -shared -fPIC -o "$TMP/liborders.so" "$ROOT/tests/integration/peers/liborders.c" || fail "cc -shared failed"
cp "$TMP/orders" "$TMP/orders_web"
export GOCACHE=$TMP/gocache GOPATH=$TMP/gopath
go build -o "$TMP/go_orders" "$ROOT/tests/integration/peers/go_orders.go" || fail "go build failed"
cp "$ROOT/tests/integration/peers/py_orders.py" "$ROOT/tests/integration/peers/elsewhere.py" "$TMP/"
# Debian's CPython under a name of its own: the OTLP receiver's is not
# the service.
cp /usr/bin/python3.11 "$TMP/pyorders"
protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/otlp.proto" || fail "protoc --python_out failed"
RPORT=$(free_port)
mkdir -p "$TMP/otlp"
/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" "$TMP/otlp" &
CHILDREN+=($!)
wait_listen "$RPORT" 10 || fail "the OTLP receiver did not start"

services() {
	cat <<'EOF'
services:
  - name: orders
    match: {exe: orders}
  - name: web
    match: {exe: orders_web}
  - name: goorders
    match: {exe: go_orders}
  - name: pyorders
    match: {exe: pyorders}
EOF
}
{
	services
	cat <<'EOF'
functions:
  - service: orders
    symbol: process_order
    error_when: "<0"
  - service: orders
    symbol: walk_tree
  - service: web
    symbol: process_order
  - service: goorders
    symbol: main.processOrder
    name: process_order
    error_when: "<0"
  - service: pyorders
    symbol: py_orders.process_order
    runtime: python
  - service: orders
    symbol: lib_charge
    library: liborders.so
    error_when: "<0"
EOF
} >"$TMP/sonde.yaml"

# Refused at start: an unknown service, an empty symbol, a bad error_when.
refused() { # what, yaml of one function, expected message
	{ services; printf 'functions:\n%s\n' "$2"; } >"$TMP/bad.yaml"
	"$SONDE" --config "$TMP/bad.yaml" --listen 127.0.0.1:0 >"$TMP/bad.log" 2>&1
	local rc=$?
	[ "$rc" = 2 ] || fail "sonde exited $rc with $1, expected 2: $(cat "$TMP/bad.log")"
	grep -qF "$3" "$TMP/bad.log" || fail "no '$3' for $1: $(cat "$TMP/bad.log")"
	pass "refused at start: $1 ($3)"
}
refused "an unknown service" $'  - service: billing\n    symbol: f' "bad.yaml:11: service: no service billing under services"
refused "an empty symbol" $'  - service: orders\n    symbol: ""' "bad.yaml:12: symbol: expected 1 to 255 characters"
refused "a bad error_when" $'  - service: orders\n    symbol: f\n    error_when: "<-1"' \
	"bad.yaml:13: error_when: expected never, <0, ==0, !=0, >0 or <=0"

OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RPORT OTEL_BSP_SCHEDULE_DELAY=100 start_sonde --config "$TMP/sonde.yaml"

# Each program waits for its go file until its probes are in.
run() { # service function go-file command...
	local service=$1 function=$2 go=$3 i
	shift 3
	rm -f "$go"
	"$@" &
	local pid=$!
	CHILDREN+=("$pid")
	for ((i = 0; i < 100; i++)); do
		scrape
		[ "$(metric "sonde_function_probe_processes{service=\"$service\",function=\"$function\"}")" = 1 ] && break
		sleep 0.1
	done
	[ "$i" -lt 100 ] || fail "no probes for $service's $function in 10 s"
	touch "$go"
	RUN_PID=$pid
}
run orders process_order "$TMP/go" "$TMP/orders" calls 20 5 "$TMP/go"
wait "$RUN_PID" || fail "orders calls failed"
F='{service="orders",function="process_order"'
wait_metric "microservice_function_calls_total$F,status=\"ok\"}" 15
expect_metric "microservice_function_calls_total$F,status=\"error\"}" 5
expect_metric "microservice_function_duration_seconds_count$F}" 20
expect_metric "microservice_function_duration_seconds_bucket$F,le=\"0.001\"}" 0
pass "20 calls of about 2 ms: 15 ok, 5 errors, none below the 1 ms bucket"

run orders walk_tree "$TMP/go" "$TMP/orders" recurse 5 "$TMP/go"
wait "$RUN_PID" || fail "orders recurse failed"
W='{service="orders",function="walk_tree"'
wait_metric "microservice_function_duration_seconds_count$W}" 6
# Levels of 1 to 6 ms, each its own call: 21 ms at least, and each level
# within its bucket.
/usr/bin/python3 - "$(metric "microservice_function_duration_seconds_sum$W}")" \
	"$(metric "microservice_function_duration_seconds_bucket$W,le=\"0.001\"}")" \
	"$(metric "microservice_function_duration_seconds_bucket$W,le=\"0.005\"}")" \
	"$(metric "microservice_function_duration_seconds_bucket$W,le=\"0.01\"}")" <<'PY' ||
import sys
total, b1, b5, b10 = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
assert 0.021 <= total < 0.06, total
assert b1 == 0 and 3 <= b5 <= 4 and b10 == 6, (b1, b5, b10)
PY
	fail "the recursion's durations are not 6 nested levels of 1 ms"
pass "a recursion 6 deep: 6 calls, each timed on its own"

run orders process_order "$TMP/go" "$TMP/orders" threads 8 10 "$TMP/go"
wait "$RUN_PID" || fail "orders threads failed"
wait_metric "microservice_function_calls_total$F,status=\"ok\"}" 95
expect_metric "microservice_function_duration_seconds_count$F}" 100
expect_metric "microservice_function_duration_seconds_bucket$F,le=\"0.001\"}" 0
pass "8 threads calling it at once: 80 more calls, all timed"

# A function of a library the program loads, named by the library's file.
run orders lib_charge "$TMP/go" "$TMP/orders" charge "$TMP/liborders.so" 12 3 "$TMP/go"
wait "$RUN_PID" || fail "orders charge failed"
L='{service="orders",function="lib_charge"'
wait_metric "microservice_function_calls_total$L,status=\"ok\"}" 9
expect_metric "microservice_function_calls_total$L,status=\"error\"}" 3
expect_metric "microservice_function_duration_seconds_bucket$L,le=\"0.0005\"}" 0
pass "a library's function (library: liborders.so): 9 ok, 3 errors"

run goorders process_order "$TMP/go" "$TMP/go_orders" 40 10 4 "$TMP/go"
wait "$RUN_PID" || fail "go_orders failed"
G='{service="goorders",function="process_order"'
wait_metric "microservice_function_calls_total$G,status=\"ok\"}" 30
expect_metric "microservice_function_calls_total$G,status=\"error\"}" 10
expect_metric "microservice_function_duration_seconds_bucket$G,le=\"0.001\"}" 0
pass "a Go function on 4 goroutines: 30 ok, 10 errors"

run pyorders py_orders.process_order "$TMP/go" "$TMP/pyorders" "$TMP/py_orders.py" 30 7 "$TMP/go"
wait "$RUN_PID" || fail "py_orders failed"
P='{service="pyorders",function="py_orders.process_order"'
wait_metric "microservice_function_calls_total$P,status=\"ok\"}" 30
expect_metric "microservice_function_duration_seconds_count$P}" 30
expect_metric "microservice_function_duration_seconds_bucket$P,le=\"0.001\"}" 0
pass "a Python function through USDT: 30 calls, elsewhere.process_order's 7 not among them"

# A call in flight when its process is killed is lost, and counted.
LOST=$(metric 'sonde_function_calls_lost_total{reason="exit"}')
run orders process_order "$TMP/go" "$TMP/orders" hold "$TMP/go"
sleep 0.3
kill -9 "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
wait_metric 'sonde_function_calls_lost_total{reason="exit"}' $((LOST + 1))

# The function on the thread serving a request: a child of its span.
PORT=$(free_port)
run web process_order "$TMP/go" "$TMP/orders_web" serve "$PORT" "$TMP/go"
wait_listen "$PORT" 10 || fail "orders_web is not listening"
for i in 1 2 3; do curl -sf "http://127.0.0.1:$PORT/orders/$i" >/dev/null || fail "the request to orders_web failed"; done
wait_metric 'microservice_function_duration_seconds_count{service="web",function="process_order"}' 3
spans() { /usr/bin/python3 "$ROOT/tests/integration/peers/otlp_spans.py" "$TMP/otlp" "$TMP"; }
for ((i = 0; i < 100; i++)); do
	[ "$(spans | grep -c '"service.name": "web"')" -ge 6 ] && break
	sleep 0.1
done
spans >"$TMP/spans.jsonl"
protoc_decode_all "$TMP/otlp"
/usr/bin/python3 - "$TMP/spans.jsonl" <<'PY' || fail "the INTERNAL spans are not the SERVER spans' children"
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
web = [s for s in spans if s["resource"]["service.name"] == "web"]
servers = {s["span_id"]: s for s in web if s["kind"] == 2}
internal = [s for s in web if s["kind"] == 1]
assert len(servers) == 3 and len(internal) == 3, (len(servers), len(internal))
for s in internal:
    parent = servers.get(s["parent"])
    assert parent, s
    assert s["trace_id"] == parent["trace_id"] and s["name"] == "process_order", s
    assert s["attributes"]["code.function.name"] == "process_order", s
    assert parent["start"] <= s["start"] and s["end"] <= parent["end"], (s, parent)
PY
pass "3 INTERNAL process_order spans, each a child of its request's SERVER span (protoc decodes every body)"

scrape
promtool_check

# A reload swaps the functions: process_order goes, walk_tree comes back
# as tree_walk.
{
	services
	cat <<'EOF'
functions:
  - service: orders
    symbol: walk_tree
    name: tree_walk
EOF
} >"$TMP/sonde.yaml"
kill -HUP "$SONDE_PID"
wait_log "reloaded .* 1 functions" 10 "sonde did not reload"
run orders tree_walk "$TMP/go" "$TMP/orders" recurse 2 "$TMP/go"
wait "$RUN_PID" || fail "orders recurse failed"
wait_metric 'microservice_function_duration_seconds_count{service="orders",function="tree_walk"}' 3
rm -f "$TMP/go"
"$TMP/orders" calls 4 0 "$TMP/go" &
CALLS=$!
sleep 1
touch "$TMP/go"
wait "$CALLS"
sleep 0.5
scrape
expect_metric "microservice_function_duration_seconds_count$F}" 100
pass "after SIGHUP: tree_walk counted, process_order no longer probed"

# A bad reload is refused, and the running functions stay.
printf '%s\nfunctions:\n  - service: orders\n    symbol: walk_tree\n    error_when: sometimes\n' "$(services)" \
	>"$TMP/sonde.yaml"
kill -HUP "$SONDE_PID"
wait_log "reload refused.*sonde.yaml:13: error_when" 10 "the bad reload was not refused by file and line"
run orders tree_walk "$TMP/go" "$TMP/orders" recurse 2 "$TMP/go"
wait "$RUN_PID" || fail "orders recurse failed"
wait_metric 'microservice_function_duration_seconds_count{service="orders",function="tree_walk"}' 6
pass "a bad reload refused with file and line; tree_walk still counted"
expect_metric 'sonde_events_lost_total' 0
stop_sonde
