#!/bin/bash
# pgbench -i then pgbench -t, both observed: pgbench writes its COPY data
# more than 8 KiB at a time, lost across message heads; that costs those
# messages alone (counted in sonde_parse_failures_total), and every
# statement before and after it, the COPY included, is counted on both the
# server's and pgbench's side, per verb, as PostgreSQL's own statement log
# (log_statement = all) has them.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd pgbench runuser /usr/bin/python3

PORT=$(free_port)
start_postgres "$PORT"
POSTMASTER=$(head -n 1 "$PG_DIR/data/postmaster.pid")
echo "log_statement = all" >>"$PG_DIR/data/postgresql.conf"
kill -HUP "$POSTMASTER"
for ((i = 0; i < 50; i++)); do grep -q 'parameter "log_statement" changed' "$TMP/pg.log" && break; sleep 0.1; done
start_sonde --target "pid:$POSTMASTER=db" --target exe:pgbench=bench
pgbench -i -q -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/init.log" 2>&1 ||
	fail "pgbench -i failed: $(tail -3 "$TMP/init.log")"
pgbench -n -c 1 -t 10 -h 127.0.0.1 -p "$PORT" -U postgres postgres >"$TMP/run.log" 2>&1 ||
	fail "pgbench -t failed: $(tail -3 "$TMP/run.log")"
# PostgreSQL's log, per verb: the first word of each statement.
/usr/bin/python3 - "$TMP/pg.log" >"$TMP/logged" <<'PY'
import collections, re, sys
n = collections.Counter(m.group(1).upper() for m in re.finditer(r"LOG:  statement: ([A-Za-z]+)", open(sys.argv[1]).read()))
for verb, count in sorted(n.items()):
    print(verb, count)
PY
grep -q '^COPY 1$' "$TMP/logged" || fail "PostgreSQL logged no COPY: $(cat "$TMP/logged")"
total=$(awk '{ s += $2 } END { print s }' "$TMP/logged")
pass "PostgreSQL logged $total statements"
CR="microservice_client_requests_total{service=\"bench\",protocol=\"postgresql\""
wait_metric "$CR,method=\"END\",peer=\"127.0.0.1:$PORT\",status=\"ok\"}" "$(awk '$1 == "END" { print $2 }' "$TMP/logged")" 10
while read -r verb count; do
	expect_metric "microservice_requests_total{service=\"db\",protocol=\"postgresql\",method=\"$verb\",endpoint=\"$verb\",status=\"ok\"}" "$count"
	expect_metric "$CR,method=\"$verb\",peer=\"127.0.0.1:$PORT\",status=\"ok\"}" "$count"
done <"$TMP/logged"
expect_metric 'sonde_events_lost_total' 0
awk '$1 == "sonde_parse_failures_total{kind=\"postgresql\"}" { exit !($2 >= 1) }' "$TMP/metrics" ||
	fail "the lost COPY data is not counted in sonde_parse_failures_total"
pass "the lost COPY data is counted in sonde_parse_failures_total"
stop_sonde
