#!/bin/bash
# The DaemonSet and the systemd unit give sonde capabilities instead of
# privileged: as root, with only BPF, PERFMON, NET_ADMIN, SYS_RESOURCE,
# SYS_PTRACE and DAC_READ_SEARCH it attaches (sockops too) and counts
# requests exactly; without NET_ADMIN it still does, with TCP health from
# the tracepoints alone; without BPF it refuses to start with a one-line
# reason.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl setpriv capsh
# SYS_RESOURCE only raises the memlock limit on kernels before 5.11; a
# container may not hold it to give.
BOUNDING=$(capsh --decode="$(awk '/^CapBnd/ {print $2}' /proc/self/status)")
CAPS=
for c in bpf perfmon net_admin sys_resource sys_ptrace dac_read_search; do
	if [[ $BOUNDING == *cap_$c* ]]; then CAPS=$CAPS,+$c; else echo "note: this machine cannot grant cap_$c"; fi
done
CAPS=${CAPS#,}

# The lists in the manifests, the chart and the unit are the ones tested here.
for f in deploy/kubernetes/daemonset.yaml deploy/helm/sonde/templates/daemonset.yaml; do
	grep -q 'add: \[BPF, PERFMON, NET_ADMIN, SYS_RESOURCE, SYS_PTRACE, DAC_READ_SEARCH\]' "$ROOT/$f" ||
		fail "$f does not add exactly the tested capabilities"
done
grep -q '^AmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_RESOURCE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH$' \
	"$ROOT/deploy/systemd/sonde.service" || fail "the systemd unit does not grant exactly the tested capabilities"
pass "the DaemonSet, the chart and the unit grant the tested capabilities"

PORT=$(free_port)
start_nginx "$PORT"
SONDE_REAL=$SONDE
SONDE=$TMP/sonde-capped
cat >"$SONDE" <<SH
#!/bin/sh
exec setpriv --bounding-set -all,$CAPS --inh-caps -all,$CAPS --ambient-caps -all,$CAPS -- $SONDE_REAL "\$@"
SH
chmod 755 "$SONDE"
start_sonde --target "port:$PORT=web"
have=$(capsh --decode="$(awk '/^CapEff/ {print $2}' "/proc/$SONDE_PID/status")" | cut -d= -f2)
want=$(echo "$CAPS" | tr -d + | sed 's/\([a-z_]*\)/cap_\1/g')
[ "$(echo "$have" | tr , '\n' | sort)" = "$(echo "$want" | tr , '\n' | sort)" ] ||
	fail "sonde runs with $have, expected $want"
pass "sonde runs with only $have"
for i in $(seq 6); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 6 10
if [[ $CAPS == *net_admin* ]]; then
	grep -q '^sonde_build_info{.*tcp="sockops"} 1$' "$TMP/metrics" || fail "sockops is not in use: $(grep sonde_build_info "$TMP/metrics")"
	pass "sockops attached with NET_ADMIN"
fi
stop_sonde

# Without NET_ADMIN: no socket programs, the rest as before.
NO_NET=$(echo "$CAPS" | sed 's/+net_admin,\{0,1\}//; s/,$//')
cat >"$SONDE" <<SH
#!/bin/sh
exec setpriv --bounding-set -all,$NO_NET --inh-caps -all,$NO_NET --ambient-caps -all,$NO_NET -- $SONDE_REAL "\$@"
SH
start_sonde --target "port:$PORT=web"
for i in $(seq 4); do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 4 10
grep -q '^sonde_build_info{.*tcp="tracepoints"} 1$' "$TMP/metrics" || fail "without NET_ADMIN: $(grep sonde_build_info "$TMP/metrics")"
grep -q 'sockops: sockops and sk_msg cannot be loaded (they need CAP_NET_ADMIN)' "$TMP/sonde.log" || fail "the log does not say why sockops is off"
pass "without NET_ADMIN: requests counted, sonde_build_info{tcp=\"tracepoints\"}, and the log says why"
stop_sonde

cat >"$SONDE" <<SH
#!/bin/sh
exec setpriv --bounding-set -all,+perfmon --inh-caps -all,+perfmon --ambient-caps -all,+perfmon -- $SONDE_REAL "\$@"
SH
out=$("$SONDE" --listen "127.0.0.1:$(free_port)" 2>&1); rc=$?
[ $rc = 1 ] || fail "without CAP_BPF sonde exited $rc: $out"
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q '^sonde: ' || fail "not a one-line reason: $out"
pass "without CAP_BPF: exit 1, $out"
