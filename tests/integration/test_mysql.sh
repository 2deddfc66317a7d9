#!/bin/bash
# A real MariaDB under mysqlslap (text queries, plaintext and TLS) and
# sysbench oltp_point_select (prepared statements), and a connection a
# client opened before sonde (followed from its next command): sonde's
# counts per verb on the server equal MariaDB's own Com_* counters over
# the run, and the clients' sides equal them too. A missing table is an
# error, a statement past max_statement_time a server error; spans carry
# db.system.name=mysql.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd mariadbd mariadb mariadb-install-db mariadb-slap sysbench openssl protoc /usr/bin/python3

PORT=$(free_port)
start_mariadb "$PORT"
"${MY[@]}" -e 'CREATE DATABASE sbtest' || fail "could not create sbtest"
SB=(sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT" --mysql-user=root
	--mysql-db=sbtest --mysql-ssl=off --tables=1 --table-size=100)
"${SB[@]}" prepare >"$TMP/sb-prepare.log" 2>&1 || fail "sysbench prepare failed: $(tail -3 "$TMP/sb-prepare.log")"

start_otlp_receiver
# A connection held from before sonde: the client runs 3 statements on it.
mkfifo "$TMP/held.in"
"${MY[@]}" -n --force sbtest <"$TMP/held.in" >"$TMP/held.out" 2>&1 &
HELD=$!
CHILDREN+=($HELD)
exec 7>"$TMP/held.in"
for i in 1 2 3; do echo "SELECT $i;" >&7; done
for ((i = 0; i < 100; i++)); do [ "$(wc -l <"$TMP/held.out")" = 3 ] && break; sleep 0.05; done
[ "$(wc -l <"$TMP/held.out")" = 3 ] || fail "the held connection did not answer: $(cat "$TMP/held.out")"

# The held client's input stays ours alone: it ends when we close it.
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "pid:$MARIADB_PID=db" --target exe:mariadb-slap=slap --target exe:sysbench=bench \
	--target "pid:$HELD=held" 7>&-

# The server's Com_ counters; each SHOW counts itself before its answer.
com() { "${MY[@]}" -e "SHOW GLOBAL STATUS LIKE 'Com\\_%'" >"$TMP/com.$1" || fail "SHOW STATUS failed"; }
delta() { # from to counter...
	local c s=0 a b
	for c in "${@:3}"; do
		a=$(awk -v k="Com_$c" '$1 == k { print $2 }' "$TMP/com.$1")
		b=$(awk -v k="Com_$c" '$1 == k { print $2 }' "$TMP/com.$2")
		s=$((s + b - a))
	done
	echo $s
}
slap() { # extra options
	mariadb-slap --no-defaults -h 127.0.0.1 -P "$PORT" -u root "$@" --concurrency=2 --iterations=1 \
		--number-of-queries=100 --auto-generate-sql --auto-generate-sql-load-type=mixed >"$TMP/slap.log" 2>&1 ||
		fail "mysqlslap failed: $(tail -3 "$TMP/slap.log")"
}

com 0
slap --skip-ssl
slap --ssl
com 1
"${SB[@]}" --threads=2 --events=200 --time=0 run >"$TMP/sb-run.log" 2>&1 || fail "sysbench run failed: $(tail -3 "$TMP/sb-run.log")"
com 2
# The held connection's next statements: 10 answered, a missing table, and
# a statement stopped by its time limit (a server error).
for i in $(seq 10); do echo "SELECT $i;" >&7; done
echo "SELECT * FROM no_such_table;" >&7
echo "SET SESSION max_statement_time=0.05, max_recursive_iterations=1000000000;" >&7
echo "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000000) SELECT COUNT(*) FROM r;" >&7
exec 7>&-
wait "$HELD"
grep -q '^ERROR 1969' "$TMP/held.out" || fail "the time limit did not stop the statement: $(tail -3 "$TMP/held.out")"
[ "$(grep -c '^[0-9]\+$' "$TMP/held.out")" = 13 ] || fail "the held connection answered: $(cat "$TMP/held.out")"
com 3
pass "mysqlslap, sysbench and the held connection ran"

