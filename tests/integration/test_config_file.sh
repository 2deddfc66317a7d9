#!/bin/bash
# --config FILE: services with explicit routes (which win over the id
# heuristics), the namespace, flags winning over the file, and a bad file
# refused at start with its file, line and key.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl

UNUSED=$(free_port)
cat >"$TMP/sonde.yaml" <<YAML
# the listen address below is overridden by --listen
listen: 127.0.0.1:$UNUSED
namespace: shop
services:
  - name: web
    match: {exe: nginx}
    routes: ["/api/orders/{order}", "/files/{name}"]
YAML
start_sonde --config "$TMP/sonde.yaml"
ss -Htln "sport = :$UNUSED" | grep -q . && fail "the file's listen address was used despite --listen"
pass "--listen wins over the file's listen"
PORT=$(free_port)
start_nginx "$PORT"
for id in A7X B8Y C9Z; do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/orders/$id"; done
curl -s -o /dev/null "http://127.0.0.1:$PORT/files/report.pdf"
curl -s -o /dev/null "http://127.0.0.1:$PORT/other/12345"
R='shop_requests_total{service="web",protocol="http",method="GET"'
wait_metric "$R,endpoint=\"/other/{id}\",status=\"404\"}" 1 10
expect_metric "$R,endpoint=\"/api/orders/{order}\",status=\"404\"}" 3
expect_metric "$R,endpoint=\"/files/{name}\",status=\"404\"}" 1
expect_no_line '^microservice_' "every service family is under the file's namespace"
stop_sonde

printf 'services:\n  - name: web\n    match: {exe: nginx, port: 80}\n' >"$TMP/bad.yaml"
out=$("$SONDE" --config "$TMP/bad.yaml" 2>&1); rc=$?
[ $rc = 2 ] || fail "a bad file exited $rc, expected 2"
[ "$out" = "sonde: $TMP/bad.yaml:3: match: expected exactly one of pid, exe, port, cgroup" ] || fail "bad file message: $out"
pass "a bad file is refused with file, line and key, exit 2"

# More of the table, as a user meets it: each bad file refused at start.
check_bad() { # file text, expected message
	printf '%b' "$1" >"$TMP/bad.yaml"
	out=$("$SONDE" --config "$TMP/bad.yaml" 2>&1); rc=$?
	[ $rc = 2 ] || fail "exit $rc for: $2"
	[ "$out" = "sonde: $TMP/bad.yaml:$2" ] || fail "expected '$2', got: $out"
	pass "refused: $2"
}
check_bad 'health_checks:\n  - {name: db, type: postgres, url: "http://x/"}\n' '2: url: a postgres check takes dsn'
check_bad 'health_checks:\n  - name: web\n    type: http\n    url: "http://127.0.0.1/"\n    interval: often\n' \
	'5: interval: expected a positive duration like 250ms, 5s, 5m or 1h'
check_bad 'alert_rules:\n  - {name: r, metric: "health:db", threshold: 1}\n' '2: metric: no health check named db'
check_bad 'notifiers:\n  - {type: pagerduty}\n' '2: routing_key: a pagerduty notifier needs a routing_key'
