#!/bin/bash
# A series budget nobody can steal: one client's 1,000 made-up paths to
# one service (404s) collapse into one endpoint after the first 20; 100
# made-up routes that
# the service does answer fill that service's budget only, its overflow
# keeping its name; another service's new route still counts under its
# own service and route; series idle past --series-idle go, and come back
# from zero when used again.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl promtool

WEB=$(free_port)
NGINX_DIR=web start_nginx "$WEB"
API=$(free_port)
NGINX_DIR=api start_nginx "$API"
start_sonde --target "port:$WEB=web" --target "port:$API=api" --series-cap 50 --series-idle 10s

requests() { # port path-prefix count
	local i
	for ((i = 0; i < $3; i++)); do echo "url = \"http://127.0.0.1:$1$2$i\""; echo "output = /dev/null"; done >"$TMP/urls"
	curl -s -K "$TMP/urls" || fail "curl failed"
}
R='microservice_requests_total{service="web",protocol="http",method="GET"'
requests "$WEB" /nope/w 1000
# Its first 20 routes that only got 404s keep their names, the rest collapse.
wait_metric "$R,endpoint=\"__unmatched__\",status=\"404\"}" 980 15
requests "$WEB" /api/users/w 100
OVF='microservice_requests_total{service="web",protocol="__overflow__",method="__overflow__",endpoint="__overflow__",status="__overflow__",container_id="__overflow__",k8s_pod_uid="__overflow__",k8s_namespace_name="__overflow__",k8s_pod_name="__overflow__",k8s_container_name="__overflow__",k8s_deployment_name="__overflow__",k8s_statefulset_name="__overflow__",k8s_daemonset_name="__overflow__"}'
# Its budget of 50: 20 named 404s, the unmatched ones, 29 routes; 71 over.
wait_metric "$OVF" 71 15
own=$(grep -c "^$R,endpoint=\"/api/users/w[0-9]*\",status=\"201\"}" "$TMP/metrics")
[ "$own" = 29 ] || fail "web holds $own series of its made-up routes, expected 29 (its budget of 50 less 21 of 404s)"
pass "1,000 made-up 404s: 20 named, 980 in one series; 100 made-up routes: 29 series, 71 in web's own overflow"

requests "$API" /api/users/new 1
for ((i = 0; i < 49; i++)); do echo "url = \"http://127.0.0.1:$API/api/users/new0\""; echo "output = /dev/null"; done >"$TMP/urls"
curl -s -K "$TMP/urls"
wait_metric 'microservice_requests_total{service="api",protocol="http",method="GET",endpoint="/api/users/new0",status="201"}' 50 15
expect_no_line '^microservice_requests_total\{service="__overflow__"' "no series in the family's overflow: api's route is its own"
promtool_check

# Idle past 10 s, web's series go; api's, kept in use, stay.
for ((i = 0; i < 30; i++)); do
	curl -s -o /dev/null "http://127.0.0.1:$API/api/users/new0"
	scrape
	[ "$(metric "$R,endpoint=\"/api/users/w1\",status=\"201\"}")" = absent ] && [ "$(metric "$OVF")" = absent ] && break
	sleep 1
done
[ "$i" -lt 30 ] || fail "web's idle series did not go within 30 s"
[ "$(metric 'microservice_requests_total{service="api",protocol="http",method="GET",endpoint="/api/users/new0",status="201"}')" -gt 50 ] ||
	fail "api's series in use went with the idle ones"
pass "after 10 s idle, web's series are gone; api's in use stay"
curl -s -o /dev/null "http://127.0.0.1:$WEB/api/users/w1"
wait_metric "$R,endpoint=\"/api/users/w1\",status=\"201\"}" 1 10
pass "a series used again starts from zero, with room in web's budget"
stop_sonde
