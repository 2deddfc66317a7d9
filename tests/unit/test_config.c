// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file: a good one, and a table of bad ones, each with
 * the message a user gets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/config.h"

static void test_good(void **state)
{
	static const char text[] = "# sonde\n"
				   "listen: 0.0.0.0:9100\n"
				   "namespace: shop\n"
				   "services:\n"
				   "  - name: web\n"
				   "    match: {exe: nginx}\n"
				   "    routes: [\"/api/users/{id}\", \"/api/orders/{order}\"]\n"
				   "    propagation: {inject: true}\n"
				   "  - name: pods\n"
				   "    match:\n"
				   "      cgroup: /kubepods.slice\n";
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_parse("sonde.yaml", text, strlen(text), &c, err, sizeof(err)), 0);
	assert_true(c.has_listen);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9100);
	assert_string_equal(c.ns, "shop");
	assert_int_equal(c.nservices, 2);
	assert_string_equal(c.services[0].name, "web");
	assert_int_equal(c.services[0].match.kind, SELECTOR_EXE);
	assert_string_equal(c.services[0].match.value, "nginx");
	assert_string_equal(c.services[0].match.service, "web");
	assert_int_equal(c.services[0].nroutes, 2);
	assert_string_equal(c.services[0].routes[1], "/api/orders/{order}");
	assert_true(c.services[0].inject);
	assert_false(c.services[1].inject);
	assert_int_equal(c.services[1].match.kind, SELECTOR_CGROUP);
	assert_string_equal(c.services[1].match.value, "/kubepods.slice");
	config_free(&c);
	assert_int_equal(config_parse("empty.yaml", "", 0, &c, err, sizeof(err)), 0);
	assert_int_equal(c.nservices, 0);
	assert_false(c.has_listen);
}

