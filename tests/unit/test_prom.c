// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The text exposition: numbers, escaping, a small registry byte for byte,
 * and promtool's verdict on a rendered registry. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics/registry.h"
#include "metrics/prom.h"
#include "base/strbuf.h"

static void expect_number(double v, const char *want)
{
	char buf[PROM_VALUE_MAX];

	prom_format_value(v, buf, sizeof(buf));
	assert_string_equal(buf, want);
	if (isfinite(v))
		assert_true(strtod(buf, NULL) == v);
}

static void test_values(void **state)
{
	(void)state;
	expect_number(0, "0");
	expect_number(-0.0, "0");
	expect_number(1250, "1250");
	expect_number(-3, "-3");
	expect_number(0.0005, "0.0005");
	expect_number(2.5, "2.5");
	expect_number(0.1, "0.1");
	expect_number(0.1 + 0.2, "0.30000000000000004");
	expect_number(1.0 / 3, "0.3333333333333333");
	expect_number(9007199254740993.0, "9007199254740992");
	expect_number(1e16, "10000000000000000");
	expect_number(1e17, "1e+17");
	expect_number(123456789012345678.0, "1.2345678901234568e+17");
	expect_number(1e300, "1e+300");
	expect_number(-1e-300, "-1e-300");
	expect_number(5e-324, "5e-324");
	expect_number(INFINITY, "+Inf");
	expect_number(-INFINITY, "-Inf");
	expect_number(NAN, "NaN");
}

static const char *render(const struct registry *r, struct strbuf *out)
{
	strbuf_free(out);
	assert_int_equal(prom_render(r, out), 0);
	return out->data ? out->data : "";
}

#define R "\xef\xbf\xbd" /* U+FFFD */

static void test_escaping(void **state)
{
	static const char *const names[] = { "v" };
	static const char want[] = "# HELP e_total a\"b\\\\c\\nd\n"
				   "# TYPE e_total counter\n"
				   "e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"
				   "e_total{v=\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\"} 1\n"
				   "e_total{v=\"x" R "y" R R R R R R R "\"} 1\n";
	struct registry *r = registry_new();
	struct strbuf out = { 0 };
	struct metric_family *f;

	(void)state;
	f = registry_add(r, "e_total", "a\"b\\c\nd", METRIC_COUNTER, names, 1, NULL, 0, 10);
	series_add(family_series(f, (const char *[]){ "a\"b\\c\nd" }), 1);
	series_add(family_series(f, (const char *[]){ "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80" }), 1);
	/* A stray byte, an overlong '/', a surrogate and a cut-off sequence:
	 * each of their bytes becomes U+FFFD. */
	series_add(family_series(f, (const char *[]){ "x\xffy\xc0\xaf\xed\xa0\x80\xe2\x9c" }), 1);
	assert_string_equal(render(r, &out), want);
	strbuf_free(&out);
	registry_free(r);
}

