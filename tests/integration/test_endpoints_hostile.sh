#!/bin/bash
# Endpoints nobody on the host can exhaust: 1,100 connections from one
# address that trickle a header byte by byte hold at most 384 of sonde's 512
# connections, and meanwhile /health and /metrics answer another address
# at once, each time; sonde stays healthy after.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

start_sonde --target exe:nothing-runs-this
/usr/bin/python3 - "$SONDE_PORT" "$TMP/held" "$TMP/stop" <<'PY' >"$TMP/attacker.out" 2>&1 &
import os, socket, sys, time
port, held, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conns = []
for _ in range(1100):
    s = socket.socket()
    s.bind(("127.0.0.3", 0))
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHo")
        conns.append(s)
    except OSError:
        s.close()
time.sleep(1)
# The ones still open: a closed one reads its end at once.
open_now = 0
for s in conns:
    s.setblocking(False)
    try:
        open_now += s.recv(1) != b""
    except BlockingIOError:
        open_now += 1
    except OSError:
        pass
with open(held, "w") as f:
    f.write(str(open_now))
while not os.path.exists(stop):
    for s in conns:
        try:
            s.send(b"s")
        except OSError:
            pass
    time.sleep(2)
PY
ATTACKER=$!
CHILDREN+=("$ATTACKER")
for ((i = 0; i < 100; i++)); do [ -s "$TMP/held" ] && break; sleep 0.1; done
[ -s "$TMP/held" ] || fail "the attacker did not start: $(cat "$TMP/attacker.out")"
held=$(cat "$TMP/held")
((held <= 384)) || fail "$held of the attacker's connections held, more than 384"
pass "the attacker holds $held connections of its 1,100"
for i in $(seq 10); do
	t=$(curl -s -o /dev/null --interface 127.0.0.2 -m 2 -w '%{http_code} %{time_total}' "http://127.0.0.1:$SONDE_PORT/health")
	[ "${t%% *}" = 200 ] || fail "/health answered $t while under attack"
done
pass "/health answered 10 times out of 10 under the attack"
curl -sf --interface 127.0.0.2 -m 2 -o /dev/null "http://127.0.0.1:$SONDE_PORT/metrics" || fail "/metrics did not answer"
pass "/metrics answered under the attack"
touch "$TMP/stop"
wait "$ATTACKER"
curl -sf "http://127.0.0.1:$SONDE_PORT/health" | grep -q healthy || fail "sonde is not healthy after"
pass "sonde healthy after"
