#!/bin/bash
# --web-config: a real Prometheus scrapes sonde over TLS with basic auth
# (up == 1); curl without the password and with a wrong one gets 401, over
# plaintext a TLS error, and the refusals are counted; with
# RequireAndVerifyClientCert only a certificate of the client CA gets in;
# SIGHUP reloads the users; a bad file is refused with FILE:LINE at start
# and at reload, the running one staying.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd curl openssl htpasswd prometheus /usr/bin/python3

cd "$TMP" || fail "no TMP"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=sonde-test-ca 2>/dev/null
sign() { # name CN [extension file]
	openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 1 ${3:+-extfile "$3"} \
		2>/dev/null || fail "openssl could not sign $1"
}
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
sign server 127.0.0.1 san.ext
sign client prometheus
openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.pem -days 1 -subj /CN=rogue 2>/dev/null
HASH=$(htpasswd -nbBC 10 prom 's3cret' | cut -d: -f2)
web_config() { # user hash [client auth]
	printf 'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n'
	[ -n "${3:-}" ] && printf '  client_auth_type: %s\n  client_ca_file: ca.pem\n' "$3"
	printf 'basic_auth_users:\n  %s: %s\n' "$1" "$2"
}
web_config prom "$HASH" >web.yml

# A bad file: refused at start, by file, line and key.
printf 'tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n  prom: plaintext\n' >bad.yml
"$SONDE" --listen 127.0.0.1:1 --web-config "$TMP/bad.yml" 2>bad.err
rc=$?
[ "$rc" = 2 ] || fail "a bad web configuration: exit $rc, expected 2"
grep -q "bad.yml:5: prom: expected a bcrypt hash" bad.err || fail "the error does not name file, line and key: $(cat bad.err)"
printf 'tls_server_config:\n  cert_file: missing.pem\n  key_file: server.key\n' >missing.yml
"$SONDE" --listen 127.0.0.1:1 --web-config "$TMP/missing.yml" 2>missing.err
grep -q "missing.yml:2: cert_file: .*missing.pem: No such file or directory" missing.err ||
	fail "a missing certificate is not named: $(cat missing.err)"
pass "bad web configurations refused at start: $(head -c 80 bad.err)…"

start_sonde_tls() {
	SONDE_PORT=$(free_port)
	"$SONDE" --listen "127.0.0.1:$SONDE_PORT" --web-config "$TMP/web.yml" --target exe:no-such-program=none >"$TMP/sonde.log" 2>&1 &
	SONDE_PID=$!
	for ((i = 0; i < 300; i++)); do
		kill -0 "$SONDE_PID" 2>/dev/null || fail "sonde exited at start: $(tail -3 "$TMP/sonde.log")"
		curl -s --cacert ca.pem -u prom:s3cret "https://127.0.0.1:$SONDE_PORT/health" | grep -q healthy && return 0
		sleep 0.1
	done
	fail "sonde did not answer over TLS in 30 s"
}
code() { curl -s -o /dev/null -w '%{http_code}' --cacert ca.pem "$@"; }
start_sonde_tls
BASE=https://127.0.0.1:$SONDE_PORT
[ "$(code "$BASE/metrics")" = 401 ] || fail "no password: not 401"
[ "$(code -u prom:wrong "$BASE/metrics")" = 401 ] || fail "a wrong password: not 401"
[ "$(code -u nobody:s3cret "$BASE/health")" = 401 ] || fail "a wrong user: not 401"
[ "$(code -u prom:s3cret "$BASE/metrics")" = 200 ] || fail "the password: not 200"
curl -s -o /dev/null "http://127.0.0.1:$SONDE_PORT/metrics" && fail "plaintext HTTP was answered"
curl -s -D - -o /dev/null --cacert ca.pem "$BASE/health" | grep -qi '^www-authenticate: basic realm="sonde"' ||
	fail "no WWW-Authenticate challenge"
