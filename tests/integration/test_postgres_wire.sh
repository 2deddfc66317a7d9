#!/bin/bash
# A real PostgreSQL under pgbench, in the simple, extended and prepared
# query protocols, both observed: exact counts per statement verb on the
# server and on pgbench's side; a failing statement is "error"; no SQL
# text in any label. libpq asks for TLS first (SSLRequest): refused, then
# granted once the server has a certificate, and the statements over TLS
# count the same.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd pgbench psql runuser curl promtool openssl

PORT=$(free_port)
start_postgres "$PORT"
pgbench -i -q -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/pgbench-init.log" 2>&1 ||
	fail "pgbench -i failed: $(tail -3 "$TMP/pgbench-init.log")"
POSTMASTER=$(head -n 1 "$PG_DIR/data/postmaster.pid")
start_sonde --target "pid:$POSTMASTER=db" --target exe:pgbench=bench

# 50 transactions in each protocol, over two connections. Each is BEGIN,
# three UPDATEs, a SELECT, an INSERT and END; pgbench also runs two
# SELECTs of its own on a first connection. libpq asks for TLS (its
# default sslmode, prefer), the server says no: plaintext.
run_pgbench() { # mode
	pgbench -n -c 2 -t 25 -M "$1" -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/pgbench-$1.log" 2>&1 ||
		fail "pgbench -M $1 failed: $(tail -3 "$TMP/pgbench-$1.log")"
}
for mode in simple extended prepared; do run_pgbench "$mode"; done
psql -h 127.0.0.1 -p "$PORT" -U postgres -c 'select * from no_such_table' postgres >/dev/null 2>&1
# The server gets a certificate and reloads: the same again, over TLS.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PG_DIR/data/server.key" -out "$PG_DIR/data/server.crt" \
	-days 1 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl could not make a certificate"
chown postgres "$PG_DIR/data/server.key" "$PG_DIR/data/server.crt"
chmod 600 "$PG_DIR/data/server.key"
echo "ssl = on" >>"$PG_DIR/data/postgresql.conf"
kill -HUP "$POSTMASTER"
for ((i = 0; i < 100; i++)); do
	openssl s_client -starttls postgres -connect "127.0.0.1:$PORT" </dev/null 2>/dev/null | grep -q '^Server certificate' && break
	sleep 0.1
done
[ $i -lt 100 ] || fail "PostgreSQL did not offer TLS after its reload: $(tail -3 "$TMP/pg.log")"
PGSSLMODE=require run_pgbench extended

RT='microservice_requests_total{service="db",protocol="postgresql"'
wait_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"error\"}" 1 15
wait_metric "$RT,method=\"END\",endpoint=\"END\",status=\"ok\"}" 200 15
expect_metric "$RT,method=\"BEGIN\",endpoint=\"BEGIN\",status=\"ok\"}" 200
expect_metric "$RT,method=\"UPDATE\",endpoint=\"UPDATE\",status=\"ok\"}" 600
expect_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"ok\"}" 208
expect_metric "$RT,method=\"INSERT\",endpoint=\"INSERT\",status=\"ok\"}" 200
expect_metric 'microservice_request_duration_seconds_count{service="db",protocol="postgresql",method="UPDATE",endpoint="UPDATE",status="ok"}' 600
# pgbench's 3 connections over TLS, seen from both ends, and the server's
# end of the one openssl s_client that found TLS on.
expect_metric 'sonde_tls_connections_total' 7
n=$(grep -c '^microservice_requests_total{service="db"' "$TMP/metrics")
[ "$n" = 6 ] || fail "expected 6 server request series, found $n"
pass "exactly 6 server request series"
# The client side: pgbench's own statements.
sum_client() { # method
	awk -v m="method=\"$1\"" '$1 ~ /^microservice_client_requests_total\{service="bench",protocol="postgresql",/ && index($1, m) && /status="ok"/ { s += $2 } END { print s + 0 }' "$TMP/metrics"
}
for verb in BEGIN:200 UPDATE:600 SELECT:208 INSERT:200 END:200; do
	[ "$(sum_client "${verb%:*}")" = "${verb#*:}" ] ||
		fail "pgbench made $(sum_client "${verb%:*}") ${verb%:*} statements, expected ${verb#*:}"
	pass "client side: ${verb#*:} ${verb%:*}"
done
expect_no_line 'pgbench_|abalance|no_such_table' "no SQL text in labels"
expect_no_line '^microservice_errors_total\{service="db"' "a missing table is no server error"
# Every connection ended, closed or with its process: none is followed.
wait_metric 'sonde_followed_connections' 0 10
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
