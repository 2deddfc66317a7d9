// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Windows, business metrics with their SLAs and alert rules, driven by
 * exchanges as the collector makes them and a clock of the test's own. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "rules/alerts.h"
#include "rules/business.h"
#include "metrics/registry.h"
#include "sonde.h"
#include "base/strbuf.h"
#include "pipeline/exchange.h"

static const double bounds[] = { 0.001, 0.01, 0.1, 1 };

static struct exchange request(const char *service, const char *method, const char *route, int status, int64_t at_ms,
			       double seconds)
{
	struct exchange x = {
		.role = SONDE_ROLE_SERVER,
		.service = service,
		.protocol = "http",
		.method = method,
		.endpoint = route,
		.status_label = "",
		.status = status,
		.fault = status >= 500 ? "http_5xx" : NULL,
		.call_error = status >= 400,
		.end_ns = (uint64_t)at_ms * 1000000,
	};

	x.start_ns = x.end_ns - (uint64_t)(seconds * 1e9);
	return x;
}

static void test_window_slots(void **state)
{
	struct window w;
	const struct window_slot *live[WINDOW_SLOTS];
	struct window_slot total;
	uint64_t hist[5];

	(void)state;
	assert_int_equal(window_init(&w, 5000, bounds, 4), 0);
	assert_int_equal(w.nslots, 5);
	assert_int_equal(w.width_ms, 1000);
	window_request(&w, 10000, 0.005, 0);
	window_request(&w, 10500, 0.5, 1);
	window_request(&w, 12000, 2, 0);
	assert_int_equal(window_live(&w, 12000, live), 2);
	assert_true(live[0]->count == 2 && live[0]->errors == 1);
	total.hist = hist;
	window_total(&w, 12000, &total);
	assert_true(total.count == 3 && total.errors == 1);
	assert_int_equal(hist[1], 1);
	assert_int_equal(hist[3], 1);
	assert_int_equal(hist[4], 1);
	/* 10 s is out of the window ending at 15 s; 12 s is still in. */
	window_total(&w, 15500, &total);
	assert_true(total.count == 1);
	/* The slot of 10 s is reused at 15 s: what it held is gone. */
	window_request(&w, 15000, 0.005, 0);
	window_total(&w, 15000, &total);
	assert_true(total.count == 2);
	window_total(&w, 100000, &total);
	assert_true(total.count == 0);
	window_free(&w);
}

static void test_quantile(void **state)
{
	const uint64_t hist[] = { 0, 10, 0, 0, 0 }, over[] = { 0, 0, 0, 0, 4 }, none[5] = { 0 };

	(void)state;
	/* Interpolated within (0.001, 0.01] as histogram_quantile does. */
	assert_true(fabs(window_quantile(bounds, 4, hist, 0.5) - 0.0055) < 1e-9);
	assert_true(window_quantile(bounds, 4, over, 0.99) == 1);
	assert_true(isnan(window_quantile(bounds, 4, none, 0.5)));
}

