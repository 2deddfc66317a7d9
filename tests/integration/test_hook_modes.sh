#!/bin/bash
# The two ways the kernel side sees the targets' sockets. On this kernel
# --hooks auto picks "sockets": sonde_build_info says so, and no program
# of sonde's runs at a syscall (none is loaded), so a process it does not
# target pays nothing for its syscalls. The fallback for older kernels,
# --hooks syscalls, must count as exactly: the nginx RED test, PostgreSQL
# (whose postmaster hands each connection to a backend it forks), MySQL
# (whose server reads a packet's header apart from its payload) and
# HTTPS through nginx run again in that mode.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx bpftool /usr/bin/python3

start_sonde --target exe:nginx=web
scrape
grep -q '^sonde_build_info{.*mode="sockets"' "$TMP/metrics" || fail "mode is not sockets: $(grep sonde_build_info "$TMP/metrics")"
pass "--hooks auto chose the socket layer's tracepoints"
# sonde's programs: the prog_id of each BPF fd it holds.
ids=$(cat /proc/"$SONDE_PID"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ { print $2 }' | sort -u)
bpftool prog show -j | /usr/bin/python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1:])
names = [p.get("name", "") for p in json.load(sys.stdin) if p["id"] in ids]
if not any(n.startswith("sonde_sock_recv") for n in names):
    sys.exit("sonde_sock_recv is not loaded: %s" % names)
bad = [n for n in names if n.startswith(("sonde_sys_exit", "sonde_enter_clo"))]
if bad:
    sys.exit("syscall programs loaded: %s" % bad)
' $ids || fail "sonde's programs are not the socket mode's"
pass "no syscall program is loaded"
stop_sonde

for t in test_nginx_red test_postgres_wire test_mysql test_dns test_https_nginx; do
	echo "--- $t with --hooks syscalls"
	SONDE_HOOKS=syscalls bash "$(dirname "$0")/$t.sh" >"$TMP/$t.out" 2>&1
	rc=$?
	[ "$rc" = 77 ] && skip "$t: $(tail -n 1 "$TMP/$t.out")"
	[ "$rc" = 0 ] || fail "$t failed with --hooks syscalls: $(tail -n 20 "$TMP/$t.out")"
	pass "$t counts exactly with --hooks syscalls"
done