RT='microservice_requests_total{service="db",protocol="mysql"'
sel=$(delta 0 3 select)
wait_metric "$RT,method=\"WITH\",endpoint=\"WITH\",status=\"error\"}" 1 15
expect_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"error\"}" 1
expect_metric "$RT,method=\"SELECT\",endpoint=\"SELECT\",status=\"ok\"}" $((sel - 2))
expect_metric "$RT,method=\"INSERT\",endpoint=\"INSERT\",status=\"ok\"}" "$(delta 0 3 insert)"
expect_metric "$RT,method=\"CREATE\",endpoint=\"CREATE\",status=\"ok\"}" "$(delta 0 3 create_db create_table)"
expect_metric "$RT,method=\"DROP\",endpoint=\"DROP\",status=\"ok\"}" "$(delta 0 3 drop_db)"
expect_metric "$RT,method=\"INIT_DB\",endpoint=\"INIT_DB\",status=\"ok\"}" "$(delta 0 3 change_db)"
expect_metric "$RT,method=\"SET\",endpoint=\"SET\",status=\"ok\"}" "$(delta 0 3 set_option)"
expect_metric "$RT,method=\"STMT_PREPARE\",endpoint=\"STMT_PREPARE\",status=\"ok\"}" "$(delta 0 3 stmt_prepare)"
expect_metric "$RT,method=\"STMT_CLOSE\",endpoint=\"STMT_CLOSE\",status=\"ok\"}" "$(delta 0 3 stmt_close)"
expect_metric "$RT,method=\"SHOW\",endpoint=\"SHOW\",status=\"ok\"}" $(($(delta 0 3 show_status) + 1))
[ "$(delta 1 2 stmt_execute)" = 200 ] && [ "$(delta 1 2 select)" = 200 ] ||
	fail "MariaDB counted $(delta 1 2 stmt_execute) executions and $(delta 1 2 select) SELECTs of sysbench's 200"
pass "the server's side: every verb as MariaDB's Com_ counters have it ($sel SELECTs, 200 of them executions)"
# The time limit is the server's error; the missing table the client's.
expect_metric 'microservice_errors_total{service="db",type="mysql_error"}' 1
expect_metric 'microservice_request_duration_seconds_count{service="db",protocol="mysql",method="STMT_CLOSE",endpoint="STMT_CLOSE",status="ok"}' absent

C='microservice_client_requests_total{service='
P="peer=\"127.0.0.1:$PORT\""
expect_metric "$C\"slap\",protocol=\"mysql\",method=\"SELECT\",$P,status=\"ok\"}" "$(delta 0 1 select)"
expect_metric "$C\"slap\",protocol=\"mysql\",method=\"INSERT\",$P,status=\"ok\"}" "$(delta 0 1 insert)"
expect_metric "$C\"slap\",protocol=\"mysql\",method=\"CREATE\",$P,status=\"ok\"}" "$(delta 0 1 create_db create_table)"
expect_metric "$C\"slap\",protocol=\"mysql\",method=\"DROP\",$P,status=\"ok\"}" "$(delta 0 1 drop_db)"
expect_metric "$C\"bench\",protocol=\"mysql\",method=\"SELECT\",$P,status=\"ok\"}" 200
expect_metric "$C\"bench\",protocol=\"mysql\",method=\"STMT_PREPARE\",$P,status=\"ok\"}" "$(delta 1 2 stmt_prepare)"
expect_metric "$C\"held\",protocol=\"mysql\",method=\"SELECT\",$P,status=\"ok\"}" 10
expect_metric "$C\"held\",protocol=\"mysql\",method=\"WITH\",$P,status=\"error\"}" 1
pass "the clients' sides: mysqlslap's, sysbench's and the held connection's from its next statement"
# mysqlslap's 3 connections over TLS, seen from both ends.
expect_metric 'sonde_tls_connections_total' 6
expect_no_line 'no_such_table|sbtest1|RECURSIVE' "no SQL text in labels"
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
expect_metric 'sonde_events_lost_total' 0
promtool_check

# Client spans no server span adopts are sent once their hold is over.
spans_ok() {
	decode_spans
	/usr/bin/python3 - "$TMP/spans.jsonl" <<'PY'
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
my = [s for s in spans if s["attributes"].get("db.system.name") == "mysql"]
server = [s for s in my if s["kind"] == 2 and s["attributes"].get("db.operation.name") == "SELECT"]
client = [s for s in my if s["kind"] == 3 and s["attributes"].get("db.operation.name") == "SELECT"]
failed = [s for s in my if s["attributes"].get("db.operation.name") == "WITH" and s["kind"] == 2]
ok = len(server) >= 200 and len(client) >= 200 and len(failed) == 1 and failed[0]["status"] == 2
print(len(server), "server and", len(client), "client SELECT spans,", len(failed), "failed WITH")
sys.exit(0 if ok else 1)
PY
}
for ((i = 0; i < 100; i++)); do spans_ok >"$TMP/spans.out" && break; sleep 0.2; done
spans_ok >"$TMP/spans.out" || fail "the MySQL spans do not follow the database conventions: $(cat "$TMP/spans.out")"
pass "spans: db.system.name=mysql, the verb as db.operation.name, the time-limited statement failed"
stop_sonde
