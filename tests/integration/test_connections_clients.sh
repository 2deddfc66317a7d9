#!/bin/bash
# Connections and clients, from outside: open server connections held by
# nginx, started before sonde, and 40 short-lived curl processes selected
# by executable as they start: their requests by peer and status, refused connects, connect
# times, bytes, and the processes' resource use.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl promtool /usr/bin/python3

PORT=$(free_port)
CLOSED=$(free_port)
start_nginx "$PORT"
start_sonde --target exe:nginx=web --target exe:curl=client
BASE=http://127.0.0.1:$PORT

# 5 keep-alive connections held open, never carrying a byte, then
# closed: nginx's listener, there when sonde started, is known to the
# kernel, which follows its connections from their handshake.
/usr/bin/python3 - "$PORT" "$TMP/held" <<'PY' &
import os, socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(5)]
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
for c in conns:
    c.close()
PY
HOLDER=$!
CHILDREN+=("$HOLDER")
for i in $(seq 100); do [ -e "$TMP/held" ] && break; sleep 0.05; done
wait_metric 'microservice_active_connections{service="web"}' 5 10
rm -f "$TMP/held"
wait "$HOLDER"
wait_metric 'microservice_active_connections{service="web"}' 0 10

# 40 curl processes: 25 GETs that return 200, 5 that return 404, 10
# connects to a port where nothing listens.
for i in $(seq 25); do curl -s -o /dev/null "$BASE/"; done
for i in $(seq 5); do curl -s -o /dev/null "$BASE/nope/$i"; done
for i in $(seq 10); do curl -s -o /dev/null "http://127.0.0.1:$CLOSED/"; done

CR='microservice_client_requests_total{service="client",protocol="http",method="GET"'
wait_metric "microservice_connection_failures_total{service=\"client\",peer=\"127.0.0.1:$CLOSED\",reason=\"refused\"}" 10 15
expect_metric "$CR,peer=\"127.0.0.1:$PORT\",status=\"200\"}" 25
expect_metric "$CR,peer=\"127.0.0.1:$PORT\",status=\"404\"}" 5
expect_metric "microservice_client_request_duration_seconds_count{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$PORT\",status=\"200\"}" 25
expect_metric "microservice_tcp_connect_duration_seconds_count{service=\"client\",peer=\"127.0.0.1:$PORT\"}" 30
expect_no_line "^microservice_client_requests_total\\{[^}]*peer=\"127.0.0.1:$CLOSED\"" "no requests counted to the closed port"
# The server sees the same requests, its peers without ephemeral ports.
expect_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 25
awk '$1 == "microservice_tcp_received_bytes_total{service=\"web\",peer=\"127.0.0.1\"}" { exit !($2 > 25 * 70) }' "$TMP/metrics" \
	|| fail "nginx's received bytes are missing or too small"
pass "bytes received by nginx from 127.0.0.1 counted at close"
expect_metric 'microservice_processes{service="web"}' 2
awk '$1 == "microservice_process_resident_memory_bytes{service=\"web\"}" { exit !($2 > 1000000) }' "$TMP/metrics" \
	|| fail "nginx's resident memory is missing"
grep -q '^microservice_process_cpu_seconds_total{service="web"} ' "$TMP/metrics" || fail "no CPU time for web"
pass "resource use of nginx's processes"
expect_metric 'sonde_events_lost_total' 0
promtool_check
stop_sonde
