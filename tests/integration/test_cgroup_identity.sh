#!/bin/bash
# A Python http.server moved into a Kubernetes-shaped cgroup (systemd
# driver, containerd) is selected by cgroup:/kubepods.slice=pods and its
# series carry the pod uid and container id; a second http.server outside
# the cgroup is not counted; sockops on that cgroup times the round trips
# of a server started inside it.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl /usr/bin/python3

MOUNT=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
[ -n "$MOUNT" ] || skip "no cgroup v2 hierarchy is mounted"
UID_=$(cat /proc/sys/kernel/random/uuid)
CID=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
TOP=kubepods.slice-sonde-$$
POD=$MOUNT/$TOP/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_//-/_}.slice
SCOPE=$POD/cri-containerd-$CID.scope
mkdir -p "$SCOPE" || skip "cannot create cgroups under $MOUNT"
cgroup_cleanup() {
	cleanup
	rmdir "$SCOPE" "$POD" "$MOUNT/$TOP/kubepods-besteffort.slice" "$MOUNT/$TOP" 2>/dev/null
}
trap cgroup_cleanup EXIT

start_sonde --target "cgroup:/$TOP=pods"
IN=$(free_port)
OUT=$(free_port)
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$IN" --directory "$TMP" >/dev/null 2>&1 &
INSIDE=$!
CHILDREN+=($INSIDE)
/usr/bin/python3 -m http.server --bind 127.0.0.1 "$OUT" --directory "$TMP" >/dev/null 2>&1 &
CHILDREN+=($!)
wait_listen "$IN" 10 && wait_listen "$OUT" 10 || fail "http.server did not start"
# Moved in after it started, as a container runtime would after setup.
echo "$INSIDE" >"$SCOPE/cgroup.procs" || fail "cannot move the server into $SCOPE"

for i in $(seq 6); do curl -s -o /dev/null "http://127.0.0.1:$IN/file-$i.txt"; done
for i in $(seq 4); do curl -s -o /dev/null "http://127.0.0.1:$OUT/file-$i.txt"; done
S="microservice_requests_total{service=\"pods\",protocol=\"http\",method=\"GET\",endpoint=\"/file-6.txt\",status=\"404\",container_id=\"$CID\",k8s_pod_uid=\"$UID_\"}"
wait_metric "$S" 1 10
n=$(grep -c "^microservice_requests_total{service=\"pods\".*container_id=\"$CID\",k8s_pod_uid=\"$UID_\"} 1$" "$TMP/metrics")
[ "$n" = 6 ] || fail "expected 6 request series with the pod's identity, found $n"
pass "6 requests inside the pod counted with container_id and k8s_pod_uid"
expect_no_line '^microservice_requests_total\{service="(python3|pods)"[^}]*status="404"\} ' "no request counted without identity (the server outside the cgroup)"
n=$(grep -c '^microservice_requests_total{' "$TMP/metrics")
[ "$n" = 6 ] || fail "expected only the 6 series of the pod, found $n"
pass "the server outside the cgroup is not counted"
expect_metric "microservice_active_connections{service=\"pods\",container_id=\"$CID\",k8s_pod_uid=\"$UID_\"}" 0

# sockops runs on the selected cgroup alone, and sees the sockets made in
# it: a server started inside, as a container's is, has a round-trip time
# sample for each of its 3 connections (the one moved in made its
# listener outside, and its connections stay the root's).
grep -qF "sockops: on cgroup $MOUNT/$TOP:" "$TMP/sonde.log" || fail "sockops is not on $MOUNT/$TOP: $(grep sockops "$TMP/sonde.log")"
pass "sockops attached to the selected cgroup"
BORN=$(free_port)
sh -c 'echo $$ >"$1/cgroup.procs" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$2" --directory "$3"' \
	sh "$SCOPE" "$BORN" "$TMP" >/dev/null 2>&1 &
CHILDREN+=($!)
wait_listen "$BORN" 10 || fail "the server started in the cgroup did not listen"
for i in $(seq 3); do curl -s -o /dev/null "http://127.0.0.1:$BORN/born-$i.txt"; done
wait_metric "microservice_tcp_rtt_seconds_count{service=\"pods\",peer=\"127.0.0.1\",container_id=\"$CID\",k8s_pod_uid=\"$UID_\"}" 3 10
stop_sonde
