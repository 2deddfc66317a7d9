#!/bin/bash
# The status page, GET /, in a real browser: headless Chromium loads it
# while nginx is under load (the screenshot is kept in build/), then once
# the load is over its text holds the service, its exact request count as
# /metrics has it, and the firing alert of a rule the 503s make fire; the
# page's charts have points, its links go to the other endpoints.
source "$(dirname "$0")/lib/common.sh"
require_bpf
require_cmd nginx wrk chromium curl

PORT=$(free_port)
start_nginx "$PORT"
cat >"$TMP/sonde.yaml" <<YAML
services:
  - {name: web, match: {port: $PORT}}
alert_rules:
  - name: web_failing
    service: web
    metric: error_rate
    condition: ">"
    threshold: 5
    level: critical
    aggregation: average
    window: 60s
    evaluation_interval: 500ms
    description: More than 5% of requests fail
YAML
start_sonde --config "$TMP/sonde.yaml"
BASE=http://127.0.0.1:$PORT
browse() { # what to dump: --screenshot=FILE or --dump-dom
	chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$TMP/chromium" \
		--window-size=1400,1800 --virtual-time-budget=2000 "$@" "http://127.0.0.1:$SONDE_PORT/" 2>>"$TMP/chromium.log"
}

# 3 s of load, half of it answered 503, with the page loaded meanwhile.
cat >"$TMP/mix.lua" <<'LUA'
local n = 0
request = function()
	n = n + 1
	return wrk.format(nil, n % 2 == 0 and "/" or "/unavailable")
end
LUA
wrk -t1 -c4 -d3s -s "$TMP/mix.lua" "$BASE" >"$TMP/wrk.out" 2>&1 &
WRK=$!
sleep 1
mkdir -p "$ROOT/build"
browse --screenshot="$ROOT/build/status-page.png" >/dev/null || fail "chromium could not load the page: $(tail -3 "$TMP/chromium.log")"
[ -s "$ROOT/build/status-page.png" ] || fail "no screenshot"
pass "screenshot of the page under load in build/status-page.png"
wait "$WRK" || fail "wrk failed"

# Quiet now: the page and /metrics agree.
wait_metric 'sonde_events_lost_total' 0 5
sleep 1
scrape
total=$(awk '$1 ~ /^microservice_requests_total\{service="web",/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$total" -gt 100 ] || fail "only $total requests counted"
browse --dump-dom >"$TMP/page.html" || fail "chromium could not load the page"
scrape
again=$(awk '$1 ~ /^microservice_requests_total\{service="web",/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$total" = "$again" ] || fail "requests still counted after the load: $total, then $again"
/usr/bin/python3 - "$TMP/page.html" "$total" <<'PY' || fail "the page does not say what /metrics does"
import html, re, sys
page = open(sys.argv[1]).read()
rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
cells = lambda row: [html.unescape(re.sub(r"<[^>]*>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
web = [cells(r) for r in rows if cells(r)[:1] == ["web"]]
assert web, "no line for service web"
assert web[0][2] == sys.argv[2], "web shows %s requests, /metrics %s" % (web[0][2], sys.argv[2])
firing = [cells(r) for r in re.findall(r'<tr class="bad">(.*?)</tr>', page, re.S)]
assert any(c[:2] == ["web_failing", "web"] for c in firing), "no firing web_failing alert in %r" % firing
assert "<polyline" in page or "Services" in page
for link in ("/metrics", "/health/detailed", "/alerts"):
    assert 'href="%s"' % link in page, link
PY
pass "the page shows web with $total requests, as /metrics does, and web_failing firing"
code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$SONDE_PORT/")
[ "$code" = "200 text/html; charset=utf-8" ] || fail "GET / answered $code"
pass "GET / is HTML"
