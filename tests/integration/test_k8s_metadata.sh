#!/bin/bash
# Pod metadata from a Kubernetes API: a test API server on loopback (TLS,
# bearer token) lists the pods of node-1 (a Deployment's and a
# second Deployment's), then its watch adds a DaemonSet's pod and says 410
# Gone.
# Three http.servers run in Kubernetes-shaped cgroups of those pods; their
# series carry namespace, pod, container and owner, the service defaults to
# the owner, and after the 410 sonde lists again and goes on.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl python3 openssl
PEERS=$ROOT/tests/integration/peers

MOUNT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[ -n "$MOUNT" ] || skip "no cgroup v2 hierarchy is mounted"
TOP=kubepods.slice-sonde-k8s-$$
SCOPES=()
new_pod() { # → sets POD_UID, CONTAINER and SCOPE
	POD_UID=$(cat /proc/sys/kernel/random/uuid)
	CONTAINER=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	SCOPE=$MOUNT/$TOP/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice/cri-containerd-$CONTAINER.scope
	mkdir -p "$SCOPE" || skip "cannot create cgroups under $MOUNT"
	SCOPES+=("$SCOPE")
}
cgroup_cleanup() {
	cleanup
	local s
	for s in "${SCOPES[@]}"; do rmdir "$s" "$(dirname "$s")"; done 2>/dev/null
	rmdir "$MOUNT/$TOP/kubepods-besteffort.slice" "$MOUNT/$TOP" 2>/dev/null
}
trap cgroup_cleanup EXIT

# A pod as the API shows it: namespace, name, owner, one container.
pod_json() { # uid name owner_kind owner_name container_id container_name [template hash]
	python3 -c '
import json, sys
uid, name, kind, owner, cid, cname, hash_ = sys.argv[1:8]
meta = {"uid": uid, "name": name, "namespace": "shop",
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": owner, "uid": "x", "controller": True}]}
if hash_:
    meta["labels"] = {"app": owner, "pod-template-hash": hash_}
print(json.dumps({"kind": "Pod", "apiVersion": "v1", "metadata": meta,
                  "spec": {"nodeName": "node-1", "containers": [{"name": cname, "image": "python"}]},
                  "status": {"containerStatuses": [{"name": cname, "containerID": "containerd://" + cid, "ready": True}]}}))
' "$@" ""
}

# A server in a pod's cgroup, moved in once listening, as a runtime would.
serve_in() { # scope → sets PORT
	PORT=$(free_port)
	python3 -m http.server --bind 127.0.0.1 "$PORT" --directory "$TMP" >/dev/null 2>&1 &
	CHILDREN+=($!)
	wait_listen "$PORT" 10 || fail "http.server did not start"
	echo $! >"$1/cgroup.procs" || fail "cannot move the server into $1"
}

new_pod; A_UID=$POD_UID A_CID=$CONTAINER A_SCOPE=$SCOPE
new_pod; B_UID=$POD_UID B_CID=$CONTAINER B_SCOPE=$SCOPE
new_pod; C_UID=$POD_UID C_CID=$CONTAINER C_SCOPE=$SCOPE
STATE=$TMP/api
mkdir -p "$STATE" "$TMP/sa"
{
	echo "["
	pod_json "$A_UID" checkout-7f9c6d5b8-x2x7q ReplicaSet checkout-7f9c6d5b8 "$A_CID" web 7f9c6d5b8
	echo ","
	pod_json "$B_UID" payments-6c8d9f7b4-q9w2e ReplicaSet payments-6c8d9f7b4 "$B_CID" api 6c8d9f7b4
	echo "]"
} >"$STATE/pods.json"
# The cluster's other pods and a Service, for the service graph: a
# Deployment's pod on node-2 at 127.0.0.5, a bare pod on node-1 at
# 127.0.0.6, the Service catalog at 127.0.0.7, none of them targets.
python3 -c '
import json, sys
def pod(uid, name, node, ip, owner=None):
    meta = {"uid": uid, "name": name, "namespace": "shop"}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner + "-5d4c3b2a1", "controller": True}]
        meta["labels"] = {"pod-template-hash": "5d4c3b2a1"}
    return {"kind": "Pod", "metadata": meta, "spec": {"nodeName": node},
            "status": {"podIP": ip, "podIPs": [{"ip": ip}]}}
json.dump([pod("u-front", "storefront-5d4c3b2a1-abcde", "node-2", "127.0.0.5", "storefront"),
           pod("u-batch", "batch-1", "node-1", "127.0.0.6")], open(sys.argv[1] + "/cluster_pods.json", "w"))
