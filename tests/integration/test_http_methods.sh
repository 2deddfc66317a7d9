#!/bin/bash
# No hiding behind a long method: a connection whose first request uses
# a method of 8 to 20 characters (PROPFIND, MKCALENDAR, VERSION-CONTROL,
# UPDATEREDIRECTREF) is followed like any other, its requests counted as
# method _OTHER, and the GET after one on the same connection as GET:
# against nginx's own access log.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl /usr/bin/python3

PORT=$(free_port)
NGINX_ACCESS_LOG=$TMP/access.log start_nginx "$PORT"
start_sonde --target exe:nginx=web
for m in PROPFIND MKCALENDAR VERSION-CONTROL UPDATEREDIRECTREF; do
	for i in $(seq 5); do curl -s -o /dev/null -X "$m" "http://127.0.0.1:$PORT/"; done
done
# One connection: a long method first, then a GET.
/usr/bin/python3 - "$PORT" <<'PY' || fail "the keep-alive client failed"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for method in (b"MKREDIRECTREF", b"GET"):
    s.sendall(method + b" / HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(b"hello\n"):
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("closed")
        got += chunk
s.close()
PY
logged=$(grep -c ' / 200$' "$TMP/access.log")
[ "$logged" = 22 ] || fail "nginx logged $logged requests to / with 200, not 22: $(sort "$TMP/access.log" | uniq -c)"
pass "nginx answered 22 requests: 21 with long methods, 1 GET"
RT='microservice_requests_total{service="web",protocol="http"'
wait_metric "$RT,method=\"_OTHER\",endpoint=\"/\",status=\"200\"}" 21 10
expect_metric "$RT,method=\"GET\",endpoint=\"/\",status=\"200\"}" 1
expect_metric 'sonde_connections_not_http_total' 0
expect_metric 'sonde_events_lost_total' 0
