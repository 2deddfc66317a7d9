#!/bin/bash
# The Grafana dashboard and the alert rules against real data: a real
# Prometheus, loaded with deploy/prometheus/rules.yaml, scrapes a real sonde
# watching nginx (with 503s), a Python service calling nginx and a dead port,
# and a health check; every dashboard expression returns data, and the
# HighErrorRate rule fires. The retransmit panel needs packet loss to have
# data, which loopback does not lose: it is parsed but not required to.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl python3 prometheus
PEERS=$ROOT/tests/integration/peers

NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"
APP_PORT=$(free_port)
UPSTREAM_PORT=$NGINX_PORT python3 "$PEERS/framing_server.py" "$APP_PORT" &
CHILDREN+=($!)
wait_listen "$APP_PORT" 10 || fail "the Python service did not start"
cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $NGINX_PORT}}
  - {name: app, match: {port: $APP_PORT}}
health_checks:
  - {name: homepage, type: http, url: "http://127.0.0.1:$NGINX_PORT/", interval: 1s}
YAML
start_sonde --config "$TMP/sonde.yaml"

start_prometheus "127.0.0.1:$SONDE_PORT" "$ROOT/deploy/prometheus/rules.yaml"

# Traffic only once Prometheus scrapes, over several scrapes, so rates see it.
for ((i = 0; i < 100; i++)); do
	[ "$(prom_query 'up{job="sonde"}')" = 1 ] && break
	sleep 0.2
done
[ $i -lt 100 ] || fail "Prometheus did not scrape sonde in 20 s"
for round in $(seq 8); do
	for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/api/users/$i"; done
	curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/unavailable"
	curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/call/$round"
	curl -s -o /dev/null "http://127.0.0.1:$APP_PORT/dead/$round"
	sleep 0.5
done

python3 - "$ROOT/deploy/grafana/sonde.json" "$PROM_PORT" <<'PY' || fail "a dashboard expression returned no data"
import json, sys, time, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
base = f"http://127.0.0.1:{sys.argv[2]}/api/v1/query?query="
no_loss = "microservice_tcp_retransmits_total"
pending = {}
for p in d["panels"]:
    for t in p["targets"]:
        pending[f'{p["title"]} {t["refId"]}'] = t["expr"].replace("$service", ".*").replace("$__rate_interval", "1m")
deadline = time.time() + 30
while pending and time.time() < deadline:
    for name, expr in list(pending.items()):
        r = json.load(urllib.request.urlopen(base + urllib.parse.quote(expr)))
        assert r["status"] == "success", (name, r)
        if r["data"]["result"]:
            print(f"ok: {name}: {len(r['data']['result'])} series")
            del pending[name]
        elif no_loss in expr:
            print(f"note: {name}: no data without packet loss")
            del pending[name]
    time.sleep(1)
for name, expr in pending.items():
    print(f"FAIL: {name}: no data for {expr}")
if pending:
    rules = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/api/v1/rules"))
    for g in rules["data"]["groups"]:
        for r in g["rules"]:
            print(f'  rule {r["name"]}: {r.get("health")} {r.get("state", "")} {r.get("lastError", "")}')
sys.exit(1 if pending else 0)
PY
pass "every dashboard expression returns data from Prometheus scraping sonde"
stop_sonde
