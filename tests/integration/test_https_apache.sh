#!/bin/bash
# Apache (event MPM, mod_ssl on the system libssl) started after sonde,
# selected by its port: the parent and its children get TLS probes of
# their own, and keep-alive requests, 404s and 300 kB replies over HTTPS
# are counted exactly, against Apache's own access log.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd apache2 curl openssl
MODS=/usr/lib/apache2/modules
[ -f "$MODS/mod_ssl.so" ] || fail "mod_ssl is not installed (make deps installs apache2)"

chmod 755 "$TMP"
mkdir -p "$TMP/www"
echo hello >"$TMP/www/index.html"
head -c 300000 /dev/urandom >"$TMP/www/big.bin"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 1 -subj /CN=localhost \
	>/dev/null 2>&1 || fail "openssl could not make a certificate"
PORT=$(free_port)
cat >"$TMP/apache.conf" <<CONF
ServerRoot $TMP
ServerName localhost
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dir_module $MODS/mod_dir.so
LoadModule socache_shmcb_module $MODS/mod_socache_shmcb.so
LoadModule ssl_module $MODS/mod_ssl.so
TypesConfig /etc/mime.types
User www-data
Group www-data
PidFile $TMP/apache.pid
ErrorLog $TMP/apache-error.log
LogFormat "%m %U %>s" plain
CustomLog $TMP/access.log plain
StartServers 2
Listen 127.0.0.1:$PORT
DocumentRoot $TMP/www
DirectoryIndex index.html
KeepAlive On
MaxKeepAliveRequests 0
<Directory $TMP/www>
	Require all granted
</Directory>
SSLEngine on
SSLCertificateFile $TMP/cert.pem
SSLCertificateKeyFile $TMP/key.pem
SSLSessionCache none
CONF

start_sonde --target "port:$PORT=apache"
apache2 -f "$TMP/apache.conf" -DFOREGROUND >"$TMP/apache.out" 2>&1 &
APACHE_PID=$!
CHILDREN+=($APACHE_PID)
wait_listen "$PORT" 15 || fail "apache did not start: $(cat "$TMP/apache.out" "$TMP/apache-error.log" 2>/dev/null)"
# The children that serve, each with probes of its own.
for ((i = 0; i < 100; i++)); do
	[ "$(pgrep -P "$APACHE_PID" | wc -l)" -ge 2 ] && break
	sleep 0.1
done
for child in $(pgrep -P "$APACHE_PID"); do wait_tls_pid "$child" 15; done

for i in $(seq 20); do echo "url = \"https://127.0.0.1:$PORT/\""; echo 'output = "/dev/null"'; done >"$TMP/ok.curl"
curl -sk --http1.1 --config "$TMP/ok.curl" || fail "HTTPS GETs failed"
for i in $(seq 10); do curl -sk -o /dev/null "https://127.0.0.1:$PORT/missing/$i" || fail "curl failed"; done
for i in $(seq 5); do curl -sk -o /dev/null "https://127.0.0.1:$PORT/big.bin" || fail "curl failed"; done

RT='microservice_requests_total{service="apache",protocol="http",method="GET"'
wait_metric "$RT,endpoint=\"/big.bin\",status=\"200\"}" "$(grep -c '^GET /big.bin 200$' "$TMP/access.log")" 15
expect_metric "$RT,endpoint=\"/\",status=\"200\"}" "$(grep -c '^GET /index.html 200$' "$TMP/access.log")"
expect_metric "$RT,endpoint=\"/missing/{id}\",status=\"404\"}" "$(grep -c '^GET /missing/.* 404$' "$TMP/access.log")"
[ "$(wc -l <"$TMP/access.log")" = 35 ] || fail "apache logged $(wc -l <"$TMP/access.log") requests, not 35"
pass "35 requests in apache's access log, each counted once"
expect_metric 'sonde_tls_connections_total' 16
expect_metric 'sonde_events_lost_total' 0
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
promtool_check
stop_sonde
