#!/bin/bash
# Exemplars: with tracing on, /metrics asked for OpenMetrics carries the
# trace id and span id of sampled server spans on the duration buckets; a
# real Prometheus storing exemplars scrapes it and answers
# query_exemplars with trace ids the OTLP receiver got as spans. The
# Prometheus text format stays the default, unchanged, and promtool-clean.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl prometheus promtool /usr/bin/python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || fail "python3-protobuf is not installed (make deps installs it)"

PORT=$(free_port)
start_nginx "$PORT"
start_otlp_receiver
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:$RPORT/v1/traces OTEL_BSP_SCHEDULE_DELAY=100 \
	start_sonde --target "port:$PORT=web"

# Callers' traces, then fresh roots.
for i in $(seq 10 19); do
	curl -s -o /dev/null -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e47$i-00f067aa0ba902b7-01" \
		"http://127.0.0.1:$PORT/api/users/$i"
done
for i in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 5

OM="application/openmetrics-text; version=1.0.0"
curl -sf -D "$TMP/om.headers" -H "Accept: $OM,text/plain;version=0.0.4;q=0.5" \
	"http://127.0.0.1:$SONDE_PORT/metrics" >"$TMP/om.txt" || fail "the OpenMetrics scrape failed"
grep -qi '^content-type: application/openmetrics-text; version=1.0.0' "$TMP/om.headers" ||
	fail "no OpenMetrics content type: $(grep -i content-type "$TMP/om.headers")"
[ "$(tail -1 "$TMP/om.txt")" = "# EOF" ] || fail "the OpenMetrics exposition does not end in # EOF"
grep -q '^# TYPE microservice_requests counter$' "$TMP/om.txt" || fail "counter families keep _total in OpenMetrics"
grep -Eq '^microservice_request_duration_seconds_bucket\{service="web",protocol="http",method="GET",endpoint="/api/users/\{id\}",status="201",le="[^"]+"\} [0-9]+ # \{trace_id="4bf92f3577b34da6a3ce929d0e0e471[0-9]",span_id="[0-9a-f]{16}"\} [0-9.e-]+ [0-9]+\.[0-9]{3}$' \
	"$TMP/om.txt" || fail "no exemplar with a caller's trace id on the duration buckets"
pass "OpenMetrics on request: # EOF, counters' families without _total, exemplars with the callers' trace ids"
scrape
grep -q ' # {' "$TMP/metrics" && fail "the default format carries exemplars"
grep -q '^# EOF' "$TMP/metrics" && fail "the default format is OpenMetrics"
promtool_check

# A real Prometheus that stores exemplars.
PROM_FLAGS=--enable-feature=exemplar-storage start_prometheus "127.0.0.1:$SONDE_PORT"
for ((i = 0; i < 150; i++)); do
	[ "$(prom_query 'up{job="sonde"}')" = 1 ] && break
	sleep 0.2
done
[ "$(prom_query 'up{job="sonde"}')" = 1 ] || fail "Prometheus does not scrape sonde: $(tail -3 "$TMP/prometheus.log")"
for ((i = 0; i < 100; i++)); do
	curl -s --get "http://127.0.0.1:$PROM_PORT/api/v1/query_exemplars" \
		--data-urlencode 'query=microservice_request_duration_seconds_bucket{service="web"}' \
		--data-urlencode "start=$(($(date +%s) - 600))" --data-urlencode "end=$(($(date +%s) + 60))" >"$TMP/exemplars.json"
	grep -q trace_id "$TMP/exemplars.json" && break
	sleep 0.2
done
decode_spans
/usr/bin/python3 - "$TMP/exemplars.json" "$TMP/spans.jsonl" <<'PY' || fail "Prometheus' exemplars are not the spans' traces"
import json, sys
data = json.load(open(sys.argv[1]))["data"]
ids = {e["labels"]["trace_id"] for series in data for e in series["exemplars"]}
spans = [json.loads(l) for l in open(sys.argv[2])]
traces = {s["trace_id"] for s in spans}
callers = {t for t in ids if t.startswith("4bf92f3577b34da6a3ce929d0e0e47")}
assert callers, "no exemplar of a caller's trace: %s" % ids
assert ids <= traces, "exemplars of traces the receiver never got: %s" % (ids - traces)
span_ids = {s["span_id"] for s in spans}
assert {e["labels"]["span_id"] for series in data for e in series["exemplars"]} <= span_ids
PY
pass "Prometheus with exemplar storage: $(grep -o '"trace_id":"[0-9a-f]*"' "$TMP/exemplars.json" | sort -u | wc -l) exemplars, each a trace and span the OTLP receiver got"
stop_sonde
