#!/bin/bash
# Go's crypto/tls, server and client, built by Debian's Go: a net/http
# server and clients over HTTP/1.1 and HTTP/2, counted exactly on both
# sides against the server's own log, from uprobes on the Read, Write and
# handshake entries and Read's return instructions (no uretprobes: Go
# moves stacks).
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd go openssl promtool

export GOCACHE=$TMP/gocache GOPATH=$TMP/gopath
go build -o "$TMP/gosrv" "$ROOT/tests/integration/peers/go_tls.go" || fail "go build failed"
cp "$TMP/gosrv" "$TMP/gocli"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"
PORT=$(free_port)
"$TMP/gosrv" serve "127.0.0.1:$PORT" "$TMP/cert.pem" "$TMP/key.pem" "$TMP/access.log" 2>"$TMP/gosrv.log" &
SERVER=$!
CHILDREN+=("$SERVER")
wait_listen "$PORT" 10 || fail "the Go server is not listening"
start_sonde --target exe:gosrv=goweb --target exe:gocli=gocli
wait_go_tls() { # pid executable: its own probes, not libssl's, are in
	local i
	for ((i = 0; i < 150; i++)); do
		grep -q "tls: attached to .*/$2 for pid $1 " "$TMP/sonde.log" && { pass "Go TLS probes in for pid $1"; return 0; }
		sleep 0.1
	done
	fail "no Go TLS probes for pid $1 ($2) in 15 s"
}
wait_go_tls "$SERVER" gosrv
BASE=https://127.0.0.1:$PORT

# One client per protocol and route, each once its probes are in.
run_client() { # h1|h2 path count
	rm -f "$TMP/go"
	"$TMP/gocli" get "$1" "$BASE$2" "$3" "$TMP/go" &
	local pid=$!
	CHILDREN+=("$pid")
	wait_go_tls "$pid" gocli
	touch "$TMP/go"
	wait "$pid" || fail "the Go client failed ($1 $2)"
}
run_client h1 '/hello/{i}' 10
run_client h1 '/missing/{i}' 5
run_client h1 /fail 2
run_client h2 '/hello/{i}' 10
run_client h2 '/missing/{i}' 5
run_client h2 /fail 2

logged() { awk -v path="$1" -v status="$2" '$3 ~ path && $4 == status { n++ } END { print n + 0 }' "$TMP/access.log"; }
[ "$(grep -c '^HTTP/1.1 ' "$TMP/access.log")" = 17 ] && [ "$(grep -c '^HTTP/2.0 ' "$TMP/access.log")" = 17 ] \
	|| fail "the server logged $(wc -l <"$TMP/access.log") requests, not 17 over each protocol"
pass "34 requests in the server's log, 17 over HTTP/1.1 and 17 over HTTP/2"
RT='microservice_requests_total{service="goweb",protocol="http",method="GET"'
CR="microservice_client_requests_total{service=\"gocli\",protocol=\"http\",method=\"GET\",peer=\"127.0.0.1:$PORT\""
wait_metric "$CR,status=\"500\"}" 4 15
expect_metric "$CR,status=\"200\"}" 20
expect_metric "$CR,status=\"404\"}" 10
wait_metric "$RT,endpoint=\"/fail\",status=\"500\"}" "$(logged '^/fail$' 500)" 10
expect_metric "$RT,endpoint=\"/hello/{id}\",status=\"200\"}" "$(logged '^/hello/' 200)"
expect_metric "$RT,endpoint=\"/missing/{id}\",status=\"404\"}" "$(logged '^/missing/' 404)"
expect_metric 'microservice_errors_total{service="goweb",type="http_5xx"}' 4
expect_metric "sonde_tls_probe_sites{file=\"$TMP/gosrv\",function=\"crypto/tls.(*Conn).Read\",site=\"emulated\"}" 1
expect_metric 'sonde_tls_unreadable_connections_total{service="goweb"}' absent
expect_no_line '^sonde_parse_failures_total\{' "no parse failures"
expect_metric 'sonde_events_lost_total' 0
promtool_check
