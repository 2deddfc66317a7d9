// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The status page and `sonde top` read /metrics' text back: samples,
 * escapes and bad lines; per-service totals, routes, peers and quantiles;
 * the history's steps; the page's escaping of what traffic sent. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "status/expo.h"
#include "status/history.h"
#include "status/page.h"
#include "status/summary.h"

static const char text[] =
	"# HELP microservice_requests_total Total number of requests\n"
	"# TYPE microservice_requests_total counter\n"
	"microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/\",status=\"200\"} 90\n"
	"microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/x\",status=\"503\"} 10\n"
	"microservice_requests_total{service=\"db\",protocol=\"postgresql\",method=\"SELECT\",endpoint=\"SELECT\","
	"status=\"ok\"} 7\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/\",le=\"0.01\"} 50\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/\",le=\"0.1\"} 90\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/\",le=\"+Inf\"} 90\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/x\",le=\"0.01\"} 0\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/x\",le=\"0.1\"} 10\n"
	"microservice_request_duration_seconds_bucket{service=\"web\",endpoint=\"/x\",le=\"+Inf\"} 10\n"
	"microservice_errors_total{service=\"web\",type=\"http_5xx\"} 10\n"
	"microservice_client_requests_total{service=\"web\",protocol=\"redis\",method=\"GET\",peer=\"10.0.0.1:6379\","
	"status=\"ok\"} 4\n"
	"sonde_build_info{version=\"1.2\",mode=\"sockets\"} 1\n"
	"sonde_events_lost_total 3\n"
	"sonde_tls_probe_sites{file=\"/lib/libssl.so.3\",function=\"SSL_read_ex\",site=\"emulated\"} 1\n"
	"weird{a=\"q\\\"uote\\\\back\\nline\"} 2 1700000000\n"
	"not a sample\n"
	"bad{a=\"unterminated} 1\n";

struct seen {
	int n;
	char weird[64];
};

static void on_sample(void *arg, const struct expo_sample *s)
{
	struct seen *seen = arg;

	seen->n++;
	if (!strcmp(s->name, "weird")) {
		strcpy(seen->weird, expo_label(s, "a"));
		assert_true(s->value == 2);
	}
}

static void test_expo(void **state)
{
	struct seen seen = { 0 };

	(void)state;
	assert_int_equal(expo_parse(text, sizeof(text) - 1, on_sample, &seen), 2);
	assert_int_equal(seen.n, 15);
	assert_string_equal(seen.weird, "q\"uote\\back\nline");
	assert_int_equal(expo_parse("x 1", 3, on_sample, &seen), 0);
	assert_int_equal(expo_parse("x{} 1\n{a=\"b\"} 1\nx{a=b} 1\n", 25, on_sample, &seen), 2);
}

static void test_summary(void **state)
{
	struct summary *s = malloc(sizeof(*s));
	const struct summary_service *web;
	char ns[32];

	(void)state;
	summary_namespace(text, sizeof(text) - 1, ns, sizeof(ns));
	assert_string_equal(ns, "microservice");
	summary_build(text, sizeof(text) - 1, ns, s);
	assert_int_equal(s->nservices, 2);
	web = summary_service(s, "web");
	assert_non_null(web);
	assert_true(web->requests == 100 && web->errors == 10 && web->client_requests == 4);
	assert_int_equal(web->nroutes, 2);
	assert_string_equal(web->routes[0].name, "/");
	assert_true(web->routes[1].errors == 10);
	assert_string_equal(web->peers[0].name, "10.0.0.1:6379");
	assert_int_equal(web->nbuckets, 3);
	/* 50 of 100 at or below 10 ms: the median is the bucket's bound. */
	assert_true(fabs(summary_quantile(web->le, web->cum, web->nbuckets, 0.5) - 0.01) < 1e-9);
	assert_true(fabs(summary_quantile(web->le, web->cum, web->nbuckets, 0.75) - 0.055) < 1e-9);
	assert_string_equal(s->mode, "sockets");
	assert_true(s->lost == 3 && s->tls_sites_emulated == 1);
	assert_true(summary_quantile(web->le, web->cum, 0, 0.5) < 0);
	free(s);
}

static void test_history_and_page(void **state)
{
	struct summary *s = malloc(sizeof(*s));
	struct history *h = calloc(1, sizeof(*h));
	struct history_step st[HISTORY_POINTS];
	struct strbuf out = { 0 };
	static const char hostile[] =
		"microservice_requests_total{service=\"<script>x\",method=\"GET\",endpoint=\"/a&b\","
		"status=\"200\"} 5\n";

	(void)state;
	history_init(h);
	summary_build(text, sizeof(text) - 1, "microservice", s);
	history_add(h, s, 1000);
	s->services[0].requests += 50;
	history_add(h, s, 11000);
	assert_int_equal(history_steps(h, "web", NULL, 0, st), 1);
	assert_true(fabs(st[0].rate - 5) < 1e-9);
	assert_true(st[0].error_ratio == 0);
	assert_int_equal(history_steps(h, "nobody", NULL, 0, st), 0);
	/* From the last sample to now: 20 more in 2 s. */
	s->services[0].requests += 20;
	assert_int_equal(history_steps(h, "web", &s->services[0], 13000, st), 2);
	assert_true(fabs(st[1].rate - 10) < 1e-9);
	summary_build(hostile, sizeof(hostile) - 1, "microservice", s);
	struct page_inputs in = { .sum = s, .history = h, .health_json = "[1]", .alerts_json = "{", .unix_ms = 0 };
	assert_int_equal(page_render(&in, &out), 0);
	assert_non_null(strstr(out.data, "&lt;script&gt;x"));
	assert_null(strstr(out.data, "<script>"));
	assert_non_null(strstr(out.data, "/a&amp;b"));
	strbuf_free(&out);
	history_free(h);
	free(h);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expo),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_history_and_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
