#!/bin/bash
# A real Prometheus server scrapes a real sonde watching nginx (selected by
# pid, started before sonde) and answers queries with the exact counts.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl prometheus

PORT=$(free_port)
start_nginx "$PORT"
MASTER=$(cat "$TMP/nginx/nginx.pid")
start_sonde --target "pid:$MASTER=frontend"
BASE=http://127.0.0.1:$PORT
for i in $(seq 12); do echo "url = \"$BASE/\""; echo 'output = "/dev/null"'; done >"$TMP/get.curl"
curl -s --config "$TMP/get.curl" || fail "GETs failed"
for i in $(seq 3); do curl -s -o /dev/null "$BASE/unavailable"; done
wait_metric 'microservice_errors_total{service="frontend",type="http_5xx"}' 3 15

start_prometheus "127.0.0.1:$SONDE_PORT"
got=
for ((i = 0; i < 600; i++)); do
	got=$(prom_query 'microservice_requests_total{service="frontend",endpoint="/",status="200"}')
	[ -n "$got" ] && break
	sleep 0.1
done
[ "$got" = 12 ] || { tail -n 20 "$TMP/prometheus.log"; fail "Prometheus answered '$got' for the / requests, expected 12"; }
pass "Prometheus scraped microservice_requests_total = 12 for GET /"
got=$(prom_query 'sum(microservice_errors_total{service="frontend"})')
[ "$got" = 3 ] || fail "Prometheus answered '$got' for errors, expected 3"
pass "Prometheus sees 3 server errors"
got=$(prom_query 'up{job="sonde"}')
[ "$got" = 1 ] || fail "scrape target is not up"
pass "the scrape target is up"
stop_sonde
