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
