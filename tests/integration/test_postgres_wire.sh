#!/bin/bash
# A real PostgreSQL under pgbench, in the simple, extended and prepared
# query protocols, both observed: exact counts per statement verb on the
# server and on pgbench's side; a failing statement is "error"; no SQL
# text in any label.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd pgbench psql runuser curl promtool

PORT=$(free_port)
start_postgres "$PORT"
pgbench -i -q -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/pgbench-init.log" 2>&1 ||
	fail "pgbench -i failed: $(tail -3 "$TMP/pgbench-init.log")"
POSTMASTER=$(head -n 1 "$PG_DIR/data/postmaster.pid")
start_sonde --target "pid:$POSTMASTER=db" --target exe:pgbench=bench

# 50 transactions in each protocol, over two connections. Each is BEGIN,
# three UPDATEs, a SELECT, an INSERT and END; pgbench also runs two
# SELECTs of its own on a first connection.
for mode in simple extended prepared; do
	pgbench -n -c 2 -t 25 -M "$mode" -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/pgbench-$mode.log" 2>&1 ||
		fail "pgbench -M $mode failed: $(tail -3 "$TMP/pgbench-$mode.log")"
done
psql -h 127.0.0.1 -p "$PORT" -U postgres -c 'select * from no_such_table' postgres >/dev/null 2>&1

RT='microservice_requests_total{service="db",protocol="postgresql"'
wait_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"error\"}" 1 15
expect_metric "$RT,method=\"BEGIN\",endpoint=\"BEGIN\",status=\"ok\"}" 150
expect_metric "$RT,method=\"UPDATE\",endpoint=\"UPDATE\",status=\"ok\"}" 450
expect_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"ok\"}" 156
expect_metric "$RT,method=\"INSERT\",endpoint=\"INSERT\",status=\"ok\"}" 150
expect_metric "$RT,method=\"END\",endpoint=\"END\",status=\"ok\"}" 150
expect_metric 'microservice_request_duration_seconds_count{service="db",protocol="postgresql",method="UPDATE",endpoint="UPDATE",status="ok"}' 450
n=$(grep -c '^microservice_requests_total{service="db"' "$TMP/metrics")
[ "$n" = 6 ] || fail "expected 6 server request series, found $n"
pass "exactly 6 server request series"
# The client side: pgbench's own statements.
sum_client() { # method
	awk -v m="method=\"$1\"" '$1 ~ /^microservice_client_requests_total\{service="bench",protocol="postgresql",/ && index($1, m) && /status="ok"/ { s += $2 } END { print s + 0 }' "$TMP/metrics"
}
for verb in BEGIN:150 UPDATE:450 SELECT:156 INSERT:150 END:150; do
	[ "$(sum_client "${verb%:*}")" = "${verb#*:}" ] ||
		fail "pgbench made $(sum_client "${verb%:*}") ${verb%:*} statements, expected ${verb#*:}"
	pass "client side: ${verb#*:} ${verb%:*}"
done
expect_no_line 'pgbench_|abalance|no_such_table' "no SQL text in labels"
expect_no_line '^microservice_errors_total\{service="db"' "a missing table is no server error"
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