static void test_business_counts_and_sla(void **state)
{
	struct business_config cfg[2] = { 0 };
	struct registry *reg = registry_new();
	struct business b;
	struct exchange x;
	char err[128];

	(void)state;
	strcpy(cfg[0].name, "created_total");
	strcpy(cfg[0].match.method, "POST");
	cfg[0].match.status_lo = 200;
	cfg[0].match.status_hi = 299;
	strcpy(cfg[1].name, "home_seconds");
	strcpy(cfg[1].match.endpoint, "/");
	cfg[1].value_duration = 1;
	cfg[1].has_sla = 1;
	cfg[1].sla_target = 0.1;
	cfg[1].sla_op = SLA_LE;
	cfg[1].sla_objective = 0.75;
	cfg[1].sla_window_ms = 10000;
	assert_int_equal(business_init(&b, cfg, 2, reg, "shop", bounds, 4, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		x = request("web", "POST", "/api/users/{id}", 201, 1000, 0.01);
		business_exchange(&b, &x);
	}
	x = request("web", "POST", "/api/users/{id}", 409, 1000, 0.01);
	business_exchange(&b, &x);
	x = request("web", "GET", "/api/users/{id}", 200, 1000, 0.01);
	business_exchange(&b, &x);
	assert_true(series_value(b.m[0].series) == 3);
	for (int i = 0; i < 3; i++) {
		x = request("web", "GET", "/", 200, 2000, 0.05);
		business_exchange(&b, &x);
	}
	x = request("web", "GET", "/", 200, 2000, 0.5);
	business_exchange(&b, &x);
	assert_true(series_value(b.m[1].series) == 4);
	business_refresh(&b, 3000);
	assert_true(b.m[1].sla_ratio == 0.75);
	assert_int_equal(b.m[1].sla_met, 1);
	x = request("web", "GET", "/", 200, 4000, 0.5);
	business_exchange(&b, &x);
	business_refresh(&b, 4000);
	assert_true(b.m[1].sla_ratio == 0.6);
	assert_int_equal(b.m[1].sla_met, 0);
	/* Once the slow requests leave the window, nothing broke the SLA. */
	business_refresh(&b, 20000);
	assert_true(b.m[1].sla_ratio == 1);
	business_free(&b);
	/* A reload finds the families again; a changed type is refused. */
	assert_int_equal(business_init(&b, cfg, 2, reg, "shop", bounds, 4, err, sizeof(err)), 0);
	assert_true(series_value(b.m[0].series) == 3);
	business_free(&b);
	cfg[0].value_duration = 1;
	assert_int_equal(business_init(&b, cfg, 1, reg, "shop", bounds, 4, err, sizeof(err)), -EEXIST);
	assert_string_equal(err,
			    "business metric created_total: the name shop_created_total is taken by another metric");
	registry_free(reg);
}

struct notices {
	struct alert_notice n[16];
	size_t count;
};

static void record(void *arg, const struct alert_notice *n)
{
	struct notices *all = arg;

	assert_true(all->count < 16);
	all->n[all->count++] = *n;
}

static struct alert_rule_config error_rule(uint64_t for_ms)
{
	struct alert_rule_config r = {
		.metric = AM_ERROR_RATE,
		.condition = SLA_GT,
		.threshold = 5,
		.level = ALERT_CRITICAL,
		.aggregation = AGG_AVERAGE,
		.window_ms = 5000,
		.interval_ms = 1000,
		.for_ms = for_ms,
	};

	strcpy(r.name, "high_error_rate");
	strcpy(r.service, "web");
	strcpy(r.description, "Error rate above 5%");
	return r;
}

static void feed(struct alerts *al, int64_t at_ms, int ok, int failed)
{
	struct business none = { 0 };
	struct exchange x;

	for (int i = 0; i < ok + failed; i++) {
		x = request("web", "GET", "/", i < ok ? 200 : 503, at_ms, 0.01);
		alerts_exchange(al, &x, &none);
	}
	x = request("other", "GET", "/", 503, at_ms, 0.01);
	alerts_exchange(al, &x, &none);
}

static void test_alert_lifecycle(void **state)
{
	struct alert_rule_config r = error_rule(2000);
	struct business none = { 0 };
	struct alert_inputs in = { .business = &none };
	struct notices got = { 0 };
	struct strbuf json = { 0 };
	struct alerts al;

	(void)state;
	assert_int_equal(alerts_init(&al, &r, 1, bounds, 4), 0);
	alerts_evaluate(&al, 0, 1700000000000, &in, record, &got);
	feed(&al, 500, 5, 5);
	alerts_evaluate(&al, 1000, 1700000001000, &in, record, &got);
	assert_int_equal(al.a[0].phase, PHASE_PENDING);
	assert_true(al.a[0].value == 50);
	assert_int_equal(got.count, 0);
	assert_int_equal(alerts_json(&al, &json), 0);
	assert_non_null(strstr(json.data, "\"state\":\"pending\""));
	strbuf_free(&json);
	/* Not yet "for" long. */
	alerts_evaluate(&al, 2000, 1700000002000, &in, record, &got);
	assert_int_equal(got.count, 0);
	alerts_evaluate(&al, 3000, 1700000003000, &in, record, &got);
	assert_int_equal(al.a[0].phase, PHASE_FIRING);
	assert_int_equal(got.count, 1);
	assert_int_equal(got.n[0].state, ALERT_FIRING);
	assert_int_equal(got.n[0].repeat, 0);
	assert_string_equal(got.n[0].rule, "high_error_rate");
	assert_string_equal(got.n[0].service, "web");
	assert_string_equal(got.n[0].metric, "error_rate");
	assert_true(got.n[0].value == 50 && got.n[0].threshold == 5);
	assert_true(got.n[0].starts_at_ms == 1700000003000 && got.n[0].ends_at_ms == 0);
	/* While firing, re-sent for Alertmanager. */
	alerts_evaluate(&al, 4000, 1700000004000, &in, record, &got);
	assert_int_equal(got.count, 2);
	assert_int_equal(got.n[1].repeat, 1);
	/* Healthy traffic for longer than the window resolves it. */
	for (int64_t t = 4500; t < 11000; t += 1000)
		feed(&al, t, 10, 0);
	alerts_evaluate(&al, 11000, 1700000011000, &in, record, &got);
	assert_int_equal(al.a[0].phase, PHASE_INACTIVE);
	assert_int_equal(got.count, 3);
	assert_int_equal(got.n[2].state, ALERT_RESOLVED);
	assert_true(got.n[2].ends_at_ms == 1700000011000 && got.n[2].starts_at_ms == 1700000003000);
	assert_int_equal(alerts_json(&al, &json), 0);
	assert_string_equal(json.data, "[]\n");
	strbuf_free(&json);
	alerts_free(&al);
}

/* Aggregations across the window's slots; a dip below the threshold
 * before "for" has passed goes back to inactive without a notice. */
static void test_aggregations(void **state)
{
	static const struct {
		enum alert_aggregation agg;
		double value;
	} cases[] = { { AGG_AVERAGE, 30 }, { AGG_MAX, 50 }, { AGG_MIN, 10 }, { AGG_SUM, 60 }, { AGG_COUNT, 2 } };
	struct business none = { 0 };
	struct alert_inputs in = { .business = &none };
	struct notices got = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_rule_config r = error_rule(60000);
		struct alerts al;

		r.aggregation = cases[i].agg;
		assert_int_equal(alerts_init(&al, &r, 1, bounds, 4), 0);
		alerts_evaluate(&al, 0, 0, &in, record, &got);
		feed(&al, 100, 9, 1);
		feed(&al, 1100, 1, 1);
		alerts_evaluate(&al, 2000, 0, &in, record, &got);
		if (al.a[0].value != cases[i].value)
			fail_msg("aggregation %d: %g, expected %g", cases[i].agg, al.a[0].value, cases[i].value);
		alerts_free(&al);
	}
	assert_int_equal(got.count, 0);
}

