#!/bin/bash
# The service graph on one host: curl (no target) calls "frontend", which
# calls "inventory" (a target) and an http.server sonde does not follow,
# each request on a connection of its own. The edges are counted once
# each, named as Tempo names them (an empty connection_type, Tempo's for
# two services, is not rendered): user -> frontend (a virtual node),
# frontend -> inventory (the server's name, learnt from the connection
# both ends of which sonde sees), frontend -> the untargeted server's
# address; inventory's requests equal its access log, the failed ones its
# 404s; a real Prometheus answers Grafana's service-graph queries.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl prometheus /usr/bin/python3
PEERS=$ROOT/tests/integration/peers
N=12

INV=$(free_port) OTHER=$(free_port) FRONT=$(free_port)
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$INV" --directory "$TMP" 2>"$TMP/inventory.log" >/dev/null &
CHILDREN+=($!)
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$OTHER" --directory "$TMP" >/dev/null 2>&1 &
CHILDREN+=($!)
/usr/bin/python3 "$PEERS/graph_frontend.py" "$FRONT" "http://127.0.0.1:$INV" "http://127.0.0.1:$OTHER" &
CHILDREN+=($!)
for p in "$INV" "$OTHER" "$FRONT"; do wait_listen "$p" 10 || fail "a server on $p did not start"; done
start_sonde --target "port:$FRONT=frontend" --target "port:$INV=inventory"

for ((i = 1; i <= N; i++)); do
	curl -sf -o /dev/null "http://127.0.0.1:$FRONT/$i" || fail "request $i to frontend failed"
done
FAILED=$((N / 3))
E='traces_service_graph_request_total{client="frontend",server="inventory"}'
wait_metric "$E" "$N"
wait_metric 'traces_service_graph_request_total{client="user",server="frontend",connection_type="virtual_node"}' "$N"
LOGGED=$(grep -c '"GET /' "$TMP/inventory.log")
[ "$LOGGED" = "$N" ] || fail "inventory logged $LOGGED requests, expected $N"
expect_metric "$E" "$LOGGED"
expect_metric 'traces_service_graph_request_failed_total{client="frontend",server="inventory"}' \
	"$(grep -c '"GET /missing HTTP/1.1" 404' "$TMP/inventory.log")"
expect_metric 'traces_service_graph_request_server_seconds_count{client="frontend",server="inventory"}' "$N"
expect_metric 'traces_service_graph_request_client_seconds_count{client="frontend",server="inventory"}' "$N"
expect_metric 'traces_service_graph_request_total{client="user",server="frontend",connection_type="virtual_node"}' "$N"
expect_metric 'traces_service_graph_request_failed_total{client="user",server="frontend",connection_type="virtual_node"}' 0
expect_metric "traces_service_graph_request_total{client=\"frontend\",server=\"127.0.0.1:$OTHER\",connection_type=\"virtual_node\"}" "$N"
[ "$(grep -c '^traces_service_graph_request_total{' "$TMP/metrics")" = 3 ] ||
	fail "edges other than the three: $(grep '^traces_service_graph_request_total{' "$TMP/metrics")"
expect_metric sonde_service_graph_callers_evicted_total 0
pass "three edges, each request once: the inventory edge equals its access log ($N, $FAILED failed)"
promtool_check

start_prometheus "127.0.0.1:$SONDE_PORT"
Q='sum by (client, server) (traces_service_graph_request_total{server="inventory"})'
for ((i = 0; i < 150; i++)); do
	[ "$(prom_query "$Q")" = "$N" ] && break
	sleep 0.2
done
[ "$(prom_query "$Q")" = "$N" ] || fail "Prometheus answers $Q with '$(prom_query "$Q")', expected $N"
# Grafana's service graph asks for the edges' rates and the nodes' server
# latency; both answer (a rate once two scrapes are in).
R='sum by (client, server) (rate(traces_service_graph_request_server_seconds_count[1m]))'
for ((i = 0; i < 100; i++)); do
	[ -n "$(prom_query "$R")" ] && break
	sleep 0.2
done
[ -n "$(prom_query "$R")" ] || fail "Prometheus has no server latency edges"
pass "Prometheus answers the service-graph queries: $N requests frontend -> inventory"
stop_sonde
