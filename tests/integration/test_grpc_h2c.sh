#!/bin/bash
# A Python grpcio server (a generic handler, no generated code) over h2c,
# called 30 times OK and 5 times failing with INTERNAL on one connection:
# exact counts by RPC path and grpc-status, the INTERNAL ones as errors.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl promtool /usr/bin/python3
/usr/bin/python3 -c 'import grpc' 2>/dev/null || fail "python3-grpcio is not installed (make deps installs it)"
PEER=$ROOT/tests/integration/peers/grpc_greeter.py

PORT=$(free_port)
/usr/bin/python3 "$PEER" serve "$PORT" >"$TMP/greeter.log" 2>&1 &
GREETER=$!
CHILDREN+=($GREETER)
wait_listen "$PORT" 20 || fail "the gRPC server did not start: $(cat "$TMP/greeter.log")"
start_sonde --target "pid:$GREETER=greeter"

/usr/bin/python3 "$PEER" call "$PORT" 30 5 || fail "the gRPC client failed"

RT='microservice_requests_total{service="greeter",protocol="grpc",method="/helloworld.Greeter/SayHello",endpoint="/helloworld.Greeter/SayHello"'
DUR='microservice_request_duration_seconds_count{service="greeter",protocol="grpc",method="/helloworld.Greeter/SayHello",endpoint="/helloworld.Greeter/SayHello"'
wait_metric "$RT,status=\"13\"}" 5 15
expect_metric "$RT,status=\"0\"}" 30
expect_metric "$DUR,status=\"0\"}" 30
expect_metric "$DUR,status=\"13\"}" 5
expect_metric 'microservice_errors_total{service="greeter",type="grpc_error"}' 5
n=$(grep -c '^microservice_requests_total{' "$TMP/metrics")
[ "$n" = 2 ] || fail "expected 2 request series, found $n"
pass "exactly 2 request series"
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
