# Shared by the integration tests: real servers on loopback ports of their
# own, a real sonde, scrapes and exact assertions. Sourced, not run.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
SONDE=${SONDE:-$ROOT/build/sonde}
TMP=$(mktemp -d /tmp/sonde-test.XXXXXX)
CHILDREN=()
SONDE_PID=
SONDE_PORT=

cleanup() {
	local p
	for p in "${CHILDREN[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "$SONDE_PID" ] && kill "$SONDE_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }

# Two network namespaces of the test's own, PREFIX-a-PID and PREFIX-b-PID
# in NS_A and NS_B, gone at exit; in_a and in_b run a command in each
# (nsenter, not ip netns exec: the latter remounts /sys, hiding tracefs).
netns_pair() { # prefix
	NS_A=$1-a-$$
	NS_B=$1-b-$$
	ip netns add "$NS_A" && ip netns add "$NS_B" || skip "cannot create network namespaces"
	trap netns_cleanup EXIT
}
netns_cleanup() {
	cleanup
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
}
in_a() { nsenter --net=/run/netns/$NS_A "$@"; }
in_b() { nsenter --net=/run/netns/$NS_B "$@"; }
fail() {
	echo "FAIL: $*"
	[ -n "${DUMP_METRICS:-}" ] && grep -E "^(microservice_requests_total|sonde_|traces_service_graph_request_total)" "$TMP/metrics"
	[ -f "$TMP/sonde.log" ] && { echo "--- sonde log"; tail -n "${LOG_LINES:-30}" "$TMP/sonde.log"; }
	exit 1
}
pass() { echo "ok: $*"; }

