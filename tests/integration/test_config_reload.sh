#!/bin/bash
# SIGHUP reloads the file: a new business metric starts counting, the old
# one keeps its count; a bad file is refused with its file, line and key,
# and the running configuration and every metric stay.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl

PORT=$(free_port)
start_nginx "$PORT"
write_config() { # extra business metric lines
	cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $PORT}}
business_metrics:
  - {name: homepage_total, match: {service: web, endpoint: "/"}}
$1
YAML
}
write_config ""
start_sonde --config "$TMP/sonde.yaml"
for i in $(seq 3); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
wait_metric 'microservice_homepage_total' 3 10

write_config '  - {name: created_total, match: {service: web, method: POST, status: 201}}'
kill -HUP "$SONDE_PID"
for ((i = 0; i < 50; i++)); do grep -q 'reloaded' "$TMP/sonde.log" && break; sleep 0.1; done
grep -q "reloaded $TMP/sonde.yaml: 0 checks, 2 business metrics" "$TMP/sonde.log" || fail "no reload logged"
pass "SIGHUP reloads the file"
for i in $(seq 2); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
for i in $(seq 4); do curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/users/$i"; done
wait_metric 'microservice_created_total' 4 10
expect_metric 'microservice_homepage_total' 5

printf 'business_metrics:\n  - {name: x, value: sum}\n' >"$TMP/sonde.yaml"
kill -HUP "$SONDE_PID"
for ((i = 0; i < 50; i++)); do grep -q 'reload refused' "$TMP/sonde.log" && break; sleep 0.1; done
grep -q "reload refused, the running configuration stays: $TMP/sonde.yaml:2: value: expected count or duration" \
	"$TMP/sonde.log" || fail "a bad reload was not refused with file, line and key"
pass "a bad file on reload is refused with file, line and key"
kill -0 "$SONDE_PID" || fail "sonde exited on a bad reload"
curl -s -o /dev/null "http://127.0.0.1:$PORT/"
curl -s -o /dev/null -X POST "http://127.0.0.1:$PORT/api/users/9"
wait_metric 'microservice_created_total' 5 10
expect_metric 'microservice_homepage_total' 6
stop_sonde
