#!/bin/bash
# Bad input loses nothing and crashes nothing: binary junk, a TLS hello on
# a plaintext port, a request with a 70 kB header; good requests still
# count exactly after them, and the connections left alone are counted
# by service and reason.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

PORT=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/framing_server.py" "$PORT" >"$TMP/py.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "python server did not start"
start_sonde --target "port:$PORT=junk"

send() { # bytes (printf format); reads the answer until close or 1 s
	/usr/bin/python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
s.settimeout(1)
try:
    while s.recv(65536):
        pass
except OSError:
    pass
s.close()
PY
}

# 4 connections that never speak HTTP.
send '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03binary'
send '\x00\x01\x02\x03\xff\xfe'
send 'SSH-2.0-OpenSSH_9.2\r\n'
send '*1\r\n$4\r\nPING\r\n'
# A request line, then a 70 kB header line, over Python's limit: answered
# 431 and counted.
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
send "GET /big HTTP/1.1\r\nX-Big: $big\r\n\r\n"
# Good requests still count exactly afterwards.
for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$PORT/after/$i"; done

wait_metric 'microservice_requests_total{service="junk",protocol="http",method="GET",endpoint="/after/{id}",status="200"}' 5 10
# Binary junk and SSH are no protocol; the TLS hello marks its connection
# for the TLS library's probes (none come: the server never speaks TLS);
# the RESP command is followed as Redis until the HTTP reply fails to parse.
expect_metric 'sonde_connections_not_http_total' 2
expect_metric 'sonde_tls_connections_total' 1
expect_metric 'sonde_parse_failures_total{kind="redis"}' 1
# Each left alone, counted by service and reason.
expect_metric 'sonde_connections_left_total{service="junk",reason="unknown_protocol"}' 2
expect_metric 'sonde_connections_left_total{service="junk",reason="redis"}' 1
expect_no_line '^microservice_requests_total\{[^}]*protocol="redis"' "the junk RESP command counts no request"
expect_metric 'microservice_requests_total{service="junk",protocol="http",method="GET",endpoint="/big",status="431"}' 1
expect_metric 'sonde_events_lost_total' 0
kill -0 "$SONDE_PID" || fail "sonde died"
promtool_check
stop_sonde
