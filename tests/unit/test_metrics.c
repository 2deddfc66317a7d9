// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The registry, histograms and the exposition format, byte for byte and
 * through promtool. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "histogram.h"
#include "metrics.h"
#include "prom.h"
#include "strbuf.h"

static void test_buckets_parse(void **state)
{
	double b[4];
	size_t n = 0;

	(void)state;
	assert_int_equal(buckets_parse("0.005,0.5,2", b, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(b[0] == 0.005 && b[2] == 2);
	assert_int_equal(buckets_parse("", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1,1", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("2,1", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("0,1", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1,inf", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1,,2", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1,2,", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1,2,3,4,5", b, 4, &n), -EINVAL);
	assert_int_equal(buckets_parse("1x", b, 4, &n), -EINVAL);
}

static void test_bucket_edges(void **state)
{
	(void)state;
	/* le is inclusive: a value equal to a bound counts in that bucket. */
	assert_int_equal(bucket_index(default_buckets, default_buckets_len, 0.0005), 0);
	assert_int_equal(bucket_index(default_buckets, default_buckets_len, 0.0004), 0);
	assert_int_equal(bucket_index(default_buckets, default_buckets_len, 0.00051), 1);
	assert_int_equal(bucket_index(default_buckets, default_buckets_len, 10), 13);
	assert_int_equal(bucket_index(default_buckets, default_buckets_len, 10.5), 14);
}

static char *render(const struct registry *r)
{
	struct strbuf out = { 0 };

	assert_int_equal(prom_render(r, &out), 0);
	return out.data;
}

static void test_exposition(void **state)
{
	static const char *const labels[] = { "path", "code" };
	const double bounds[] = { 0.1, 1 };
	struct registry *r = registry_new();
	struct metric_family *c, *g, *h;
	const char *v1[] = { "a\"b\\c\nd", "200" };
	const char *v2[] = { "/x", "500" };
	char *text;

	(void)state;
	c = registry_add(r, "req_total", "Requests, with a \\ and a\nnewline", METRIC_COUNTER, labels, 2, NULL,
			 0, 10);
	g = registry_add(r, "temp", "A gauge", METRIC_GAUGE, NULL, 0, NULL, 0, 10);
	h = registry_add(r, "dur_seconds", "Durations", METRIC_HISTOGRAM, labels, 2, bounds, 2, 10);
	registry_add(r, "empty_total", "Nothing yet", METRIC_COUNTER, labels, 2, NULL, 0, 10);
	series_add(family_series(c, v1), 1);
	series_add(family_series(c, v1), 2);
	series_add(family_series(c, v2), 1250);
	series_set(family_series(g, NULL), 0.0005);
	series_observe(family_series(h, v2), h, 0.1);
	series_observe(family_series(h, v2), h, 0.5);
	series_observe(family_series(h, v2), h, 3);
	text = render(r);
	assert_string_equal(text,
			    "# HELP req_total Requests, with a \\\\ and a\\nnewline\n"
			    "# TYPE req_total counter\n"
			    "req_total{path=\"a\\\"b\\\\c\\nd\",code=\"200\"} 3\n"
			    "req_total{path=\"/x\",code=\"500\"} 1250\n"
			    "# HELP temp A gauge\n"
			    "# TYPE temp gauge\n"
			    "temp 0.0005\n"
			    "# HELP dur_seconds Durations\n"
			    "# TYPE dur_seconds histogram\n"
			    "dur_seconds_bucket{path=\"/x\",code=\"500\",le=\"0.1\"} 1\n"
			    "dur_seconds_bucket{path=\"/x\",code=\"500\",le=\"1\"} 2\n"
			    "dur_seconds_bucket{path=\"/x\",code=\"500\",le=\"+Inf\"} 3\n"
			    "dur_seconds_sum{path=\"/x\",code=\"500\"} 3.6\n"
			    "dur_seconds_count{path=\"/x\",code=\"500\"} 3\n"
			    "# HELP empty_total Nothing yet\n"
			    "# TYPE empty_total counter\n");
	free(text);
	registry_free(r);
}

static void test_values(void **state)
{
	char buf[40];

	(void)state;
	prom_format_value(1250, buf, sizeof(buf));
	assert_string_equal(buf, "1250");
	prom_format_value(2.5, buf, sizeof(buf));
	assert_string_equal(buf, "2.5");
	prom_format_value(0.1 + 0.2, buf, sizeof(buf));
	assert_string_equal(buf, "0.30000000000000004");
	prom_format_value(1e300, buf, sizeof(buf));
	assert_string_equal(buf, "1e+300");
	prom_format_value(1.0 / 0.0, buf, sizeof(buf));
	assert_string_equal(buf, "+Inf");
	prom_format_value(-1.0 / 0.0, buf, sizeof(buf));
	assert_string_equal(buf, "-Inf");
	prom_format_value(0.0 / 0.0, buf, sizeof(buf));
	assert_string_equal(buf, "NaN");
}

static void test_series_cap(void **state)
{
	static const char *const labels[] = { "k" };
	struct registry *r = registry_new();
	struct metric_family *f = registry_add(r, "x_total", "x", METRIC_COUNTER, labels, 1, NULL, 0, 2);
	char name[8];

	(void)state;
	for (int i = 0; i < 5; i++) {
		const char *v[] = { name };

		snprintf(name, sizeof(name), "v%d", i);
		series_add(family_series(f, v), 1);
	}
	assert_int_equal(family_size(f), 3);
	assert_true(series_value(f->overflow) == 3);
	/* Existing series keep counting after the cap. */
	const char *v0[] = { "v0" };
	series_add(family_series(f, v0), 1);
	assert_true(series_value(family_series(f, v0)) == 2);
	family_reset(f);
	assert_int_equal(family_size(f), 0);
	registry_free(r);
}

static void test_many_series(void **state)
{
	static const char *const labels[] = { "a", "b" };
	struct registry *r = registry_new();
	struct metric_family *f = registry_add(r, "m_total", "m", METRIC_COUNTER, labels, 2, NULL, 0, 100000);
	char a[16], b[16];
	const char *v[] = { a, b };

	(void)state;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(a, sizeof(a), "%d", i / 7);
			snprintf(b, sizeof(b), "%d", i % 7);
			series_add(family_series(f, v), 1);
		}
	assert_int_equal(family_size(f), 5000);
	/* ("ab","c") and ("a","bc") are different series. */
	strcpy(a, "1");
	strcpy(b, "23");
	series_add(family_series(f, v), 1);
	strcpy(a, "12");
	strcpy(b, "3");
	assert_true(series_value(family_series(f, v)) == 2);
	registry_free(r);
}

static void test_promtool(void **state)
{
	static const char *const labels[] = { "service", "endpoint" };
	char path[] = "/tmp/sonde-prom-XXXXXX", cmd[128];
	struct registry *r;
	struct metric_family *h;
	const char *v[] = { "web \"one\"", "/api/users/{id}" };
	char *text;
	int fd;

	(void)state;
	if (system("command -v promtool >/dev/null 2>&1"))
		skip();
	r = registry_new();
	series_add(family_series(registry_add(r, "ns_requests_total", "Total requests", METRIC_COUNTER, labels, 2,
					      NULL, 0, 10), v), 7);
	series_set(family_series(registry_add(r, "ns_up", "Up\nor not", METRIC_GAUGE, NULL, 0, NULL, 0, 10), NULL),
		   1);
	h = registry_add(r, "ns_duration_seconds", "Duration", METRIC_HISTOGRAM, labels, 2, default_buckets,
			 default_buckets_len, 10);
	series_observe(family_series(h, v), h, 0.003);
	text = render(r);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	assert_int_equal(system(cmd), 0);
	unlink(path);
	free(text);
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_parse), cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_exposition),    cmocka_unit_test(test_values),
		cmocka_unit_test(test_series_cap),    cmocka_unit_test(test_many_series),
		cmocka_unit_test(test_promtool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
