#!/bin/bash
# What deploy/ ships, checked by real tools: every Kubernetes object against
# the Kubernetes schemas (kubernetes-models, offline), the kustomization and
# the chart rendered when a renderer is here, the Prometheus rules by
# promtool (check and unit tests), the PrometheusRule holding the same
# groups, the dashboard's PromQL parsed, the systemd unit verified.
source "$(dirname "$0")/lib/common.sh"
require_cmd node npm promtool python3
DEPLOY=$ROOT/deploy
VALIDATOR=$ROOT/tests/deploy

if [ ! -d "$VALIDATOR/node_modules" ]; then
	(cd "$VALIDATOR" && npm ci --no-audit --no-fund >"$TMP/npm.log" 2>&1) ||
		fail "npm ci in tests/deploy failed: $(tail -3 "$TMP/npm.log")"
fi
node "$VALIDATOR/validate.mjs" "$DEPLOY"/kubernetes/*.yaml || fail "a manifest does not validate"
pass "every manifest validates against the Kubernetes schemas"

if command -v kubectl >/dev/null; then
	kubectl kustomize "$DEPLOY/kubernetes" >"$TMP/kustomized.yaml" || fail "kubectl kustomize failed"
	node "$VALIDATOR/validate.mjs" "$TMP/kustomized.yaml" >/dev/null || fail "the kustomized output does not validate"
	[ "$(grep -c '^kind: ' "$TMP/kustomized.yaml")" = 9 ] || fail "kustomize rendered $(grep -c '^kind: ' "$TMP/kustomized.yaml") objects, expected 9"
	pass "kubectl kustomize renders 9 valid objects"
else
	echo "note: kubectl is not installed: the kustomization is checked file by file only"
fi
if command -v helm >/dev/null; then
	helm template sonde "$DEPLOY/helm/sonde" --namespace sonde >"$TMP/chart.yaml" || fail "helm template failed"
	node "$VALIDATOR/validate.mjs" "$TMP/chart.yaml" >/dev/null || fail "the rendered chart does not validate"
	pass "the chart renders with default values into valid objects"
else
	echo "note: helm is not installed (Debian 12 does not package it): the chart is not rendered"
fi

promtool check rules "$DEPLOY/prometheus/rules.yaml" >/dev/null || fail "promtool check rules failed"
(cd "$DEPLOY/prometheus" && promtool test rules rules_test.yaml) >"$TMP/rules-test.log" 2>&1 ||
	{ cat "$TMP/rules-test.log"; fail "promtool test rules failed"; }
pass "promtool check rules and test rules pass"
python3 - "$DEPLOY" <<'PY' || fail "the PrometheusRule and the chart do not hold rules.yaml's groups"
import sys, yaml
d = sys.argv[1]
rules = yaml.safe_load(open(f"{d}/prometheus/rules.yaml"))["groups"]
assert yaml.safe_load(open(f"{d}/kubernetes/prometheusrule.yaml"))["spec"]["groups"] == rules
assert yaml.safe_load(open(f"{d}/helm/sonde/rules.yaml"))["groups"] == rules
PY
pass "the PrometheusRule and the chart hold rules.yaml's groups"

# Every dashboard expression, with Grafana's variables bound, as a recording
# rule promtool parses.
python3 - "$DEPLOY/grafana/sonde.json" >"$TMP/dashboard-rules.yaml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
for p in d["panels"]:
    for t in p["targets"]:
        expr = t["expr"].replace("$service", ".*").replace("$__rate_interval", "1m")
        print(f"      - record: dashboard:panel{p['id']}:{t['refId']}\n        expr: {json.dumps(expr)}")
PY
promtool check rules "$TMP/dashboard-rules.yaml" >"$TMP/dash.log" 2>&1 || { cat "$TMP/dash.log"; fail "a dashboard expression does not parse"; }
pass "every dashboard expression parses ($(grep -c record: "$TMP/dashboard-rules.yaml") of them)"

if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/local/bin/sonde|$ROOT/build/sonde|" "$DEPLOY/systemd/sonde.service" >"$TMP/sonde.service"
	SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$TMP/sonde.service" >"$TMP/verify.log" 2>&1
	[ -s "$TMP/verify.log" ] && { cat "$TMP/verify.log"; fail "systemd-analyze verify complained"; }
	pass "systemd-analyze verify accepts the unit"
else
	echo "note: systemd-analyze is not installed: the unit is not verified"
fi

# The Dockerfile's runtime stage installs the packages its build stage
# derives from the binary: the same pipeline, run here on the built binary,
# must name a package for every library the binary needs.
[ -x "$ROOT/build/sonde" ] || fail "$ROOT/build/sonde is not built"
pipeline=$(sed -n '/^RUN ldd build\/sonde/,/runtime-packages/p' "$DEPLOY/Dockerfile" | sed -e 's/^RUN //' -e 's/\\$//' |
	tr -d '\n' | sed -e 's|>/runtime-packages.*|>"$TMP/runtime-packages"|')
[ -n "$pipeline" ] || fail "no runtime package pipeline in deploy/Dockerfile"
(cd "$ROOT" && TMP=$TMP bash -c "$pipeline") || fail "the Dockerfile's package pipeline failed: $pipeline"
for lib in $(objdump -p "$ROOT/build/sonde" | awk '$1 == "NEEDED" { print $2 }'); do
	pkg=$(dpkg -S "*/$(uname -m)-linux-gnu/$lib" 2>/dev/null | cut -d: -f1 | head -1)
	[ -n "$pkg" ] && grep -qx "$pkg" "$TMP/runtime-packages" || fail "$lib ($pkg) is not in the runtime packages"
done
pass "the Dockerfile's runtime stage gets a package for each of the $(objdump -p "$ROOT/build/sonde" | grep -c NEEDED) libraries sonde links"