require_bpf() {
	[ "$(id -u)" = 0 ] || skip "BPF integration tests need root to load BPF programs"
	[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
	[ -x "$SONDE" ] || fail "$SONDE is not built"
}

require_cmd() {
	local c
	for c in "$@"; do command -v "$c" >/dev/null || fail "$c is not installed (make deps installs it)"; done
}

# A TCP port nothing uses now, below the kernel's ephemeral range (32768
# and up), so no client socket can hold it between the pick and the bind.
free_port() {
	local p
	while :; do
		p=$((10000 + RANDOM % 22000))
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# Waits for a listener without sending it a request, which would be counted.
wait_listen() { # port, seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

start_sonde() {
	SONDE_PORT=$(free_port)
	# SONDE_HOOKS runs a test in another hook mode (test_hook_modes.sh).
	"$SONDE" --listen "127.0.0.1:$SONDE_PORT" ${SONDE_HOOKS:+--hooks "$SONDE_HOOKS"} "$@" >"$TMP/sonde.log" 2>&1 &
	SONDE_PID=$!
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$SONDE_PID" 2>/dev/null || fail "sonde exited at start"
		# Attached once /health says anything but "starting": health checks
		# may make it 503.
		curl -s "http://127.0.0.1:$SONDE_PORT/health" | grep -qE '"(healthy|degraded|unhealthy)"' && return 0
		sleep 0.1
	done
	fail "sonde did not attach in 30s"
}

stop_sonde() {
	kill -TERM "$SONDE_PID"
	wait "$SONDE_PID"
	local rc=$?
	SONDE_PID=
	[ "$rc" = 0 ] || fail "sonde exited with $rc on SIGTERM, expected 0"
	pass "sonde exits 0 on SIGTERM"
}

scrape() {
	curl -sf "http://127.0.0.1:$SONDE_PORT/metrics" >"$TMP/metrics" || fail "scraping /metrics failed"
}

# The value of one exact series ("name{labels}"), or "absent".
metric() {
	awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "absent" : v) }' "$TMP/metrics"
}

expect_metric() { # series, value
	local v
	v=$(metric "$1")
	[ "$v" = "$2" ] || fail "$1 = $v, expected $2"
	pass "$1 = $2"
}

# Scrapes until a series reaches a value: events arrive within the drain
# interval, but the machine may be slow.
wait_metric() { # series, value, seconds
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		scrape
		[ "$(metric "$1")" = "$2" ] && { pass "$1 = $2"; return 0; }
		sleep 0.1
	done
	scrape
	expect_metric "$1" "$2"
}

# Waits for a line of the daemon's log to match an extended regex.
wait_log() { # regex, seconds, what is missing
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		grep -qE -- "$1" "$TMP/sonde.log" && return 0
		sleep 0.1
	done
	fail "${3:-no line of the log matches $1} in ${2:-10} s"
}

# Every OTLP request body a test receiver stored in a directory decodes
# with protoc.
protoc_decode_all() { # directory
	local body
	for body in "$1"/*.bin; do
		protoc --decode=sonde.otlp.ExportTraceServiceRequest --proto_path="$ROOT/proto" "$ROOT/proto/otlp.proto" \
			<"$body" >/dev/null || fail "protoc --decode rejected $body"
	done
	pass "protoc --decode reads every request body"
}

expect_no_line() { # extended regex, reason
	if grep -E -- "$1" "$TMP/metrics" >/dev/null; then
		grep -E -- "$1" "$TMP/metrics" | head -n 5
		fail "$2"
	fi
	pass "$2"
}

promtool_check() {
	promtool check metrics <"$TMP/metrics" >"$TMP/promtool.out" 2>&1 \
		|| { cat "$TMP/promtool.out"; fail "promtool check metrics failed"; }
	[ -s "$TMP/promtool.out" ] && { cat "$TMP/promtool.out"; fail "promtool check metrics reported problems"; }
	pass "promtool check metrics is clean"
}

# nginx with one worker on its own port, as an unmodified service would run;
# with a second port, the same server over TLS there, with a self-signed
# certificate made for the test. NGINX names another binary; TMP/NGINX_DIR
# its directory (default nginx); NGINX_CONNECTIONS its worker_connections
# (default 512); NGINX_ACCESS_LOG a file for its access log, one
# "METHOD URI STATUS" line a request (default none); sets NGINX_PID, the
# master's.
start_nginx() { # port [tls port [HTTP/2 over TLS port]]
	local dir=$TMP/${NGINX_DIR:-nginx} tls=
	# Workers run unprivileged: they must reach the document root.
	chmod 755 "$TMP"
	mkdir -p "$dir/www/static"
	head -c 100000 /dev/urandom >"$dir/www/static/blob.bin"
	if [ -n "${2:-}" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" \
			-days 1 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl could not make a certificate"
		tls="listen 127.0.0.1:$2 ssl; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem;"
		[ -n "${3:-}" ] && tls="$tls listen 127.0.0.1:$3 ssl http2;"
	fi
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 8192;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections ${NGINX_CONNECTIONS:-512}; }
http {
	log_format plain '\$request_method \$uri \$status';
	access_log ${NGINX_ACCESS_LOG:-off}${NGINX_ACCESS_LOG:+ plain};
	sendfile on;
	client_body_temp_path $dir/body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$1;
		$tls
		root $dir/www;
		location = / { return 200 "hello\n"; }
		location = /unavailable { return 503; }
		location /api/users/ { return 201 "created\n"; }
		location /static/ { }
	}
}
CONF
	${NGINX:-nginx} -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
	NGINX_PID=$!
	CHILDREN+=($NGINX_PID)
	wait_listen "$1" 10 || fail "nginx did not start: $(cat "$dir/error.log")"
}

# redis-server on its own port, nothing saved. Sets REDIS_PID.
start_redis() { # port
	redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
		>"$TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	CHILDREN+=($REDIS_PID)
	wait_listen "$1" 10 || fail "redis-server did not start: $(tail -3 "$TMP/redis.log")"
}

# A PostgreSQL 15 cluster of the test's own, run as postgres (it refuses
# root), trusting local connections. Sets PG_BIN and PG_DIR.
start_postgres() { # port
	PG_BIN=/usr/lib/postgresql/15/bin
	PG_DIR=$TMP/pg
	chmod 755 "$TMP"
	[ -x "$PG_BIN/postgres" ] || fail "PostgreSQL 15 is not installed (make deps installs it)"
	mkdir -p "$PG_DIR"
	chown postgres "$PG_DIR"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$TMP/initdb.log" 2>&1 ||
		fail "initdb failed: $(tail -3 "$TMP/initdb.log")"
	runuser -u postgres -- "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$1" -k "$PG_DIR" \
		-c listen_addresses=127.0.0.1 >"$TMP/pg.log" 2>&1 &
	CHILDREN+=($!)
	wait_listen "$1" 30 || fail "postgres did not start: $(tail -3 "$TMP/pg.log")"
}

# A MariaDB server of the test's own, run as mysql, root without a
# password over TCP, TLS offered with a certificate of its own. Sets
# MARIADB_PID and MY (a client for the server, TLS off).
start_mariadb() { # port
	local dir=$TMP/mariadb i
	chmod 755 "$TMP"
	mkdir -p "$dir"
	chown mysql "$dir"
	mariadb-install-db --no-defaults --user=mysql --datadir="$dir/data" --auth-root-authentication-method=normal \
		--skip-test-db >"$TMP/mariadb-install.log" 2>&1 || fail "mariadb-install-db failed: $(tail -3 "$TMP/mariadb-install.log")"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 -subj /CN=localhost \
		>/dev/null 2>&1 || fail "openssl could not make a certificate"
	chown mysql "$dir/key.pem" "$dir/cert.pem"
	mariadbd --no-defaults --user=mysql --datadir="$dir/data" --port="$1" --bind-address=127.0.0.1 \
		--socket="$dir/sock" --pid-file="$dir/pid" --skip-log-bin --innodb-buffer-pool-size=32M \
		--ssl-cert="$dir/cert.pem" --ssl-key="$dir/key.pem" >"$TMP/mariadb.log" 2>&1 &
	MARIADB_PID=$!
	CHILDREN+=($MARIADB_PID)
	wait_listen "$1" 30 || fail "mariadbd did not start: $(tail -3 "$TMP/mariadb.log")"
	MY=(mariadb --no-defaults -h 127.0.0.1 -P "$1" -u root --skip-ssl -N -B)
}

# The nginx worker of the master NGINX_PID, once it runs.
nginx_worker() {
	local i w
	for ((i = 0; i < 100; i++)); do
		w=$(pgrep -P "$NGINX_PID" | head -n 1)
		[ -n "$w" ] && { echo "$w"; return 0; }
		sleep 0.1
	done
	fail "nginx started no worker"
}

# Waits until n target processes have TLS uprobes of their own, the
# processes that started after sonde among them.
wait_tls_processes() { # n seconds
	wait_metric sonde_tls_uprobe_processes "$1" "${2:-10}"
}

# Waits until sonde has attached TLS uprobes for this process.
wait_tls_pid() { # pid seconds
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		grep -q "tls: attached to .* for pid $1 " "$TMP/sonde.log" && { pass "TLS uprobes attached for pid $1"; return 0; }
		sleep 0.1
	done
	fail "sonde attached no TLS uprobes for pid $1 in ${2:-10} s"
}

# Whether a process has hit a uprobe: the kernel maps an area for it then.
has_uprobes() { # pid
	grep -q '\[uprobes\]' "/proc/$1/maps"
}

# Waits until sonde has attached its TLS probes to some OpenSSL library.
wait_tls_attached() { # seconds
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		grep -q 'tls: attached to .*libssl' "$TMP/sonde.log" && return 0
		sleep 0.1
	done
	fail "sonde did not attach to libssl in $1 s"
}

# A real Prometheus scraping the given targets every second, with an
# optional rule file; PROM_NETNS runs it (and prom_query) in that network
# namespace; PROM_FLAGS are more flags. Sets PROM_PORT.
# An OTLP/HTTP receiver storing what it gets in $TMP/spans, on RPORT, with
# protoc's Python classes in $TMP for otlp_spans.py to decode them.
start_otlp_receiver() {
	protoc --proto_path="$ROOT/proto" --python_out="$TMP" "$ROOT/proto/otlp.proto" || fail "protoc --python_out failed"
	RPORT=$(free_port)
	mkdir -p "$TMP/spans"
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_receiver.py" "$RPORT" "$TMP/spans" &
	CHILDREN+=($!)
	wait_listen "$RPORT" 10 || fail "the OTLP receiver did not start"
}

# The spans the receiver got so far, one JSON object a line, in $TMP/spans.jsonl.
decode_spans() {
	/usr/bin/python3 "$ROOT/tests/integration/peers/otlp_spans.py" "$TMP/spans" "$TMP" >"$TMP/spans.jsonl"
}

start_prometheus() { # "host:port ..." [rule file]
	local t targets=
	PROM_PORT=$(free_port)
	for t in $1; do targets="$targets\"$t\", "; done
	{
		printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
		[ -n "${2:-}" ] && printf 'rule_files:\n  - %s\n' "$2"
		printf 'scrape_configs:\n  - job_name: sonde\n    static_configs:\n      - targets: [%s]\n' "${targets%, }"
	} >"$TMP/prometheus.yml"
	# Started directly, not through prom_exec: a backgrounded function is a
	# subshell, and killing it would leave prometheus running.
	set -- prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" ${PROM_FLAGS:-}
	if [ -n "${PROM_NETNS:-}" ]; then
		nsenter --net="/run/netns/$PROM_NETNS" "$@" >"$TMP/prometheus.log" 2>&1 &
	else
		"$@" >"$TMP/prometheus.log" 2>&1 &
	fi
	CHILDREN+=($!)
	for ((t = 0; t < 200; t++)); do
		prom_exec curl -s -o /dev/null "http://127.0.0.1:$PROM_PORT/-/ready" && return 0
		sleep 0.1
	done
	fail "prometheus did not start: $(tail -3 "$TMP/prometheus.log")"
}

prom_exec() {
	if [ -n "${PROM_NETNS:-}" ]; then nsenter --net="/run/netns/$PROM_NETNS" "$@"; else "$@"; fi
}

# A PromQL query's first sample value, or "" when there is none.
prom_query() {
	prom_exec curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		/usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null
}
