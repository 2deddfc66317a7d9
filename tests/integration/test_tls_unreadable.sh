#!/bin/bash
# TLS that sonde cannot read is said, not passed off as a quiet service.
# gnutls-serv, an HTTPS server on GnuTLS, which no probe reads, answers 6
# one-request connections: sonde_tls_unreadable_connections_total counts
# them, the log names the process once, and /health/detailed calls the
# service's state unknown, its traffic not visible. nginx over HTTPS
# through OpenSSL, observed alike, is read and counted, never called
# unreadable.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl openssl gnutls-serv promtool /usr/bin/python3

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"
GPORT=$(free_port)
gnutls-serv --http --x509certfile "$TMP/cert.pem" --x509keyfile "$TMP/key.pem" -p "$GPORT" >"$TMP/gnutls.log" 2>&1 &
SERVER=$!
CHILDREN+=("$SERVER")
wait_listen "$GPORT" 10 || fail "gnutls-serv did not start: $(cat "$TMP/gnutls.log")"
PORT=$(free_port)
TLS=$(free_port)
start_sonde --target "pid:$SERVER=gnu" --target exe:nginx=web
start_nginx "$PORT" "$TLS"
# The master and its worker, each with probes of its own.
wait_tls_processes 2 15

for i in $(seq 6); do curl -sfk -o /dev/null "https://127.0.0.1:$GPORT/$i" || fail "GnuTLS request $i failed"; done
for i in $(seq 10); do curl -sfk -o /dev/null "https://127.0.0.1:$TLS/" || fail "HTTPS request $i failed"; done

# nginx's last exchange is the last event of the run: once it is in, all are.
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 10 10
expect_metric 'sonde_tls_unreadable_connections_total{service="gnu"}' 6
expect_metric 'sonde_tls_unreadable_connections_total{service="web"}' absent
expect_no_line '^microservice_requests_total\{service="gnu"' "no request counted for the unreadable server"
[ "$(grep -c "service gnu (pid $SERVER, gnutls-serv) speaks TLS through a library sonde does not read" "$TMP/sonde.log")" = 1 ] ||
	fail "the log does not name gnutls-serv once: $(grep 'does not read' "$TMP/sonde.log")"
pass "the log names gnutls-serv once"
curl -s "http://127.0.0.1:$SONDE_PORT/health/detailed" >"$TMP/detailed.json"
/usr/bin/python3 - "$TMP/detailed.json" <<'PY' || fail "/health/detailed: $(cat "$TMP/detailed.json")"
import json, sys
s = json.load(open(sys.argv[1]))["services"]
g, w = s["gnu"], s["web"]
assert g["status"] == "unknown" and "not visible" in g["message"], g
assert w["status"] == "healthy", w
PY
pass "/health/detailed: gnu unknown, its traffic not visible; web healthy"
promtool_check
stop_sonde
