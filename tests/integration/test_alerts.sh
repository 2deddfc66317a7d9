#!/bin/bash
# Alert rules end to end: nginx answering half its requests with 503 under
# a rule error_rate > 5 → the alert reaches a real Alertmanager (labels
# alertname, service, severity), a webhook sink gets it and /alerts lists
# it; after only healthy traffic for longer than the window the webhook
# gets the resolved notice and Alertmanager no longer holds it active.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl python3 prometheus-alertmanager

PEERS=$ROOT/tests/integration/peers
NGINX_PORT=$(free_port)
start_nginx "$NGINX_PORT"

AM_PORT=$(free_port)
mkdir -p "$TMP/am"
cat >"$TMP/am/alertmanager.yml" <<YAML
route:
  receiver: blackhole
  group_wait: 0s
receivers:
  - name: blackhole
YAML
prometheus-alertmanager --config.file="$TMP/am/alertmanager.yml" --storage.path="$TMP/am" \
	--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$TMP/am/log" 2>&1 &
CHILDREN+=($!)
wait_listen "$AM_PORT" 20 || fail "alertmanager did not start: $(tail -5 "$TMP/am/log")"

HOOK_PORT=$(free_port)
python3 "$PEERS/webhook_sink.py" "$HOOK_PORT" "$TMP/hook.jsonl" &
CHILDREN+=($!)
wait_listen "$HOOK_PORT" 10 || fail "webhook sink did not start"

cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $NGINX_PORT}}
alert_rules:
  - name: high_error_rate
    service: web
    metric: error_rate
    condition: ">"
    threshold: 5
    level: critical
    aggregation: average
    window: 3s
    evaluation_interval: 500ms
    description: Error rate above 5%
notifiers:
  - {type: alertmanager, url: "http://127.0.0.1:$AM_PORT"}
  - {type: webhook, url: "http://127.0.0.1:$HOOK_PORT/sonde"}
YAML
start_sonde --config "$TMP/sonde.yaml"

# Returns 0 once python's predicate over the webhook's bodies holds.
wait_hook() { # python expression over `bodies`, seconds, what
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		python3 - "$TMP/hook.jsonl" "$1" <<'PY' && { pass "$3"; return 0; }
import json, sys
try:
    bodies = [json.loads(l)["body"] for l in open(sys.argv[1])]
except FileNotFoundError:
    bodies = []
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
		sleep 0.2
	done
	cat "$TMP/hook.jsonl" 2>/dev/null
	fail "$3"
}

for i in $(seq 10); do
	curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"
	curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/unavailable"
done
wait_hook 'any(b["status"] == "firing" and b["rule"] == "high_error_rate" and b["service"] == "web"
           and b["level"] == "critical" and b["value"] > 5 and b["threshold"] == 5 and b["condition"] == ">"
           and b["metric"] == "error_rate" for b in bodies)' 10 "the webhook got the firing alert"

# Alertmanager lists it active with its labels.
for ((i = 0; i < 50; i++)); do
	curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true" >"$TMP/am.json" &&
		python3 -c '
import json, sys
alerts = json.load(open(sys.argv[1]))
sys.exit(0 if any(a["labels"].get("alertname") == "high_error_rate" and a["labels"].get("service") == "web"
                  and a["labels"].get("severity") == "critical" and a["status"]["state"] == "active"
                  and a["annotations"].get("description") == "Error rate above 5%" for a in alerts) else 1)
' "$TMP/am.json" && break
	sleep 0.2
done
[ $i -lt 50 ] || { cat "$TMP/am.json"; fail "Alertmanager does not list high_error_rate active"; }
pass "Alertmanager lists high_error_rate active with alertname, service and severity"

curl -sf "http://127.0.0.1:$SONDE_PORT/alerts" >"$TMP/alerts.json" || fail "GET /alerts failed"
python3 -c '
import json, sys
alerts = json.load(open(sys.argv[1]))
assert len(alerts) == 1, alerts
a = alerts[0]
assert a["rule"] == "high_error_rate" and a["state"] == "firing" and a["level"] == "critical", a
assert a["service"] == "web" and a["value"] > 5 and a["threshold"] == 5, a
' "$TMP/alerts.json" || fail "/alerts: $(cat "$TMP/alerts.json")"
pass "/alerts lists the firing alert"

# Healthy traffic only, for longer than the window.
for i in $(seq 25); do
	curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"
	sleep 0.2
done
wait_hook 'any(b["status"] == "resolved" and b["rule"] == "high_error_rate" and b["ends_at"] for b in bodies)' 10 \
	"the webhook got the resolved notice"
python3 -c '
import json, sys
bodies = [json.loads(l)["body"] for l in open(sys.argv[1])]
states = [b["status"] for b in bodies]
assert states == ["firing", "resolved"], states
' "$TMP/hook.jsonl" || fail "the webhook got $(cat "$TMP/hook.jsonl")"
pass "the webhook got exactly one firing and one resolved notice"
[ "$(curl -sf "http://127.0.0.1:$SONDE_PORT/alerts")" = "[]" ] || fail "/alerts still lists an alert"
pass "/alerts is empty once resolved"
for ((i = 0; i < 50; i++)); do
	curl -sf "http://127.0.0.1:$AM_PORT/api/v2/alerts?active=true" >"$TMP/am.json" &&
		python3 -c '
import json, sys
sys.exit(0 if not any(a["labels"].get("alertname") == "high_error_rate" for a in json.load(open(sys.argv[1]))) else 1)
' "$TMP/am.json" && break
	sleep 0.2
done
[ $i -lt 50 ] || { cat "$TMP/am.json"; fail "Alertmanager still holds high_error_rate active"; }
pass "Alertmanager no longer holds the resolved alert active"
scrape
expect_metric 'sonde_notifications_total{notifier="webhook",outcome="sent"}' 2
expect_metric 'sonde_notifications_total{notifier="webhook",outcome="failed"}' 0
# A reload starts new notifiers; the counts go on from the old ones'.
kill -HUP "$SONDE_PID"
wait_log "config: reloaded" 5 "sonde did not reload"
scrape
expect_metric 'sonde_notifications_total{notifier="webhook",outcome="sent"}' 2
stop_sonde