json.dump([{"kind": "Service", "metadata": {"uid": "u-catalog", "name": "catalog", "namespace": "shop"},
            "spec": {"clusterIP": "127.0.0.7", "clusterIPs": ["127.0.0.7"]}},
           {"kind": "Service", "metadata": {"uid": "u-headless", "name": "headless", "namespace": "shop"},
            "spec": {"clusterIP": "None"}}], open(sys.argv[1] + "/services.json", "w"))
' "$STATE"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$TMP/api.key" -out "$TMP/sa/ca.crt" >/dev/null 2>&1 || fail "openssl could not make a certificate"
echo "test-token-$$" >"$TMP/sa/token"
API_PORT=$(free_port)
python3 "$PEERS/k8s_api.py" "$API_PORT" "$TMP/sa/ca.crt" "$TMP/api.key" "test-token-$$" "$STATE" >"$TMP/api.log" 2>&1 &
CHILDREN+=($!)
wait_listen "$API_PORT" 10 || fail "the test API server did not start: $(cat "$TMP/api.log")"

serve_in "$A_SCOPE"; A_PORT=$PORT
serve_in "$B_SCOPE"; B_PORT=$PORT
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$API_PORT NODE_NAME=node-1 SONDE_K8S_SA_DIR=$TMP/sa \
	start_sonde --target "cgroup:/$TOP"
for ((i = 0; i < 50; i++)); do grep -q "pods on this node" "$TMP/sonde.log" && break; sleep 0.1; done
grep -q "k8s: 2 pods on this node" "$TMP/sonde.log" || fail "sonde did not list the node's 2 pods"
for ((i = 0; i < 50; i++)); do grep -q "k8s: 1 Services with cluster IPs" "$TMP/sonde.log" && break; sleep 0.1; done
grep -q "k8s: 2 pods with addresses in the cluster" "$TMP/sonde.log" || fail "sonde did not list the 2 pods with addresses"
grep -q "k8s: 1 Services with cluster IPs" "$TMP/sonde.log" || fail "sonde did not list the one Service with a cluster IP"
grep -q "^GET /api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1$" "$STATE/requests.log" ||
	fail "no list of node-1's pods: $(cat "$STATE/requests.log")"
pass "sonde lists the pods of its node with the service account's token"

for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$A_PORT/a$i"; done
for i in 1 2; do curl -s -o /dev/null "http://127.0.0.1:$B_PORT/b$i"; done
ID_A="container_id=\"$A_CID\",k8s_pod_uid=\"$A_UID\",k8s_namespace_name=\"shop\",k8s_pod_name=\"checkout-7f9c6d5b8-x2x7q\",k8s_container_name=\"web\",k8s_deployment_name=\"checkout\""
ID_B="container_id=\"$B_CID\",k8s_pod_uid=\"$B_UID\",k8s_namespace_name=\"shop\",k8s_pod_name=\"payments-6c8d9f7b4-q9w2e\",k8s_container_name=\"api\",k8s_deployment_name=\"payments\""
# The payments pod's requests came last: once they are in, the rest are.
wait_metric "microservice_requests_total{service=\"payments\",protocol=\"http\",method=\"GET\",endpoint=\"/b2\",status=\"404\",$ID_B}" 1 10
expect_metric "microservice_requests_total{service=\"checkout\",protocol=\"http\",method=\"GET\",endpoint=\"/a3\",status=\"404\",$ID_A}" 1
n=$(grep -c "^microservice_requests_total{service=\"checkout\".*$ID_A} 1$" "$TMP/metrics")
[ "$n" = 3 ] || fail "expected 3 series of the Deployment's pod, found $n"
pass "the Deployments' pods: namespace, pod, container and deployment labels; services checkout and payments"
expect_no_line '^microservice_requests_total\{service="python3"' "no series named after the command once the owner is known"

# The watch adds a DaemonSet's pod.
serve_in "$C_SCOPE"; C_PORT=$PORT
pod_json "$C_UID" agent-5xk2p DaemonSet agent "$C_CID" agent >"$STATE/added.json.tmp"
mv "$STATE/added.json.tmp" "$STATE/added.json"
ID_C="container_id=\"$C_CID\",k8s_pod_uid=\"$C_UID\",k8s_namespace_name=\"shop\",k8s_pod_name=\"agent-5xk2p\",k8s_container_name=\"agent\",k8s_daemonset_name=\"agent\""
for ((i = 0; i < 50; i++)); do
	scrape
	[ "$(metric 'sonde_k8s_updates_total{kind="event"}')" = 1 ] && break
	sleep 0.1
done
for i in 1 2 3 4; do curl -s -o /dev/null "http://127.0.0.1:$C_PORT/c"; done
wait_metric "microservice_requests_total{service=\"agent\",protocol=\"http\",method=\"GET\",endpoint=\"/c\",status=\"404\",$ID_C}" 4 10