static void test_bad(void **state)
{
	static const char *const cases[][2] = {
		{ "listen: [1, 2\n", "f.yaml:2: syntax: " },
		{ "- just\n- a list\n", "f.yaml:1: configuration: expected a mapping" },
		{ "listne: 127.0.0.1:9464\n",
		  "f.yaml:1: listne: unknown key (expected listen, namespace, services, health_checks, " },
		{ "listen: 9464\n", "f.yaml:1: listen: expected ADDR:PORT" },
		{ "namespace: my-service\n", "f.yaml:1: namespace: expected [a-zA-Z_][a-zA-Z0-9_]*" },
		{ "services: web\n", "f.yaml:1: services: expected a list of services" },
		{ "services:\n  - match: {exe: nginx}\n", "f.yaml:2: services: a service needs a name" },
		{ "services:\n  - name: web\n", "f.yaml:2: match: service web needs a match" },
		{ "services:\n  - name: web\n    match: {exe: nginx, port: 80}\n",
		  "f.yaml:3: match: expected exactly one of pid, exe, port, cgroup" },
		{ "services:\n  - name: web\n    match: {disk: sda}\n", "f.yaml:3: disk: unknown selector" },
		{ "services:\n  - name: web\n    match: {port: http}\n", "f.yaml:3: port: bad value http" },
		{ "services:\n  - name: web\n    match: {pid: 1}\n    routes: /api\n",
		  "f.yaml:4: routes: expected a list of route patterns" },
		{ "services:\n  - name: web\n    match: {pid: 1}\n    routes: [api/users]\n",
		  "f.yaml:4: routes: expected a pattern starting with /" },
		{ "services:\n  - name: web\n    match: {pid: 1}\n    colour: blue\n",
		  "f.yaml:4: colour: unknown key (expected name, match, routes, propagation)" },
		{ "services:\n  - name: web\n    match: {pid: 1}\n    propagation: {inject: yes}\n",
		  "f.yaml:4: inject: expected true or false" },
		{ "services:\n  - name: web\n    match: {pid: 1}\n    propagation: {extract: true}\n",
		  "f.yaml:4: extract: unknown key (expected inject)" },
		{ "services:\n  - {name: web, match: {pid: 1}}\n  - {name: web, match: {pid: 2}}\n",
		  "f.yaml:3: name: service web is defined twice" },
		{ "services:\n  - name: [web]\n    match: {pid: 1}\n", "f.yaml:2: name: expected a string" },
		{ "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n",
		  "f.yaml:2: listen: given twice in one mapping (first at line 1)" },
		{ "services:\n  - name: web\n    match: {pid: 1, pid: 2}\n",
		  "f.yaml:3: pid: given twice in one mapping (first at line 3)" },
		{ "health_checks: {name: a}\n", "f.yaml:1: health_checks: expected a list" },
		{ "health_checks:\n  - [a]\n", "f.yaml:2: health_checks: expected each entry to be a mapping" },
		{ "health_checks:\n  - {type: tcp, address: \"h:1\"}\n",
		  "f.yaml:2: name: every health check needs a name" },
		{ "health_checks:\n  - {name: a, type: ftp}\n",
		  "f.yaml:2: type: expected http, tcp, redis or postgres" },
		{ "health_checks:\n  - {name: a, address: \"h:1\"}\n", "f.yaml:2: type: health check a needs a type" },
		{ "health_checks:\n  - {name: a, type: http, address: \"h:1\"}\n",
		  "f.yaml:2: address: a http check takes url" },
		{ "health_checks:\n  - {name: a, type: postgres}\n", "f.yaml:2: type: a postgres check takes dsn" },
		{ "health_checks:\n  - {name: a, type: http, url: ftp://x}\n",
		  "f.yaml:2: url: expected an http:// or https:// URL" },
		{ "health_checks:\n  - {name: a, type: tcp, address: nohost}\n",
		  "f.yaml:2: address: expected HOST:PORT" },
		{ "health_checks:\n  - name: a\n    type: tcp\n    address: \"h:1\"\n    interval: 5 seconds\n",
		  "f.yaml:5: interval: expected a positive duration like 250ms, 5s, 5m or 1h" },
		{ "health_checks:\n  - {name: a, type: tcp, address: \"h:1\", timeout: 0s}\n",
		  "f.yaml:2: timeout: expected a positive duration" },
		{ "health_checks:\n  - {name: a, type: http, url: \"http://h/\", expect_status: 700}\n",
		  "f.yaml:2: expect_status: expected an HTTP status from 100 to 599" },
		{ "health_checks:\n  - {name: a, type: tcp, address: \"h:1\"}\n  - {name: a, type: tcp, address: \"h:2\"}\n",
		  "f.yaml:3: name: health check a is defined twice" },
		{ "health_checks:\n  - {name: a, type: tcp, address: \"h:1\", retries: 3}\n",
		  "f.yaml:2: retries: unknown key (expected name, type, url" },
		{ "business_metrics:\n  - {name: bad-name}\n", "f.yaml:2: name: expected a metric name" },
		{ "business_metrics:\n  - {name: x, match: {status: 2xy}}\n",
		  "f.yaml:2: status: expected a status like 200, 2xx or 500-599" },
		{ "business_metrics:\n  - {name: x, match: {path: /}}\n",
		  "f.yaml:2: path: unknown key (expected service, method, endpoint, status)" },
		{ "business_metrics:\n  - {name: x, value: sum}\n", "f.yaml:2: value: expected count or duration" },
		{ "business_metrics:\n  - {name: x, sla: {operator: \"<\"}}\n",
		  "f.yaml:2: sla: an SLA needs a target" },
		{ "business_metrics:\n  - {name: x, sla: {target: 1, operator: \"=<\"}}\n",
		  "f.yaml:2: operator: expected one of <, <=, >, >=, ==" },
		{ "business_metrics:\n  - {name: x, sla: {target: 1, objective: 1.5}}\n",
		  "f.yaml:2: objective: expected a ratio in (0, 1]" },
		{ "alert_rules:\n  - {name: r, metric: error_rate}\n",
		  "f.yaml:2: threshold: alert rule r needs a metric and a threshold" },
		{ "alert_rules:\n  - {name: r, metric: cpu, threshold: 1}\n",
		  "f.yaml:2: metric: expected error_rate, request_rate, latency_p50" },
		{ "alert_rules:\n  - {name: r, metric: \"health:db\", threshold: 1}\n",
		  "f.yaml:2: metric: no health check named db" },
		{ "alert_rules:\n  - {name: r, metric: \"sla:x\", threshold: 1}\nbusiness_metrics:\n  - {name: x}\n",
		  "f.yaml:2: metric: no business metric with an sla named x" },
		{ "alert_rules:\n  - {name: r, metric: error_rate, threshold: high}\n",
		  "f.yaml:2: threshold: expected a number" },
		{ "alert_rules:\n  - {name: r, metric: error_rate, threshold: 1, level: page}\n",
		  "f.yaml:2: level: expected info, warning or critical" },
		{ "alert_rules:\n  - {name: r, metric: error_rate, threshold: 1, aggregation: median}\n",
		  "f.yaml:2: aggregation: expected average, max, min, sum or count" },
		{ "alert_rules:\n  - {name: r, metric: error_rate, threshold: 1, window: 5x}\n",
		  "f.yaml:2: window: expected a positive duration" },
		{ "alert_rules:\n  - {name: r, metric: error_rate, threshold: 1, for: soon}\n",
		  "f.yaml:2: for: expected a duration like 0s, 30s or 5m" },
		{ "notifiers:\n  - {type: email, url: \"http://x\"}\n",
		  "f.yaml:2: type: expected alertmanager, webhook, slack or pagerduty" },
		{ "notifiers:\n  - {type: webhook}\n", "f.yaml:2: url: a webhook notifier needs a url" },
		{ "notifiers:\n  - {type: pagerduty}\n",
		  "f.yaml:2: routing_key: a pagerduty notifier needs a routing_key" },
		{ "notifiers:\n  - {url: \"http://x\"}\n", "f.yaml:2: type: a notifier needs a type" },
	};
	struct config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		assert_int_equal(config_parse("f.yaml", cases[i][0], strlen(cases[i][0]), &c, err, sizeof(err)),
				 -EINVAL);
		if (strncmp(err, cases[i][1], strlen(cases[i][1])))
			fail_msg("case %zu: expected '%s...', got '%s'", i, cases[i][1], err);
	}
}

