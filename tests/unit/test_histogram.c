// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Bucket bounds: parsing, the defaults, and where observations land. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/buckets.h"
#include "metrics/registry.h"
#include "metrics/prom.h"
#include "base/strbuf.h"

static void test_defaults(void **state)
{
	static const double want[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
	static const char spec[] = "0.0005,0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10";
	double b[16];
	size_t n = 0;

	(void)state;
	assert_int_equal(buckets_default_len, 14);
	assert_memory_equal(buckets_default, want, sizeof(want));
	/* The documented spelling of the defaults parses back to them. */
	assert_int_equal(buckets_parse(spec, b, 16, &n), 0);
	assert_int_equal(n, 14);
	assert_memory_equal(b, want, sizeof(want));
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"",	",",  "1,1", "2,1", "0,1",  "-1,1", "1,inf", "nan",   "1,,2",	   "1,2,",
		",1,2", "1x", "1;2", " 1",  "1, 2", "1 ",   "0x10",  "1e999", "1,2,3,4,5", "1e-400",
	};
	double b[4];
	size_t n = 99;

	(void)state;
	assert_int_equal(buckets_parse("0.005,0.5,2", b, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(b[0] == 0.005 && b[1] == 0.5 && b[2] == 2);
	assert_int_equal(buckets_parse("1e-3,.5,4", b, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(b[0] == 0.001 && b[1] == 0.5 && b[2] == 4);
	assert_int_equal(buckets_parse("7", b, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_true(b[0] == 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		if (buckets_parse(bad[i], b, 4, &n) != -EINVAL)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(n, 99);
	}
	assert_int_equal(buckets_parse("1", b, 0, &n), -EINVAL);
}

static void test_index(void **state)
{
	(void)state;
	/* le is <=: a value equal to a bound lands in that bound's bucket. */
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 0), 0);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, -1), 0);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 0.0004), 0);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 0.0005), 0);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, nextafter(0.0005, 1)), 1);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 0.001), 1);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 2.5), 11);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 10), 13);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, 10.5), 14);
	assert_int_equal(buckets_index(buckets_default, buckets_default_len, INFINITY), 14);
	assert_int_equal(buckets_index(buckets_default, 0, 1), 0);
}

/* Bounds 1,2,5 and values at, between and past them. */
static void test_cumulative(void **state)
{
	static const double bounds[] = { 1, 2, 5 };
	static const double values[] = { 0.5, 1, 1, 1.5, 2, 5, 5.25, 100 };
	static const uint64_t per_bucket[] = { 3, 2, 1, 2 };
	static const char want[] = "# HELP d_seconds D\n"
				   "# TYPE d_seconds histogram\n"
				   "d_seconds_bucket{le=\"1\"} 3\n"
				   "d_seconds_bucket{le=\"2\"} 5\n"
				   "d_seconds_bucket{le=\"5\"} 6\n"
				   "d_seconds_bucket{le=\"+Inf\"} 8\n"
				   "d_seconds_sum 116.25\n"
				   "d_seconds_count 8\n";
	struct registry *r = registry_new();
	struct strbuf out = { 0 };
	struct metric_family *f;
	struct metric_series *s;

	(void)state;
	assert_non_null(r);
	f = registry_add(r, "d_seconds", "D", METRIC_HISTOGRAM, NULL, 0, bounds, 3, 1);
	assert_non_null(f);
	s = family_series(f, NULL);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		series_observe(s, values[i]);
	assert_memory_equal(series_buckets(s), per_bucket, sizeof(per_bucket));
	assert_true(series_value(s) == 8);
	assert_true(series_sum(s) == 116.25);
	assert_int_equal(prom_render(r, &out), 0);
	assert_string_equal(out.data, want);
	strbuf_free(&out);
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_cumulative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