pass "over TLS: 401 without a password, with a wrong one and a wrong user; 200 with it; plaintext fails"
curl -s --cacert ca.pem -u prom:s3cret "$BASE/metrics" >"$TMP/metrics"
expect_metric 'sonde_web_auth_failures_total{reason="no_credentials"}' 2
expect_metric 'sonde_web_auth_failures_total{reason="wrong_password"}' 2

# A real Prometheus, over TLS with the CA and basic auth.
PROM_PORT=$(free_port)
cat >prometheus.yml <<YAML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: sonde
    scheme: https
    tls_config: {ca_file: $TMP/ca.pem}
    basic_auth: {username: prom, password: s3cret}
    static_configs: [{targets: ["127.0.0.1:$SONDE_PORT"]}]
  - job_name: nopassword
    scheme: https
    tls_config: {ca_file: $TMP/ca.pem}
    static_configs: [{targets: ["127.0.0.1:$SONDE_PORT"]}]
YAML
prometheus --config.file=prometheus.yml --storage.tsdb.path=tsdb --web.listen-address="127.0.0.1:$PROM_PORT" \
	>prometheus.log 2>&1 &
CHILDREN+=($!)
for ((i = 0; i < 200; i++)); do
	[ "$(prom_query 'up{job="sonde"}')" = 1 ] && [ "$(prom_query 'up{job="nopassword"}')" = 0 ] && break
	sleep 0.2
done
[ "$(prom_query 'up{job="sonde"}')" = 1 ] || fail "Prometheus cannot scrape sonde over TLS: $(tail -3 prometheus.log)"
[ "$(prom_query 'up{job="nopassword"}')" = 0 ] || fail "Prometheus without the password scraped sonde"
[ -n "$(prom_query 'sonde_build_info')" ] || fail "Prometheus has no sonde series"
pass "Prometheus over TLS with basic auth: up == 1; without the password: up == 0"

# SIGHUP: a new password; the old one is refused from then on.
web_config prom "$(htpasswd -nbBC 10 prom 'n3w' | cut -d: -f2)" >web.yml
kill -HUP "$SONDE_PID"
wait_log 'endpoints restarted with .*web.yml: TLS, 1 users' 10
[ "$(code -u prom:s3cret "$BASE/health")" = 401 ] || fail "the old password still works after the reload"
[ "$(code -u prom:n3w "$BASE/health")" = 200 ] || fail "the new password does not work after the reload"
curl -s --cacert ca.pem -u prom:n3w "$BASE/metrics" >"$TMP/metrics"
[ "$(metric 'sonde_web_auth_failures_total{reason="no_credentials"}')" -ge 2 ] ||
	fail "the refusals counted before the reload were lost"
pass "SIGHUP: the new password in, the old one out, the counts kept"
# A bad file at reload: refused, the running configuration stays.
cp bad.yml web.yml
kill -HUP "$SONDE_PID"
wait_log 'reload refused, the endpoints keep the running web configuration: .*web.yml:5: prom' 10
[ "$(code -u prom:n3w "$BASE/health")" = 200 ] || fail "a refused reload changed the endpoints"
pass "a bad file at reload: refused with FILE:LINE, the running one stays"

# Client certificates, verified against client_ca_file.
web_config prom "$HASH" RequireAndVerifyClientCert >web.yml
kill -HUP "$SONDE_PID"
wait_log 'endpoints restarted with .*web.yml: TLS, 1 users' 10
sleep 0.5
[ "$(code -u prom:s3cret "$BASE/health")" = 403 ] || fail "no client certificate: not 403"
[ "$(code -u prom:s3cret --cert rogue.pem --key rogue.key "$BASE/health")" = 403 ] ||
	fail "a certificate of another CA: not 403"
[ "$(code -u prom:s3cret --cert client.pem --key client.key "$BASE/health")" = 200 ] ||
	fail "the client CA's certificate: not 200"
pass "RequireAndVerifyClientCert: only a certificate of the client CA gets in (403 otherwise)"
kill -TERM "$SONDE_PID"
wait "$SONDE_PID"
rc=$?
SONDE_PID=
[ "$rc" = 0 ] || fail "sonde exited with $rc on SIGTERM"
