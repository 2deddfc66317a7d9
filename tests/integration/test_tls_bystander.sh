#!/bin/bash
# The TLS probes trap only in the processes sonde targets. A target nginx
# and a bystander nginx, started from a copy of the same binary, map the
# same libssl; a bystander Python client makes HTTPS calls through it too.
# The target's worker counts exactly and has hit uprobes; the bystanders
# never do. Then 32 curl processes, each making one HTTPS request and each
# a target from its exec, are counted on the client side, all 32.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl openssl /usr/bin/python3

start_sonde --target exe:nginx=web --target exe:curl=client
PORT=$(free_port) TLS_PORT=$(free_port)
start_nginx "$PORT" "$TLS_PORT"
TARGET_WORKER=$(nginx_worker)
mkdir -p "$TMP/bin"
cp "$(command -v nginx)" "$TMP/bin/bystander"
B_PORT=$(free_port) B_TLS_PORT=$(free_port)
NGINX=$TMP/bin/bystander NGINX_DIR=bystander start_nginx "$B_PORT" "$B_TLS_PORT"
BYSTANDER_WORKER=$(nginx_worker)
wait_tls_pid "$TARGET_WORKER" 15

# The sites: the internal functions SSL_read_ex and SSL_write_ex call,
# whose first instruction (push) the kernel emulates.
scrape
for f in SSL_read_ex SSL_write_ex; do
	line=$(grep "^sonde_tls_probe_sites{file=\"[^\"]*libssl[^\"]*\",function=\"$f\"" "$TMP/metrics")
	[[ "$line" == *'site="emulated"} 1' ]] || fail "$f: expected an emulated site, got: $line"
	pass "$f probed where the kernel emulates the breakpoint"
done
grep -q "SSL_read_ex probed at the function it calls, 0x[0-9a-f]* (push" "$TMP/sonde.log" ||
	fail "the log does not say where SSL_read_ex was probed"

# 10 requests to each nginx, keep-alive; the bystander's on the same libssl.
for p in "$TLS_PORT" "$B_TLS_PORT"; do
	for i in $(seq 10); do echo "url = \"https://127.0.0.1:$p/\""; echo 'output = "/dev/null"'; done >"$TMP/ten.curl"
	curl -sk --config "$TMP/ten.curl" || fail "HTTPS GETs to port $p failed"
done
# A long-lived bystander client: Debian's Python, libssl through its ssl module.
/usr/bin/python3 - "$B_TLS_PORT" >"$TMP/client.out" 2>&1 <<'PY' || fail "the Python client failed: $(cat "$TMP/client.out")"
import http.client, ssl, sys
ctx = ssl._create_unverified_context()
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
for _ in range(10):
    conn.request("GET", "/")
    conn.getresponse().read()
with open("/proc/self/maps") as f:
    print("trapped" if "[uprobes]" in f.read() else "clean")
PY
[ "$(cat "$TMP/client.out")" = clean ] || fail "the bystander Python client hit a uprobe: $(cat "$TMP/client.out")"
pass "the bystander Python client, making 10 HTTPS calls through the same libssl, never trapped"
has_uprobes "$TARGET_WORKER" || fail "the target worker never hit a uprobe"
pass "the target worker hit the uprobes"
has_uprobes "$BYSTANDER_WORKER" && fail "the bystander worker hit a uprobe"
pass "the bystander worker, serving 10 HTTPS requests through the same libssl, never trapped"

# One HTTPS request from each of 32 curl processes, each a target from its
# exec, to the target nginx: the probes are attached before they send.
for i in $(seq 32); do curl -sk -o /dev/null "https://127.0.0.1:$TLS_PORT/api/users/$i" || fail "curl $i failed"; done

RT='microservice_requests_total{service="web",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/api/users/{id}\",status=\"201\"}" 32 15
expect_metric "$RT,endpoint=\"/\",status=\"200\"}" 10
wait_metric "microservice_client_requests_total{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$TLS_PORT\",status=\"201\"}" 32 15
expect_metric "microservice_client_requests_total{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$TLS_PORT\",status=\"200\"}" 10
# curl is a target whatever it calls: its 10 calls to the bystander count.
expect_metric "microservice_client_requests_total{service=\"client\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$B_TLS_PORT\",status=\"200\"}" 10
expect_no_line "^microservice_requests_total\\{service=\"bystander\"" "the bystander nginx is not observed"
expect_metric 'sonde_events_lost_total' 0
stop_sonde
