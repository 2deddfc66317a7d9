#!/bin/bash
# Connections older than sonde are followed from their next bytes, on both
# sides. A Python client opens a keep-alive connection to nginx and makes
# 3 requests before sonde starts, then 10 after it attached; sonde targets
# nginx (web) and the client's pid (client). Expected: the 10, counted by
# nginx's side as requests and by the client's as client requests (its
# socket came from connect's ephemeral ports: a client connection), and
# none of the 3.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx /usr/bin/python3

PORT=$(free_port)
start_nginx "$PORT"
/usr/bin/python3 - "$PORT" "$TMP/ready" "$TMP/go" "$ROOT/tests/integration/peers" >"$TMP/client.out" 2>&1 <<'PY' &
import os, socket, sys, time
sys.path.insert(0, sys.argv[4])
from keepalive import ask
port, ready, go = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
def created(i):
    return ask(s, b"/api/users/%d" % i).startswith(b"HTTP/1.1 201")
before = sum(created(i) for i in range(3))
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
after = sum(created(i) for i in range(10))
print("201 before", before, "after", after)
s.close()
PY
CLIENT=$!
CHILDREN+=("$CLIENT")
for ((i = 0; i < 100; i++)); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
[ -e "$TMP/ready" ] || fail "the client did not connect: $(cat "$TMP/client.out")"

start_sonde --target exe:nginx=web --target "pid:$CLIENT=client"
touch "$TMP/go"
wait "$CLIENT" || fail "the client failed: $(cat "$TMP/client.out")"
grep -q '^201 before 3 after 10$' "$TMP/client.out" || fail "the client saw: $(cat "$TMP/client.out")"
pass "the client got 3 answers before sonde and 10 after"

wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/api/users/{id}",status="201"}' 10 10
expect_metric "microservice_client_requests_total{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$PORT\",status=\"201\"}" 10
expect_metric 'sonde_events_lost_total' 0
stop_sonde
