#!/bin/bash
# A process that moved bytes on a socket before it was a target, and was
# then left out of every send and receive at one bit (strangers), is
# followed once a selector takes it. A Python server passes bytes over a
# socket pair first, then listens on the port a port selector names;
# when sonde's rescan selects it, its 7 requests are counted, as many as
# its own log shows.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

PORT=$(free_port)
start_sonde --target "port:$PORT=late"
/usr/bin/python3 - "$PORT" "$TMP/warm" 2>"$TMP/server.log" <<'PY' &
import os, socket, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
a, b = socket.socketpair()
for _ in range(100):
    a.send(b"x")
    b.recv(1)
open(sys.argv[2], "w").close()
time.sleep(0.5)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"late\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
SERVER=$!
CHILDREN+=("$SERVER")
wait_listen "$PORT" 10 || fail "the server did not start: $(cat "$TMP/server.log")"
for ((i = 0; i < 50; i++)); do grep -q "observing pid $SERVER " "$TMP/sonde.log" && break; sleep 0.1; done
grep -q "observing pid $SERVER " "$TMP/sonde.log" || fail "the rescan did not select the server"
pass "the server, a stranger before it listened, is selected by its port"
for i in $(seq 7); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/item/$i" || fail "request $i failed"; done
served=$(grep -c '"GET /item/[0-9]* HTTP/1.1" 200' "$TMP/server.log")
[ "$served" = 7 ] || fail "the server logged $served requests"
wait_metric 'microservice_requests_total{service="late",protocol="http",method="GET",endpoint="/item/{id}",status="200"}' "$served" 10
stop_sonde
