#!/bin/bash
# Active health checks against real peers: nginx over HTTP, redis-server
# (PING through hiredis), PostgreSQL (PQping through libpq) all healthy, a
# closed port over TCP unhealthy → /health/detailed says unhealthy, /health
# answers 503; the status and duration metrics follow. A reload without the
# failing check brings /health back to 200.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl python3 redis-server runuser

NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"

REDIS_PORT=$(free_port)
start_redis "$REDIS_PORT"
PG_PORT=$(free_port)
start_postgres "$PG_PORT"

CLOSED_PORT=$(free_port)
write_config() { # the ledger check's line, or nothing
	cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $NGINX_PORT}}
health_checks:
  - {name: homepage, type: http, url: "http://127.0.0.1:$NGINX_PORT/", interval: 1s, timeout: 2s, expect_status: 200}
  - {name: cache, type: redis, address: "127.0.0.1:$REDIS_PORT", interval: 1s}
  - {name: db, type: postgres, dsn: "host=127.0.0.1 port=$PG_PORT user=postgres dbname=postgres", interval: 1s}
$1
YAML
}
write_config "  - {name: ledger, type: tcp, address: \"127.0.0.1:$CLOSED_PORT\", interval: 1s, timeout: 1s}"
start_sonde --config "$TMP/sonde.yaml"

# Checks run at once; wait until every one has reported.
for ((i = 0; i < 50; i++)); do
	curl -s "http://127.0.0.1:$SONDE_PORT/health/detailed" >"$TMP/detailed.json"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d["checks"]) == 4 and all(c["status"] != "unknown" for c in d["checks"].values()) else 1)
' "$TMP/detailed.json" 2>/dev/null && break
	sleep 0.2
done
python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["service"] == "sonde" and d["status"] == "unhealthy", d
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", d["timestamp"]), d["timestamp"]
c = d["checks"]
for name in ("homepage", "cache", "db"):
    assert c[name]["status"] == "healthy", (name, c[name])
    assert c[name]["duration_ms"] >= 0, (name, c[name])
assert c["homepage"]["message"] == "HTTP 200", c["homepage"]
assert c["cache"]["message"] == "PONG", c["cache"]
assert c["db"]["message"] == "accepting connections", c["db"]
assert c["ledger"]["status"] == "unhealthy" and c["ledger"]["message"] == "Connection refused", c["ledger"]
' "$TMP/detailed.json" || fail "/health/detailed: $(cat "$TMP/detailed.json")"
pass "/health/detailed: homepage, cache and db healthy, ledger unhealthy, overall unhealthy"

code=$(curl -s -o "$TMP/health.json" -w '%{http_code}' "http://127.0.0.1:$SONDE_PORT/health")
[ "$code" = 503 ] && [ "$(cat "$TMP/health.json")" = '{"status":"unhealthy"}' ] ||
	fail "/health answered $code $(cat "$TMP/health.json"), expected 503 unhealthy"
pass "/health answers 503 {\"status\":\"unhealthy\"}"

scrape
expect_metric 'microservice_health_check_status{check="homepage"}' 1
expect_metric 'microservice_health_check_status{check="cache"}' 1
expect_metric 'microservice_health_check_status{check="db"}' 1
expect_metric 'microservice_health_check_status{check="ledger"}' 0
[ "$(metric 'microservice_health_check_duration_seconds_count{check="db"}')" -ge 1 ] ||
	fail "no duration observed for db"
pass "check durations are observed"
promtool_check

write_config ""
kill -HUP "$SONDE_PID"
for ((i = 0; i < 50; i++)); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SONDE_PORT/health")" = 200 ] && break
	sleep 0.2
done
[ $i -lt 50 ] || fail "/health did not return to 200 without the failing check"
pass "without the failing check /health answers 200"
scrape | grep -q 'check="ledger"' && fail "the removed check still has a series"
expect_metric 'microservice_health_check_status{check="db"}' 1
pass "the removed check's status series is gone, the others stay"
stop_sonde
