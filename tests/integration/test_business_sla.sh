#!/bin/bash
# Business metrics and SLAs from observed traffic, counted exactly: POSTs
# that created users, the home page's latency against an SLA it meets and
# one it cannot, in /metrics (checked by promtool) and /health/detailed.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl python3 promtool

PORT=$(free_port)
start_nginx "$PORT"
cat >"$TMP/sonde.yaml" <<YAML
services:
  - name: web
    match: {port: $PORT}
    routes: ["/api/users/{id}"]
business_metrics:
  - name: user_registrations_total
    description: Users registered through the API
    match: {service: web, method: POST, endpoint: "/api/users/{id}", status: 2xx}
  - name: homepage_latency_seconds
    description: Time to serve the home page
    match: {service: web, method: GET, endpoint: "/"}
    value: duration
    sla: {target: 0.5, operator: "<="}
  - name: homepage_instant_seconds
    description: The home page in under a nanosecond, which no server can do
    match: {service: web, method: GET, endpoint: "/"}
    value: duration
    sla: {target: 0.000000001, operator: "<=", objective: 0.9, window: 1m}
  - name: unavailable_total
    match: {service: web, status: 5xx}
YAML
start_sonde --config "$TMP/sonde.yaml"

for i in $(seq 7); do curl -s -o /dev/null -X POST -d "name=u$i" "http://127.0.0.1:$PORT/api/users/$i"; done
for i in $(seq 3); do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/users/$i"; done
for i in $(seq 5); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
for i in $(seq 2); do curl -s -o /dev/null "http://127.0.0.1:$PORT/unavailable"; done

wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/unavailable",status="503"}' 2 10
expect_metric 'microservice_user_registrations_total' 7
expect_metric 'microservice_homepage_latency_seconds_count' 5
expect_metric 'microservice_homepage_latency_seconds_bucket{le="+Inf"}' 5
expect_metric 'microservice_homepage_instant_seconds_count' 5
expect_metric 'microservice_unavailable_total' 2
expect_metric 'microservice_sla_met{sla="homepage_latency_seconds"}' 1
expect_metric 'microservice_sla_compliance_ratio{sla="homepage_latency_seconds"}' 1
expect_metric 'microservice_sla_met{sla="homepage_instant_seconds"}' 0
expect_metric 'microservice_sla_compliance_ratio{sla="homepage_instant_seconds"}' 0
grep -q '^# HELP microservice_user_registrations_total Users registered through the API$' "$TMP/metrics" ||
	fail "the description is not the metric's help"
pass "the description is the metric's help"
promtool_check

curl -sf "http://127.0.0.1:$SONDE_PORT/health/detailed" >"$TMP/detailed.json" || fail "GET /health/detailed failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
met = d["sla"]["homepage_latency_seconds"]
assert met["met"] is True and met["compliance_ratio"] == 1 and met["target"] == 0.5 and met["operator"] == "<=", met
bad = d["sla"]["homepage_instant_seconds"]
assert bad["met"] is False and bad["compliance_ratio"] == 0 and bad["objective"] == 0.9 and bad["window_seconds"] == 60, bad
web = d["services"]["web"]
assert web["metrics"]["request_count"] == 17, web
assert web["metrics"]["error_count"] == 2, web
assert web["metrics"]["avg_request_duration"] > 0, web
assert web["status"] == "degraded" and web["message"] == "2 of 17 requests failed in the last 60 s", web
assert d["status"] == "healthy" and d["checks"] == {}, d
' "$TMP/detailed.json" || fail "/health/detailed: $(cat "$TMP/detailed.json")"
pass "/health/detailed reports both SLAs and the service's request and error counts"
stop_sonde
