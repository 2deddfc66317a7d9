#!/bin/bash
# Database connections older than sonde, as a pool holds them: a client
# opens one to Redis and one to PostgreSQL and runs 3 commands on each
# before sonde starts, then 10 after. Both are followed from the client's
# next command (PostgreSQL's from its next Query, its startup long gone),
# on the servers' side and the client's; none of the 3 is counted. The
# references: Redis's INFO commandstats and PostgreSQL's statement log.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd redis-server redis-cli runuser /usr/bin/python3

RPORT=$(free_port)
PPORT=$(free_port)
start_redis "$RPORT"
start_postgres "$PPORT"
echo "log_statement = all" >>"$PG_DIR/data/postgresql.conf"
kill -HUP "$(head -n 1 "$PG_DIR/data/postmaster.pid")"
for ((i = 0; i < 50; i++)); do grep -q 'parameter "log_statement" changed' "$TMP/pg.log" && break; sleep 0.1; done
/usr/bin/python3 "$ROOT/tests/integration/peers/held_db_client.py" "$RPORT" "$PPORT" "$TMP/ready" "$TMP/go" \
	>"$TMP/client.out" 2>&1 &
CLIENT=$!
CHILDREN+=("$CLIENT")
for ((i = 0; i < 100; i++)); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
[ -e "$TMP/ready" ] || fail "the client did not connect: $(cat "$TMP/client.out")"

start_sonde --target exe:redis-server=cache --target exe:postgres=db --target "pid:$CLIENT=client"
touch "$TMP/go"
wait "$CLIENT" || fail "the client failed: $(cat "$TMP/client.out")"
grep -q '^before 3 3 after 10 10$' "$TMP/client.out" || fail "the client saw: $(cat "$TMP/client.out")"
pass "3 commands on each connection before sonde, 10 after"

calls=$(redis-cli -p "$RPORT" INFO commandstats | tr -d '\r' | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p')
[ "$calls" = 13 ] || fail "Redis counted $calls SETs, not 13"
logged=$(grep -c 'LOG:  statement: SELECT' "$TMP/pg.log")
[ "$logged" = 13 ] || fail "PostgreSQL logged $logged SELECTs, not 13"
pass "Redis and PostgreSQL saw 13 each"
wait_metric 'microservice_requests_total{service="db",protocol="postgresql",method="SELECT",endpoint="SELECT",status="ok"}' 10 10
expect_metric 'microservice_requests_total{service="cache",protocol="redis",method="SET",endpoint="SET",status="ok"}' 10
expect_metric "microservice_client_requests_total{service=\"client\",protocol=\"postgresql\",method=\"SELECT\",peer=\"127.0.0.1:$PPORT\",status=\"ok\"}" 10
expect_metric "microservice_client_requests_total{service=\"client\",protocol=\"redis\",method=\"SET\",peer=\"127.0.0.1:$RPORT\",status=\"ok\"}" 10
expect_no_line '^sonde_parse_failures_total\{' "no parse failures"
expect_metric 'sonde_events_lost_total' 0