/* Latency, request rate, health and SLA rules. */
static void test_rule_metrics(void **state)
{
	struct alert_rule_config r[4] = { error_rule(0), error_rule(0), error_rule(0), error_rule(0) };
	struct check_result checks[1] = { { .name = "db", .status = HEALTH_UNHEALTHY } };
	struct business none = { 0 };
	struct alert_inputs in = { .business = &none, .checks = checks, .nchecks = 1 };
	struct notices got = { 0 };
	struct alerts al;

	(void)state;
	r[0].metric = AM_LATENCY_P95;
	r[0].threshold = 0.5;
	strcpy(r[0].name, "slow");
	r[1].metric = AM_REQUEST_RATE;
	r[1].condition = SLA_LT;
	r[1].threshold = 1;
	strcpy(r[1].name, "quiet");
	r[2].metric = AM_HEALTH;
	r[2].condition = SLA_LT;
	r[2].threshold = 1;
	strcpy(r[2].metric_arg, "db");
	strcpy(r[2].name, "db_down");
	r[3] = r[2];
	strcpy(r[3].metric_arg, "absent");
	strcpy(r[3].name, "never");
	assert_int_equal(alerts_init(&al, r, 4, bounds, 4), 0);
	alerts_evaluate(&al, 0, 0, &in, record, &got);
	for (int i = 0; i < 20; i++) {
		struct exchange x = request("web", "GET", "/", 200, 1500, i < 18 ? 0.005 : 0.9);

		alerts_exchange(&al, &x, &none);
	}
	alerts_evaluate(&al, 2000, 0, &in, record, &got);
	/* p95 of 18 fast and 2 slow falls in (0.1, 1]. */
	assert_true(al.a[0].value > 0.1 && al.a[0].value <= 1);
	assert_int_equal(al.a[0].phase, PHASE_FIRING);
	/* 20 requests in the second of three one-second slots. */
	assert_true(fabs(al.a[1].value - 20.0 / 3) < 1e-9);
	assert_int_equal(al.a[1].phase, PHASE_INACTIVE);
	/* Silence: the empty slots count as zero, so the rate falls. */
	alerts_evaluate(&al, 7000, 0, &in, record, &got);
	assert_true(al.a[1].value == 0);
	assert_int_equal(al.a[1].phase, PHASE_FIRING);
	assert_true(al.a[2].value == 0);
	assert_int_equal(al.a[2].phase, PHASE_FIRING);
	/* A check that never reported has no value: never fires. */
	assert_int_equal(al.a[3].phase, PHASE_INACTIVE);
	alerts_free(&al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_slots),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_business_counts_and_sla),
		cmocka_unit_test(test_alert_lifecycle),
		cmocka_unit_test(test_aggregations),
		cmocka_unit_test(test_rule_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
