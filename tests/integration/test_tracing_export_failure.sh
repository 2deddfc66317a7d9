#!/bin/bash
# The exporter pointed at a port where nothing listens: sonde keeps serving
# /metrics, counts every span it could not deliver, and its queue stays
# bounded (OTEL_BSP_MAX_QUEUE_SIZE), so nothing grows.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx curl

PORT=$(free_port)
DEAD=$(free_port)
start_nginx "$PORT"
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$DEAD OTEL_BSP_SCHEDULE_DELAY=50 OTEL_BSP_MAX_QUEUE_SIZE=20 \
	OTEL_BSP_MAX_EXPORT_BATCH_SIZE=10 start_sonde --target "port:$PORT=web"
for i in $(seq 300); do echo "url = \"http://127.0.0.1:$PORT/\""; echo 'output = "/dev/null"'; done >"$TMP/get.curl"
curl -s --config "$TMP/get.curl" || fail "GETs failed"
wait_metric 'microservice_requests_total{service="web",protocol="http",method="GET",endpoint="/",status="200"}' 300 15
# Every span is either refused by the full queue or dropped after retries
# (a batch is tried 5 times over 7.5 s of backoff).
for ((i = 0; i < 600; i++)); do
	scrape
	full=$(metric 'sonde_spans_dropped_total{reason="queue_full"}')
	failed=$(metric 'sonde_spans_dropped_total{reason="export_failed"}')
	[ $((full + failed)) = 300 ] && break
	sleep 0.1
done
[ $((full + failed)) = 300 ] || fail "dropped $full (queue full) + $failed (export failed), expected 300 in all"
[ "$full" -gt 0 ] && [ "$failed" -gt 0 ] || fail "expected drops of both kinds: $full, $failed"
pass "300 spans dropped and counted: $full with the queue full, $failed after retries"
expect_metric 'sonde_spans_exported_total' 0
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$SONDE_PID/status")
[ "$rss" -lt 200000 ] || fail "sonde holds $rss kB"
pass "sonde's memory stays bounded ($rss kB resident)"
stop_sonde