# 410 Gone: sonde lists again (the list now holds all three) and goes on.
python3 -c '
import json, sys
pods = json.load(open(sys.argv[1])) + [json.load(open(sys.argv[2]))]
json.dump(pods, open(sys.argv[1], "w"))
' "$STATE/pods.json" "$STATE/added.json"
touch "$STATE/gone"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c '^GET /api/v1/pods?fieldSelector' "$STATE/requests.log")" = 2 ] && break
	sleep 0.1
done
[ $i -lt 100 ] || fail "no relist after 410 Gone: $(cat "$STATE/requests.log")"
# The request reaches the API server before sonde has read the answer.
for ((i = 0; i < 50; i++)); do
	grep -q "k8s: 3 pods on this node" "$TMP/sonde.log" && break
	sleep 0.1
done
[ $i -lt 50 ] || fail "the relist did not find 3 pods"
pass "410 Gone: sonde lists again"
curl -s -o /dev/null "http://127.0.0.1:$C_PORT/c"
wait_metric "microservice_requests_total{service=\"agent\",protocol=\"http\",method=\"GET\",endpoint=\"/c\",status=\"404\",$ID_C}" 5 10
# The node's pods twice, the cluster's pods and Services once each.
expect_metric 'sonde_k8s_updates_total{kind="list"}' 4
expect_metric 'sonde_k8s_updates_total{kind="error"}' 0
V=$(sed -n 's/.*k8s: 3 pods on this node at version \([0-9]*\)$/\1/p' "$TMP/sonde.log")
grep -q "watch=1&allowWatchBookmarks=true&timeoutSeconds=300&fieldSelector=spec.nodeName%3Dnode-1&resourceVersion=$V$" \
	"$STATE/requests.log" || fail "the second watch did not resume from the relisted version: $(cat "$STATE/requests.log")"
pass "watches resume from the listed version"

# The service graph names the other end from the cluster's addresses: a
# caller on node-2 is left to that node's sonde (only its server time is
# here), one on this node no target is counted here, under its pod's name;
# checkout calling the Service's IP names the Service.
CAT=$(free_port)
python3 -m http.server --bind 127.0.0.7 "$CAT" --directory "$TMP" >/dev/null 2>&1 &
CHILDREN+=($!)
wait_listen "$CAT" 10 || fail "the catalog server did not start"
for i in 1 2; do curl -s -o /dev/null --interface 127.0.0.5 "http://127.0.0.1:$A_PORT/"; done
for i in 1 2 3; do curl -s -o /dev/null --interface 127.0.0.6 "http://127.0.0.1:$A_PORT/"; done
for i in 1 2; do
	sh -c 'echo $$ >"$1/cgroup.procs" && exec curl -s -o /dev/null "$2"' _ "$A_SCOPE" "http://127.0.0.7:$CAT/"
done
wait_metric 'traces_service_graph_request_total{client="checkout",server="catalog"}' 2 10
wait_metric 'traces_service_graph_request_total{client="batch-1",server="checkout"}' 3 10
expect_metric 'traces_service_graph_request_server_seconds_count{client="storefront",server="checkout"}' 2
expect_no_line '^traces_service_graph_request_total\{client="storefront"' "node-2's caller is counted by node-2's sonde"
expect_metric sonde_k8s_addresses 3
expect_metric sonde_k8s_addresses_dropped_total 0
pass "service graph from the cluster's addresses: a Service, a pod of this node, a Deployment's pod elsewhere"

# The API server restarts: sonde counts the failures, lists again once it
# is back, and the labels stay.
kill "${CHILDREN[0]}"
wait "${CHILDREN[0]}" 2>/dev/null
for ((i = 0; i < 100; i++)); do
	scrape
	[ "$(metric 'sonde_k8s_updates_total{kind="error"}')" != 0 ] && break
	sleep 0.1
done
[ $i -lt 100 ] || fail "the API going away was not counted as an error"
python3 "$PEERS/k8s_api.py" "$API_PORT" "$TMP/sa/ca.crt" "$TMP/api.key" "test-token-$$" "$STATE" >"$TMP/api.log" 2>&1 &
CHILDREN+=($!)
for ((i = 0; i < 150; i++)); do
	[ "$(grep -c '^GET /api/v1/pods?fieldSelector' "$STATE/requests.log")" -ge 3 ] && break
	sleep 0.1
done
[ $i -lt 150 ] || fail "no list after the API came back"
pass "the API restarting: errors counted, listed again once it is back"
curl -s -o /dev/null "http://127.0.0.1:$A_PORT/a1"
wait_metric "microservice_requests_total{service=\"checkout\",protocol=\"http\",method=\"GET\",endpoint=\"/a1\",status=\"404\",$ID_A}" 2 10
stop_sonde
