#!/bin/bash
# Least privilege after attach: started as root with every capability, the
# running daemon holds only the documented set (BPF, PERFMON, SYS_ADMIN, NET_ADMIN,
# SYS_PTRACE, DAC_READ_SEARCH, SYS_RESOURCE), its bounding set the same,
# no ambient ones, NoNewPrivs 1 and a seccomp filter in every thread; and
# it still does what it does later: probes a target started after it
# (plaintext and TLS), runs a health check, reloads its file.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl capsh redis-server
[ "$(capsh --decode="$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)" | grep -c cap_sys_admin)" = 1 ] ||
	skip "the test runs with every capability, as root in CI"

REDIS_PORT=$(free_port)
start_redis "$REDIS_PORT"
cat >"$TMP/sonde.yaml" <<EOF
services:
  - {name: web, match: {exe: nginx}}
health_checks:
  - {name: cache, type: redis, address: "127.0.0.1:$REDIS_PORT", interval: 1s}
EOF
start_sonde --config "$TMP/sonde.yaml"
status=/proc/$SONDE_PID/status
# The documented set, of what this shell could give (a container may lack
# SYS_RESOURCE).
mine=$(capsh --decode="$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)" | cut -d= -f2)
want=
for c in cap_dac_read_search cap_sys_ptrace cap_sys_admin cap_net_admin cap_sys_resource cap_perfmon cap_bpf; do
	[[ ,$mine, == *,$c,* ]] && want=$want,$c
done
want=${want#,}
for set in CapEff CapPrm CapBnd; do
	have=$(capsh --decode="$(awk -v s="$set:" '$1 == s {print $2}' "$status")" | cut -d= -f2)
	[ "$(echo "$have" | tr , '\n' | sort)" = "$(echo "$want" | tr , '\n' | sort)" ] ||
		fail "$set is $have, expected $want"
done
pass "CapEff, CapPrm and CapBnd: $want"
[ "$(awk '$1 == "CapAmb:" {print $2}' "$status")" = 0000000000000000 ] || fail "ambient capabilities left"
grep -q '^NoNewPrivs:	1$' "$status" || fail "NoNewPrivs is not 1"
grep -q '^Seccomp:	2$' "$status" || fail "no seccomp filter"
eff=$(awk '$1 == "CapEff:" {print $2}' "$status")
for task in /proc/$SONDE_PID/task/*; do
	grep -q '^Seccomp:	2$' "$task/status" || fail "thread $(basename "$task") has no seccomp filter"
	grep -q "^CapEff:	$eff$" "$task/status" || fail "thread $(basename "$task") holds other capabilities"
done
pass "NoNewPrivs 1; Seccomp 2 in all $(ls "/proc/$SONDE_PID/task" | wc -l) threads, each with the same capabilities"
grep -q "privileges: seccomp: .* syscalls allowed" "$TMP/sonde.log" || fail "the log does not say the filter is in"

# What it does after the drop: a target started now, over plaintext and TLS.
PORT=$(free_port)
TLS_PORT=$(free_port)
start_nginx "$PORT" "$TLS_PORT"
for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
for i in 1 2; do curl -sk -o /dev/null "https://127.0.0.1:$TLS_PORT/"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 5 15
pass "a target started after the drop: 3 plaintext and 2 HTTPS requests counted"
wait_metric 'microservice_health_check_status{check="cache"}' 1 10
kill -HUP "$SONDE_PID"
wait_log "config: reloaded" 5 "the reload did not happen"
pass "a Redis health check and a SIGHUP reload work under the filter"
expect_metric 'sonde_events_lost_total' 0
stop_sonde
