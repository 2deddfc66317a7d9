#!/bin/bash
# DNS against a real dnsmasq, asked by dig over UDP and over TCP, IPv4
# and IPv6: 24 answered and 7 NXDOMAIN queries, and 2 that dnsmasq forwards to an
# upstream that fails them (SERVFAIL, a server error). sonde counts each on
# both sides, the server's (dnsmasq: its own log of queries) and the
# client's (dig: the status it printed), by query type and RCODE;
# dnsmasq's own forwarded lookups count as its client calls. Spans carry
# the name asked as dns.question.name, which no label holds.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd dnsmasq dig protoc /usr/bin/python3

# A port free for TCP and for UDP.
while :; do
	PORT=$(free_port)
	ss -Huan "sport = :$PORT" | grep -q . || break
done
UP=$(free_port)
/usr/bin/python3 "$ROOT/tests/integration/peers/dns_servfail.py" "$UP" &
CHILDREN+=($!)
dnsmasq -k --conf-file=/dev/null --user=root --port="$PORT" --listen-address=127.0.0.1,::1 --bind-interfaces \
	--no-resolv --no-hosts --cache-size=0 --local=/test/ --address=/svc.test/10.1.2.3 \
	--server="/fail.test/127.0.0.1#$UP" --log-queries --log-facility="$TMP/dnsmasq.log" 2>"$TMP/dnsmasq.err" &
CHILDREN+=($!)
wait_listen "$PORT" 10 || fail "dnsmasq did not start: $(cat "$TMP/dnsmasq.err")"

start_otlp_receiver
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target exe:dnsmasq=dns --target exe:dig=resolver --target exe:getent=app

ask() { # name, then dig's options
	dig @"${SERVER:-127.0.0.1}" -p "$PORT" +tries=1 +time=5 "$@" >>"$TMP/dig.out" || fail "dig $* failed"
}
for i in $(seq 15); do ask "a$i.svc.test"; done
for i in $(seq 5); do ask "t$i.svc.test" +tcp; done
for i in $(seq 3); do SERVER=::1 ask "v$i.svc.test"; done
SERVER=::1 ask v4.svc.test +tcp
for i in $(seq 5); do ask "nx$i.test"; done
for i in 1 2; do ask "nx$i.test" AAAA; done
for i in 1 2; do ask "f$i.fail.test"; done

# What each side saw: dig's statuses, dnsmasq's queries by type.
said() { grep -c "status: $1," "$TMP/dig.out"; }
logged() { grep -c "query\[$1\]" "$TMP/dnsmasq.log"; }
[ "$(said NOERROR)" = 24 ] && [ "$(said NXDOMAIN)" = 7 ] && [ "$(said SERVFAIL)" = 2 ] ||
	fail "dig saw $(said NOERROR) NOERROR, $(said NXDOMAIN) NXDOMAIN, $(said SERVFAIL) SERVFAIL"
[ "$(logged A)" = 31 ] && [ "$(logged AAAA)" = 2 ] ||
	fail "dnsmasq logged $(logged A) A and $(logged AAAA) AAAA queries"

server() { echo "microservice_requests_total{service=\"dns\",protocol=\"dns\",method=\"$1\",endpoint=\"$1\",status=\"$2\"}"; }
client() { echo "microservice_client_requests_total{service=\"$1\",protocol=\"dns\",method=\"$2\",peer=\"${5:-127.0.0.1}:$3\",status=\"$4\"}"; }
wait_metric "$(client resolver A "$PORT" SERVFAIL)" 2
expect_metric "$(server A NOERROR)" 24
expect_metric "$(server A NXDOMAIN)" 5
expect_metric "$(server AAAA NXDOMAIN)" "$(logged AAAA)"
expect_metric "$(server A SERVFAIL)" 2
expect_metric "$(client resolver A "$PORT" NOERROR)" 20
expect_metric "$(client resolver A "$PORT" NOERROR "[::1]")" 4
expect_metric "$(client resolver A "$PORT" NXDOMAIN)" 5
expect_metric "$(client resolver AAAA "$PORT" NXDOMAIN)" 2
pass "both sides as dnsmasq and dig count them: 24 NOERROR (6 over TCP, 4 over IPv6), 7 NXDOMAIN, 2 SERVFAIL"
expect_metric "$(client dns A "$UP" SERVFAIL)" "$(grep -c "forwarded f" "$TMP/dnsmasq.log")"
pass "dnsmasq's forwarded lookups are its client calls"
expect_metric 'microservice_errors_total{service="dns",type="dns_error"}' 2
expect_no_line 'svc\.test|nx[0-9]' "no name asked in labels"
expect_no_line '^sonde_parse_failures_total' "nothing failed to parse"
expect_metric 'sonde_events_lost_total' 0
promtool_check