/* The example, whole: every key and its default. */
static void test_features(void **state)
{
	static const char text[] =
		"health_checks:\n"
		"  - {name: homepage, type: http, url: \"http://127.0.0.1:8080/\", interval: 5s, timeout: 2s, expect_status: 200}\n"
		"  - {name: ledger,   type: tcp, address: \"127.0.0.1:5000\"}\n"
		"  - {name: cache,    type: redis, address: \"127.0.0.1:6379\", degraded_after: 250ms}\n"
		"  - {name: db,       type: postgres, dsn: \"host=127.0.0.1 port=5432\"}\n"
		"alert_rules:\n"
		"  - name: high_error_rate\n"
		"    service: web\n"
		"    metric: error_rate\n"
		"    condition: \">\"\n"
		"    threshold: 5.0\n"
		"    level: critical\n"
		"    aggregation: max\n"
		"    window: 5m\n"
		"    evaluation_interval: 30s\n"
		"    for: 0s\n"
		"    description: Error rate above 5%\n"
		"  - {name: db_down, metric: \"health:db\", condition: \"<\", threshold: 1}\n"
		"  - {name: slow_home, metric: \"sla:homepage_latency_seconds\", condition: \"<\", threshold: 95}\n"
		"  - {name: signups, metric: user_registrations_total, condition: \"<\", threshold: 1}\n"
		"business_metrics:\n"
		"  - name: user_registrations_total\n"
		"    description: Users registered through the API\n"
		"    match: {service: web, method: POST, endpoint: \"/api/users/{id}\", status: 2xx}\n"
		"  - name: homepage_latency_seconds\n"
		"    match: {service: web, method: GET, endpoint: \"/\", status: 500-503}\n"
		"    value: duration\n"
		"    sla: {target: 0.5, operator: \"<=\"}\n"
		"notifiers:\n"
		"  - {type: alertmanager, url: \"http://alertmanager:9093\"}\n"
		"  - {type: pagerduty, routing_key: abc}\n";
	struct config c;
	char err[256] = "";

	(void)state;
	if (config_parse("f.yaml", text, strlen(text), &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.nchecks, 4);
	assert_int_equal(c.checks[0].type, CHECK_HTTP);
	assert_string_equal(c.checks[0].target, "http://127.0.0.1:8080/");
	assert_int_equal(c.checks[0].interval_ms, 5000);
	assert_int_equal(c.checks[0].expect_status, 200);
	assert_int_equal(c.checks[1].interval_ms, 10000);
	assert_int_equal(c.checks[1].timeout_ms, 2000);
	assert_int_equal(c.checks[2].degraded_ms, 250);
	assert_int_equal(c.checks[3].type, CHECK_POSTGRES);
	assert_int_equal(c.nbusiness, 2);
	assert_string_equal(c.business[0].match.endpoint, "/api/users/{id}");
	assert_int_equal(c.business[0].match.status_lo, 200);
	assert_int_equal(c.business[0].match.status_hi, 299);
	assert_false(c.business[0].has_sla);
	assert_true(c.business[1].value_duration);
	assert_int_equal(c.business[1].match.status_lo, 500);
	assert_int_equal(c.business[1].match.status_hi, 503);
	assert_true(c.business[1].has_sla);
	assert_int_equal(c.business[1].sla_op, SLA_LE);
	assert_true(c.business[1].sla_objective == 0.99);
	assert_int_equal(c.business[1].sla_window_ms, 300000);
	assert_int_equal(c.nrules, 4);
	assert_int_equal(c.rules[0].metric, AM_ERROR_RATE);
	assert_int_equal(c.rules[0].level, ALERT_CRITICAL);
	assert_int_equal(c.rules[0].aggregation, AGG_MAX);
	assert_int_equal(c.rules[0].window_ms, 300000);
	assert_int_equal(c.rules[0].interval_ms, 30000);
	assert_int_equal(c.rules[0].for_ms, 0);
	assert_string_equal(c.rules[0].description, "Error rate above 5%");
	assert_int_equal(c.rules[1].metric, AM_HEALTH);
	assert_string_equal(c.rules[1].metric_arg, "db");
	assert_int_equal(c.rules[1].level, ALERT_WARNING);
	assert_int_equal(c.rules[2].metric, AM_SLA);
	assert_int_equal(c.rules[3].metric, AM_BUSINESS);
	assert_int_equal(c.nnotifiers, 2);
	assert_int_equal(c.notifiers[1].type, NOTIFIER_PAGERDUTY);
	assert_string_equal(c.notifiers[1].routing_key, "abc");
	config_free(&c);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		int ret;
		uint64_t ms;
	} cases[] = {
		{ "250ms", 0, 250 },	{ "5s", 0, 5000 },     { "1.5s", 0, 1500 },  { "5m", 0, 300000 },
		{ "1h", 0, 3600000 },	{ "30", 0, 30000 },    { "0s", 0, 0 },	     { "", -EINVAL, 0 },
		{ "5 s", -EINVAL, 0 },	{ "-1s", -EINVAL, 0 }, { "5d", -EINVAL, 0 }, { "s", -EINVAL, 0 },
		{ "1e9h", -EINVAL, 0 },
	};
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 0;
		assert_int_equal(config_duration(cases[i].text, &ms), cases[i].ret);
		if (!cases[i].ret && ms != cases[i].ms)
			fail_msg("%s: %lu ms", cases[i].text, (unsigned long)ms);
	}
}