/* Every kind of family, empty label values left out, the overflow last. */
static void fill(struct registry *r)
{
	static const char *const req_labels[] = { "method", "route" };
	static const char *const queue_labels[] = { "queue" };
	static const double bounds[] = { 0.1, 0.5 };
	struct metric_family *f;

	f = registry_add(r, "http_requests_total", "Requests, with a \\ and a\nnewline", METRIC_COUNTER, req_labels, 2,
			 NULL, 0, 10);
	series_add(family_series(f, (const char *[]){ "GET", "/a" }), 1);
	series_add(family_series(f, (const char *[]){ "POST", "a\"b\\c\n" }), 1250);
	series_add(family_series(f, (const char *[]){ "GET", "/a" }), 2);
	f = registry_add(r, "temperature_celsius", "Temperature", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	series_set(family_series(f, NULL), -2.5);
	f = registry_add(r, "duration_seconds", "Durations", METRIC_HISTOGRAM, req_labels, 2, bounds, 2, 10);
	series_observe(family_series(f, (const char *[]){ "GET", "" }), 0.1);
	series_observe(family_series(f, (const char *[]){ "GET", "" }), 0.25);
	series_observe(family_series(f, (const char *[]){ "GET", "" }), 2);
	registry_add(r, "empty_total", "Nothing yet", METRIC_COUNTER, req_labels, 2, NULL, 0, 10);
	f = registry_add(r, "queue_depth", "Depth", METRIC_GAUGE, queue_labels, 1, NULL, 0, 1);
	series_add(family_series(f, (const char *[]){ "q1" }), 4);
	series_add(family_series(f, (const char *[]){ "q2" }), 5);
	series_add(family_series(f, (const char *[]){ "q\"3" }), 6);
}

static void test_full(void **state)
{
	static const char want[] = "# HELP http_requests_total Requests, with a \\\\ and a\\nnewline\n"
				   "# TYPE http_requests_total counter\n"
				   "http_requests_total{method=\"GET\",route=\"/a\"} 3\n"
				   "http_requests_total{method=\"POST\",route=\"a\\\"b\\\\c\\n\"} 1250\n"
				   "# HELP temperature_celsius Temperature\n"
				   "# TYPE temperature_celsius gauge\n"
				   "temperature_celsius -2.5\n"
				   "# HELP duration_seconds Durations\n"
				   "# TYPE duration_seconds histogram\n"
				   "duration_seconds_bucket{method=\"GET\",le=\"0.1\"} 1\n"
				   "duration_seconds_bucket{method=\"GET\",le=\"0.5\"} 2\n"
				   "duration_seconds_bucket{method=\"GET\",le=\"+Inf\"} 3\n"
				   "duration_seconds_sum{method=\"GET\"} 2.35\n"
				   "duration_seconds_count{method=\"GET\"} 3\n"
				   "# HELP empty_total Nothing yet\n"
				   "# TYPE empty_total counter\n"
				   "# HELP queue_depth Depth\n"
				   "# TYPE queue_depth gauge\n"
				   "queue_depth{queue=\"q1\"} 4\n"
				   "queue_depth{queue=\"__overflow__\"} 11\n";
	struct registry *r = registry_new();
	struct strbuf out = { 0 };

	(void)state;
	fill(r);
	assert_string_equal(render(r, &out), want);
	assert_int_equal(out.len, strlen(want));
	/* Rendering appends and changes nothing. */
	assert_int_equal(prom_render(r, &out), 0);
	assert_int_equal(out.len, 2 * strlen(want));
	assert_memory_equal(out.data + strlen(want), want, strlen(want));
	strbuf_free(&out);
	registry_free(r);
}

static void test_empty(void **state)
{
	struct registry *r = registry_new();
	struct strbuf out = { 0 };

	(void)state;
	assert_string_equal(render(r, &out), "");
	assert_int_equal(out.len, 0);
	registry_add(r, "up", "", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	assert_string_equal(render(r, &out), "# HELP up \n# TYPE up gauge\n");
	/* A buffer already failed stays failed. */
	out.err = -ENOMEM;
	assert_int_equal(prom_render(r, &out), -ENOMEM);
	strbuf_free(&out);
	registry_free(r);
}

static void test_promtool(void **state)
{
	char path[] = "/tmp/sonde-prom-XXXXXX", cmd[128];
	struct registry *r = registry_new();
	struct strbuf out = { 0 };
	int fd, status;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1"))
		skip();
	fill(r);
	series_add(family_series(registry_add(r, "odd_total", "Odd bytes", METRIC_COUNTER, (const char *[]){ "v" }, 1,
					      NULL, 0, 10),
				 (const char *[]){ "\xff\"\\\n\xe2\x9c\x93" }),
		   1);
	render(r, &out);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out.data, out.len), (ssize_t)out.len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	status = system(cmd);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	strbuf_free(&out);
	registry_free(r);
}

/* OpenMetrics: families of counters without _total, exemplars on the
 * buckets they fell in, a counter named otherwise as unknown, # EOF. */
static void test_openmetrics(void **state)
{
	static const char *const method[] = { "method" };
	static const double bounds[] = { 0.1, 0.5 };
	static const uint8_t trace[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
					   0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	static const uint8_t span[8] = { 0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7 };
	static const char want[] =
		"# HELP http_requests Requests, \\\"quoted\\\"\n"
		"# TYPE http_requests counter\n"
		"http_requests_total{method=\"GET\"} 3\n"
		"# HELP odd_counter Named without _total\n"
		"# TYPE odd_counter unknown\n"
		"odd_counter 1\n"
		"# HELP duration_seconds Durations\n"
		"# TYPE duration_seconds histogram\n"
		"duration_seconds_bucket{method=\"GET\",le=\"0.1\"} 0\n"
		"duration_seconds_bucket{method=\"GET\",le=\"0.5\"} 1 # "
		"{trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\",span_id=\"00f067aa0ba902b7\"} 0.25 1700000000.123\n"
		"duration_seconds_bucket{method=\"GET\",le=\"+Inf\"} 1\n"
		"duration_seconds_sum{method=\"GET\"} 0.25\n"
		"duration_seconds_count{method=\"GET\"} 1\n"
		"# EOF\n";
	struct registry *r = registry_new();
	struct metric_family *c, *odd, *h;
	struct metric_series *s;
	struct strbuf out = { 0 };
	const char *get[] = { "GET" };

	(void)state;
	c = registry_add(r, "http_requests_total", "Requests, \"quoted\"", METRIC_COUNTER, method, 1, NULL, 0, 10);
	odd = registry_add(r, "odd_counter", "Named without _total", METRIC_COUNTER, NULL, 0, NULL, 0, 10);
	h = registry_add(r, "duration_seconds", "Durations", METRIC_HISTOGRAM, method, 1, bounds, 2, 10);
	series_add(family_series(c, get), 3);
	series_add(family_series(odd, NULL), 1);
	s = family_series(h, get);
	series_observe(s, 0.25);
	assert_int_equal(series_exemplar(s, 0.25, trace, span, 1700000000123), 0);
	assert_int_equal(prom_render_openmetrics(r, &out), 0);
	assert_string_equal(out.data, want);
	strbuf_free(&out);
	/* The 0.0.4 text has no exemplars. */
	memset(&out, 0, sizeof(out));
	assert_int_equal(prom_render(r, &out), 0);
	assert_null(strstr(out.data, "trace_id"));
	strbuf_free(&out);
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values), cmocka_unit_test(test_escaping), cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty),  cmocka_unit_test(test_promtool), cmocka_unit_test(test_openmetrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
