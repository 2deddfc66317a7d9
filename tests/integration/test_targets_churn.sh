#!/bin/bash
# Process churn under a port selector: a forking HTTP server whose
# children each serve one connection and exit, while sonde rescans every
# second. Every request counted, and once the children are gone no dead
# pid stays a target (a rescan racing an exit used to put it back, to
# lend its service to the next process given that pid).
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

PORT=$(free_port)
/usr/bin/python3 - "$PORT" <<'PY' >"$TMP/server.log" 2>&1 &
import http.server, socketserver, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *args):
        pass
class Server(socketserver.ForkingMixIn, http.server.HTTPServer):
    pass
Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
SERVER=$!
CHILDREN+=("$SERVER")
wait_listen "$PORT" 10 || fail "the server did not start: $(cat "$TMP/server.log")"
start_sonde --target "port:$PORT=web"
wait_metric sonde_targets 1 10
# 4 s of connections, each served by a child that exits after it.
end=$((SECONDS + 4)) n=0
while ((SECONDS < end)); do
	curl -s -o /dev/null "http://127.0.0.1:$PORT/x" && n=$((n + 1))
done
pass "$n requests, each in a child of its own"
wait_metric "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/x\",status=\"200\"}" "$n" 10
# The children are gone; two rescans later, only the server is a target.
sleep 2.5
wait_metric sonde_targets 1 5