/* functions: parsed after the services they name, strict like the rest. */
static void test_functions(void **state)
{
	static const char svc[] = "services:\n"
				  "  - {name: orders, match: {exe: orders}}\n"
				  "  - {name: pods, match: {cgroup: /kubepods.slice}}\n";
	static const char *const bad[][2] = {
		{ "functions:\n  - {service: billing, symbol: f}\n",
		  "f.yaml:5: service: no service billing under services" },
		{ "functions:\n  - {service: pods, symbol: f}\n",
		  "f.yaml:5: service: service pods is selected by cgroup" },
		{ "functions:\n  - {service: orders, symbol: \"\"}\n",
		  "f.yaml:5: symbol: expected 1 to 255 characters" },
		{ "functions:\n  - {service: orders}\n", "f.yaml:5: symbol: a function needs a symbol" },
		{ "functions:\n  - {symbol: f}\n", "f.yaml:5: service: a function needs the service" },
		{ "functions:\n  - {service: orders, symbol: f, error_when: \"<-1\"}\n",
		  "f.yaml:5: error_when: expected never, <0, ==0, !=0, >0 or <=0" },
		{ "functions:\n  - {service: orders, symbol: f, runtime: java}\n",
		  "f.yaml:5: runtime: expected native, go or python" },
		{ "functions:\n  - {service: orders, symbol: f, runtime: python}\n",
		  "f.yaml:5: symbol: a Python function is module.function" },
		{ "functions:\n  - {service: orders, symbol: m.f, runtime: python, error_when: \"<0\"}\n",
		  "f.yaml:5: error_when: a Python function's return value is not seen" },
		{ "functions:\n  - {service: orders, symbol: f}\n  - {service: orders, symbol: g, name: f}\n",
		  "f.yaml:6: name: function f of service orders is defined twice" },
		{ "functions:\n  - {service: orders, symbol: f, colour: red}\n", "f.yaml:5: colour: unknown key" },
	};
	static const char good[] =
		"functions:\n"
		"  - {service: orders, symbol: process_order, error_when: \"<0\"}\n"
		"  - {service: orders, symbol: app.handlers.checkout, runtime: python, name: checkout}\n"
		"  - {service: orders, symbol: crc, library: libz.so.1, error_when: \"==0\"}\n";
	char text[1024], err[256];
	struct config c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", svc, bad[i][0]);
		assert_int_equal(config_parse("f.yaml", text, strlen(text), &c, err, sizeof(err)), -EINVAL);
		if (strncmp(err, bad[i][1], strlen(bad[i][1])))
			fail_msg("case %zu: got \"%s\", expected \"%s...\"", i, err, bad[i][1]);
	}
	/* Before the services in the file, they are still found. */
	snprintf(text, sizeof(text), "%s%s", good, svc);
	assert_int_equal(config_parse("f.yaml", text, strlen(text), &c, err, sizeof(err)), 0);
	assert_int_equal(c.nfunctions, 3);
	assert_string_equal(c.functions[0].name, "process_order");
	assert_int_equal(c.functions[0].error_when, FUNC_ERROR_LT0);
	assert_int_equal(c.functions[0].runtime, FUNC_RUNTIME_NATIVE);
	assert_string_equal(c.functions[1].name, "checkout");
	assert_int_equal(c.functions[1].runtime, FUNC_RUNTIME_PYTHON);
	assert_string_equal(c.functions[2].library, "libz.so.1");
	assert_true(config_func_failed(FUNC_ERROR_LT0, -1));
	assert_false(config_func_failed(FUNC_ERROR_LT0, 0));
	assert_true(config_func_failed(FUNC_ERROR_EQ0, 0));
	assert_true(config_func_failed(FUNC_ERROR_NE0, 3));
	assert_true(config_func_failed(FUNC_ERROR_GT0, 1));
	assert_true(config_func_failed(FUNC_ERROR_LE0, 0));
	assert_false(config_func_failed(FUNC_ERROR_NEVER, -1));
	config_free(&c);
}

static void test_missing_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_load("/nonexistent/sonde.yaml", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/sonde.yaml: No such file or directory");
	/* A FIFO is refused at once, not waited on. */
	char fifo[] = "/tmp/sonde-test-config-fifo.XXXXXX";
	int fd = mkstemp(fifo);

	assert_true(fd >= 0);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(config_load(fifo, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(fifo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	  cmocka_unit_test(test_bad),	       cmocka_unit_test(test_features),
		cmocka_unit_test(test_durations), cmocka_unit_test(test_missing_file), cmocka_unit_test(test_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
