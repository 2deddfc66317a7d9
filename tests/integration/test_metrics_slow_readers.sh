#!/bin/bash
# 300 clients that ask for a 3 MB /metrics and never read it cost the
# daemon one copy of it, not 300: they share the scrape in flight. The
# daemon stays under 100 MB resident meanwhile, and another client
# scrapes it whole.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl /usr/bin/python3

PORT=$(free_port)
start_nginx "$PORT"
start_sonde --target exe:nginx=web
# 900 routes of words, each its own series (nginx answers them 201).
/usr/bin/python3 - "$PORT" >"$TMP/urls.curl" <<'PY'
import random, string, sys
random.seed(7)
for i in range(900):
    word = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    print('url = "http://127.0.0.1:%s/api/users/%s"' % (sys.argv[1], word))
    print('output = "/dev/null"')
PY
curl -s --config "$TMP/urls.curl" || fail "the 900 requests failed"
for ((i = 0; i < 150; i++)); do
	scrape
	n=$(awk '$1 ~ /^microservice_requests_total\{service="web",/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
	[ "$n" = 900 ] && break
	sleep 0.1
done
[ "$n" = 900 ] || fail "$n of the 900 requests counted"
size=$(curl -s "http://127.0.0.1:$SONDE_PORT/metrics" | wc -c)
((size > 2000000)) || fail "/metrics is only $size bytes"
pass "/metrics is $size bytes"
/usr/bin/python3 - "$SONDE_PORT" "$TMP/held" "$TMP/stop" <<'PY' >"$TMP/readers.out" 2>&1 &
import os, socket, sys, time
port, held, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
conns = []
for _ in range(300):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.3", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    conns.append(s)
# Each answered (its first bytes arrived), none read past them.
deadline = time.time() + 30
answered = set()
while len(answered) < len(conns) and time.time() < deadline:
    for i, s in enumerate(conns):
        if i not in answered:
            try:
                if s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    answered.add(i)
            except BlockingIOError:
                pass
    time.sleep(0.05)
open(held, "w").write(str(len(answered)))
while not os.path.exists(stop):
    time.sleep(0.1)
PY
READERS=$!
CHILDREN+=("$READERS")
for ((i = 0; i < 350; i++)); do [ -s "$TMP/held" ] && break; sleep 0.1; done
[ "$(cat "$TMP/held" 2>/dev/null)" = 300 ] || fail "not all 300 readers were answered: $(cat "$TMP/held" "$TMP/readers.out")"
pass "300 readers answered, none reading"
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$SONDE_PID/status")
((rss < 100 * 1024)) || fail "sonde holds $((rss / 1024)) MB with 300 readers that never read"
pass "sonde resident: $((rss / 1024)) MB with 300 readers that never read"
got=$(curl -s --interface 127.0.0.2 -m 5 "http://127.0.0.1:$SONDE_PORT/metrics" | grep -c '^microservice_requests_total{service="web"')
[ "$got" = 900 ] || fail "another client got $got request series, not 900"
pass "another client scrapes all 900 series meanwhile"
touch "$TMP/stop"
wait "$READERS"
