#!/bin/bash
# The kernel side follows --max-connections connections at once; those
# beyond are not followed, and sonde_connections_untracked_total counts
# them. With a table of 1024, a client opens 1100 keep-alive connections
# to nginx and makes two requests on each: the first 1024 connections
# count both, the other 76 are counted as untracked, and nothing else is
# lost (the kernel's LRU gives up no live connection before the cap).
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl /usr/bin/python3

start_sonde --target exe:nginx=web --max-connections 1024
PORT=$(free_port)
NGINX_CONNECTIONS=2048 start_nginx "$PORT"
/usr/bin/python3 - "$PORT" "$ROOT/tests/integration/peers" >"$TMP/client.out" 2>&1 <<'PY' || fail "the client failed: $(cat "$TMP/client.out")"
import resource, socket, sys
sys.path.insert(0, sys.argv[2])
from keepalive import ask
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
port = int(sys.argv[1])
conns = []
for _ in range(1100):
    s = socket.create_connection(("127.0.0.1", port))
    ask(s, b"/api/users/7")
    conns.append(s)
print("first round done", flush=True)
for s in conns:
    ask(s, b"/api/users/7")
print("second round done")
PY
RT='microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/api/users/{id}",status="201"}'
# The drain runs every few ms: once two scrapes a second apart agree,
# everything is in.
prev=
for ((i = 0; i < 30; i++)); do
	scrape
	now=$(grep -E '^(microservice_requests_total|sonde_connections_untracked_total)' "$TMP/metrics")
	[ -n "$prev" ] && [ "$now" = "$prev" ] && break
	prev=$now
	sleep 1
done
expect_metric 'sonde_connections_untracked_total' 76
expect_metric "$RT" 2048
expect_metric 'sonde_exchanges_evicted_total' 0
expect_metric 'sonde_events_lost_total' 0
stop_sonde
