#!/bin/bash
# A two-node rehearsal on one machine: two network namespaces joined by a
# veth pair, each with its own sonde and service. One Prometheus scrapes
# both; a client in each calls the service in the other, node A's with a
# traceparent. The two instances' metrics sum as expected, and the client
# span (node A's sonde) and the server span (node B's) share the trace id.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl ip nsenter prometheus protoc /usr/bin/python3
PEERS=$ROOT/tests/integration/peers
netns_pair sonde
ip link add "va$$" type veth peer name "vb$$" || skip "cannot create a veth pair"
ip link set "va$$" netns "$NS_A"
ip link set "vb$$" netns "$NS_B"
A=10.231.$((RANDOM % 200)).1
B=${A%.1}.2
in_a ip addr add "$A/24" dev "va$$" && in_a ip link set "va$$" up && in_a ip link set lo up
in_b ip addr add "$B/24" dev "vb$$" && in_b ip link set "vb$$" up && in_b ip link set lo up
in_a ip route get "$B" | grep -q "dev va$$" || fail "the namespaces are not joined"

# Each node: a service on port 8080 of its own address, an OTLP receiver,
# a client binary of its own name (selected by exe, as each node's sonde
# sees every process of the shared kernel), and a sonde.
protoc --python_out="$TMP" --proto_path="$ROOT/proto" "$ROOT/proto/otlp.proto" || fail "protoc failed"
cp "$(command -v curl)" "$TMP/curl-a"
cp "$(command -v curl)" "$TMP/curl-b"
start_node() { # A|B, address
	local n=$1 addr=$2 dir=$TMP/node-$1
	mkdir -p "$dir/spans"
	nsenter --net=/run/netns/sonde-${n,,}-$$ /usr/bin/python3 -m http.server --bind "$addr" 8080 --directory "$TMP" \
		>/dev/null 2>&1 &
	CHILDREN+=($!)
	nsenter --net=/run/netns/sonde-${n,,}-$$ /usr/bin/python3 "$PEERS/otlp_receiver.py" 4318 "$dir/spans" &
	CHILDREN+=($!)
	nsenter --net=/run/netns/sonde-${n,,}-$$ "$SONDE" --listen "$addr:9464" --target "port:8080=service-${n,,}" \
		--target "exe:curl-${n,,}=client-${n,,}" --otlp-endpoint http://127.0.0.1:4318 >"$dir/sonde.log" 2>&1 &
	CHILDREN+=($!)
	local i
	for ((i = 0; i < 300; i++)); do
		nsenter --net=/run/netns/sonde-${n,,}-$$ curl -s "http://$addr:9464/health" | grep -q healthy && return 0
		sleep 0.1
	done
	cat "$dir/sonde.log"
	fail "node $n's sonde did not attach"
}
start_node A "$A"
start_node B "$B"
pass "two nodes, each with a sonde, a service and a receiver"

TRACE=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PARENT=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
for i in 1 2 3; do
	in_a "$TMP/curl-a" -s -o /dev/null -H "traceparent: 00-$TRACE-$PARENT-01" "http://$B:8080/from-a-$i"
done
for i in 1 2; do in_b "$TMP/curl-b" -s -o /dev/null "http://$A:8080/from-b-$i"; done

PROM_NETNS=$NS_A
start_prometheus "$A:9464 $B:9464"
for ((i = 0; i < 150; i++)); do
	[ "$(prom_query 'count(up{job="sonde"} == 1)')" = 2 ] && [ "$(prom_query 'sum(microservice_requests_total)')" = 5 ] &&
		[ "$(prom_query 'sum(microservice_client_requests_total)')" = 5 ] && break
	sleep 0.2
done
[ $i -lt 150 ] || fail "Prometheus: up $(prom_query 'count(up{job="sonde"} == 1)'), requests $(prom_query 'sum(microservice_requests_total)'), client requests $(prom_query 'sum(microservice_client_requests_total)')"
pass "one Prometheus scrapes both nodes: 5 requests served and 5 made in all"
[ "$(prom_query "sum(microservice_requests_total{instance=\"$B:9464\",service=\"service-b\"})")" = 3 ] ||
	fail "node B did not count 3 requests to its service"
[ "$(prom_query "sum(microservice_requests_total{instance=\"$A:9464\",service=\"service-a\"})")" = 2 ] ||
	fail "node A did not count 2 requests to its service"
[ "$(prom_query "sum(microservice_client_requests_total{instance=\"$A:9464\",service=\"client-a\",peer=\"$B:8080\"})")" = 3 ] ||
	fail "node A did not count 3 calls to $B:8080"
pass "each node counts its own: B served 3, A served 2, A called B 3 times"

spans() { /usr/bin/python3 "$PEERS/otlp_spans.py" "$1" "$TMP"; }
for ((i = 0; i < 100; i++)); do
	[ "$(spans "$TMP/node-A/spans" | grep -c "$TRACE")" -ge 3 ] && [ "$(spans "$TMP/node-B/spans" | grep -c "$TRACE")" -ge 3 ] && break
	sleep 0.2
done
spans "$TMP/node-A/spans" >"$TMP/a.jsonl"
spans "$TMP/node-B/spans" >"$TMP/b.jsonl"
python3 - "$TMP/a.jsonl" "$TMP/b.jsonl" "$TRACE" "$PARENT" <<'PY' || fail "the two nodes' spans do not share the trace"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
trace, parent = sys.argv[3], sys.argv[4]
clients = [s for s in a if s["trace_id"] == trace]
servers = [s for s in b if s["trace_id"] == trace]
assert len(clients) == 3 and all(s["kind"] == 3 and s["resource"]["service.name"] == "client-a" for s in clients), clients
assert len(servers) == 3 and all(s["kind"] == 2 and s["resource"]["service.name"] == "service-b" for s in servers), servers
assert all(s["parent"] == parent for s in clients + servers), (clients, servers)
assert not any(s["trace_id"] == trace for s in a if s["kind"] == 2), "node A served nothing of this trace"
PY
pass "node A's 3 client spans and node B's 3 server spans share trace $TRACE"
