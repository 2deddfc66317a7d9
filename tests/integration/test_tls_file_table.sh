#!/bin/bash
# The TLS probes' file table cannot be filled for good: 4,200 distinct tiny
# executables run as targets (more than its 4,096 slots), then a process
# mapping a libssl never seen before still gets its probes, and its HTTPS
# requests count.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd cc nginx openssl /usr/bin/python3

# An executable that sleeps 2 s and exits, 4,200 copies: each its own
# inode, alive long enough for sonde to look at it.
cat >"$TMP/t.S" <<'ASM'
.globl _start
_start:
	lea ts(%rip), %rdi
	xor %esi, %esi
	mov $35, %eax
	syscall
	mov $60, %eax
	xor %edi, %edi
	syscall
.data
ts:	.quad 2, 0
ASM
cc -nostdlib -static -o "$TMP/t" "$TMP/t.S" || fail "cc failed"
for ((i = 0; i < 4200; i++)); do mkdir -p "$TMP/x/$i" && cp "$TMP/t" "$TMP/x/$i/t"; done
# A libssl of its own, for a curl started last.
mkdir -p "$TMP/lib"
cp /usr/lib/x86_64-linux-gnu/libssl.so.3 "$TMP/lib/"
PORT=$(free_port)
TLS_PORT=$(free_port)
start_nginx "$PORT" "$TLS_PORT"
start_sonde --target exe:t=tiny --target exe:python3=cli
# In batches of 600 alive at once.
for ((b = 0; b < 4200; b += 600)); do
	pids=()
	for ((i = b; i < b + 600; i++)); do
		"$TMP/x/$i/t" &
		pids+=($!)
	done
	wait "${pids[@]}"
done
pass "4,200 tiny executables ran as targets"
# A client mapping that libssl, which waits for the scan to find it there
# (a library mapped after exec is found by the scan), then makes three
# HTTPS requests.
LD_LIBRARY_PATH=$TMP/lib /usr/bin/python3 - "$TLS_PORT" <<'PY' &
import ssl, sys, time, urllib.request
ctx = ssl._create_unverified_context()
time.sleep(3)
for _ in range(3):
    urllib.request.urlopen("https://127.0.0.1:%s/" % sys.argv[1], context=ctx).read()
PY
CLIENT=$!
for ((i = 0; i < 100; i++)); do
	grep -q "tls: attached to $TMP/lib/libssl.so.3 for pid $CLIENT " "$TMP/sonde.log" && break
	sleep 0.1
done
grep -q "tls: attached to $TMP/lib/libssl.so.3 for pid $CLIENT " "$TMP/sonde.log" ||
	fail "the new libssl got no probes after the table filled"
pass "a libssl first seen after 4,200 other files still gets its probes"
wait "$CLIENT" || fail "the Python client failed"
wait_metric "microservice_client_requests_total{service=\"cli\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$TLS_PORT\",status=\"200\"}" 3 10
expect_no_line 'tls: .* files with probes in use' "the table never said it was full"
stop_sonde