spans_ok() {
	decode_spans
	/usr/bin/python3 - "$TMP/spans.jsonl" <<'PY'
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
names = lambda kind, service: sorted(s["attributes"].get("dns.question.name", "") for s in spans
                                     if s["kind"] == kind and s["name"] == "DNS A"
                                     and s["resource"].get("service.name") == service)
server, client = names(2, "dns"), names(3, "resolver")
want = sorted([f"a{i}.svc.test" for i in range(1, 16)] + [f"t{i}.svc.test" for i in range(1, 6)] +
              [f"v{i}.svc.test" for i in range(1, 5)] +
              [f"nx{i}.test" for i in range(1, 6)] + ["f1.fail.test", "f2.fail.test"])
failed = [s for s in spans if s["kind"] == 2 and s["status"] == 2]
print(len(server), "server and", len(client), "client A spans,", len(failed), "failed")
sys.exit(0 if server == want and client == want and len(failed) == 2 else 1)
PY
}
for ((i = 0; i < 100; i++)); do spans_ok >"$TMP/spans.out" && break; sleep 0.2; done
spans_ok >"$TMP/spans.out" || fail "the DNS spans do not carry the names asked: $(cat "$TMP/spans.out")"
pass "spans: DNS A, the name asked as dns.question.name, SERVFAIL failed"
# glibc's resolver inside a target (getent), which sends A and AAAA
# queries together (sendmmsg; over TCP, with use-vc, in one writev): in a
# network namespace of its own, where a second dnsmasq listens at port 53,
# as resolv.conf has it.
echo "nameserver 127.0.0.1" >"$TMP/resolv.conf"
printf 'nameserver 127.0.0.1\noptions use-vc\n' >"$TMP/resolv-tcp.conf"
cat >"$TMP/netns.sh" <<EOF
ip link set lo up
mount --bind "$TMP/resolv.conf" /etc/resolv.conf
dnsmasq -k --conf-file=/dev/null --user=root --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --cache-size=0 --local=/test/ --address=/svc.test/10.1.2.3 --log-queries \
	--log-facility="$TMP/dnsmasq-ns.log" &
for ((i = 0; i < 50; i++)); do ss -Hlun "sport = :53" | grep -q . && break; sleep 0.1; done
for i in 1 2 3; do getent ahosts g\$i.svc.test >>"$TMP/getent.out"; done
for i in 1 2; do getent hosts gnx\$i.test >>"$TMP/getent.out"; done
mount --bind "$TMP/resolv-tcp.conf" /etc/resolv.conf
for i in 4 5; do getent ahosts g\$i.svc.test >>"$TMP/getent.out"; done
kill %1
EOF
unshare -n -m bash "$TMP/netns.sh" || fail "the resolver's namespace failed"
[ "$(grep -c STREAM "$TMP/getent.out")" = 5 ] || fail "getent resolved: $(cat "$TMP/getent.out")"
app() { # method: sonde's client calls of getent, the queries dnsmasq logged
	scrape
	awk -v m="method=\"$1\"" '/^microservice_client_requests_total\{service="app"/ && index($0, m) { n += $2 }
		END { print n + 0 }' "$TMP/metrics"
	grep -c "query\[$1\]" "$TMP/dnsmasq-ns.log"
}
for ((i = 0; i < 50; i++)); do [ "$(app A | sort -u | wc -l)" = 1 ] && break; sleep 0.1; done
[ "$(app A | sort -u | wc -l)" = 1 ] && [ "$(app AAAA | sort -u | wc -l)" = 1 ] ||
	fail "getent's A and AAAA queries: $(app A | tr '\n' ' ') $(app AAAA | tr '\n' ' ')(sonde, dnsmasq)"
pass "glibc's resolver in a target: $(app A | head -1) A and $(app AAAA | head -1) AAAA queries, as dnsmasq logged"
stop_sonde
