// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The registry: series lookup, types, the series cap and its overflow
 * series, reset, and what registry_add refuses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/registry.h"

static const char *const labels2[] = { "method", "route" };

static void test_lookup(void **state)
{
	struct registry *r = registry_new();
	struct metric_series *a, *b, *c;
	struct metric_family *f;
	char method[8] = "GET";

	(void)state;
	f = registry_add(r, "req_total", "Requests", METRIC_COUNTER, labels2, 2, NULL, 0, 10);
	assert_non_null(f);
	a = family_series(f, (const char *[]){ method, "/a" });
	b = family_series(f, (const char *[]){ "GET", "/b" });
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	/* Label values are copied: the caller's buffer may change. */
	strcpy(method, "PUT");
	assert_ptr_equal(family_series(f, (const char *[]){ "GET", "/a" }), a);
	assert_string_equal(series_labels(a)[0], "GET");
	assert_string_equal(series_labels(a)[1], "/a");
	/* Values are not run together. */
	c = family_series(f, (const char *[]){ "GE", "T/a" });
	assert_ptr_not_equal(c, a);
	assert_ptr_not_equal(family_series(f, (const char *[]){ "", "" }), c);
	assert_int_equal(family_size(f), 4);
	series_add(a, 2);
	series_add(family_series(f, (const char *[]){ "GET", "/a" }), 1.5);
	assert_true(series_value(a) == 3.5);
	assert_true(series_value(b) == 0);
	/* Creation order. */
	assert_ptr_equal(family_series_at(f, 0), a);
	assert_ptr_equal(family_series_at(f, 1), b);
	assert_ptr_equal(family_series_at(f, 2), c);
	registry_free(r);
}

static void test_types(void **state)
{
	static const double bounds[] = { 1 };
	struct metric_series *c, *g, *h;
	struct registry *r = registry_new();

	(void)state;
	c = family_series(registry_add(r, "c_total", "C", METRIC_COUNTER, NULL, 0, NULL, 0, 1), NULL);
	g = family_series(registry_add(r, "g", "G", METRIC_GAUGE, NULL, 0, NULL, 0, 1), NULL);
	h = family_series(registry_add(r, "h", "H", METRIC_HISTOGRAM, NULL, 0, bounds, 1, 1), NULL);
	assert_true(c && g && h);
	series_add(c, 5);
	series_observe(c, 1);
	assert_true(series_value(c) == 5);
	/* A counter kept elsewhere is mirrored with set. */
	series_set(c, 9);
	assert_true(series_value(c) == 9);
	series_set(g, 7);
	series_add(g, -2.5);
	series_observe(g, 1);
	assert_true(series_value(g) == 4.5);
	series_observe(h, 0.5);
	series_observe(h, 3);
	series_add(h, 10);
	series_set(h, 10);
	assert_true(series_value(h) == 2);
	assert_true(series_sum(h) == 3.5);
	/* A series that could not be allocated is accepted and ignored. */
	series_add(NULL, 1);
	series_set(NULL, 1);
	series_observe(NULL, 1);
	assert_true(series_value(NULL) == 0);
	registry_free(r);
}

static void test_overflow(void **state)
{
	static const char *const names[] = { "route" };
	static const char *const routes[] = { "/a", "/b", "/c", "/d", "/e" };
	struct registry *r = registry_new();
	const struct metric_series *first, *over;
	struct metric_family *f;

	(void)state;
	f = registry_add(r, "x_total", "X", METRIC_COUNTER, names, 1, NULL, 0, 2);
	assert_non_null(f);
	for (size_t i = 0; i < 5; i++)
		series_add(family_series(f, &routes[i]), 1);
	assert_int_equal(family_size(f), 3);
	first = family_series(f, &routes[0]);
	assert_true(series_value(first) == 1);
	assert_true(series_value(family_series(f, &routes[1])) == 1);
	over = family_series_at(f, 2);
	assert_string_equal(series_labels(over)[0], METRIC_OVERFLOW);
	assert_true(series_value(over) == 3);
	/* Existing series keep counting; new ones keep overflowing. */
	series_add(family_series(f, &routes[0]), 1);
	assert_true(series_value(first) == 2);
	assert_ptr_equal(family_series(f, (const char *[]){ "/f" }), over);
	assert_ptr_equal(family_series(f, (const char *[]){ METRIC_OVERFLOW }), over);
	assert_int_equal(family_size(f), 3);

	family_reset(f);
	assert_int_equal(family_size(f), 0);
	assert_true(series_value(family_series(f, &routes[4])) == 0);
	assert_int_equal(family_size(f), 1);
	/* The overflow labels name the overflow series even below the cap. */
	over = family_series(f, (const char *[]){ METRIC_OVERFLOW });
	assert_non_null(over);
	assert_ptr_equal(family_series_at(f, 1), over);
	assert_int_equal(family_size(f), 2);
	registry_free(r);
}

/* Enough series to rehash several times; every one is still found. */
static void test_many(void **state)
{
	struct metric_series *kept[5000];
	struct registry *r = registry_new();
	struct metric_family *f;
	char route[16];

	(void)state;
	f = registry_add(r, "m_total", "M", METRIC_COUNTER, labels2, 2, NULL, 0, 100000);
	for (int i = 0; i < 5000; i++) {
		snprintf(route, sizeof(route), "/r%d", i);
		kept[i] = family_series(f, (const char *[]){ i % 2 ? "GET" : "POST", route });
		assert_non_null(kept[i]);
		series_add(kept[i], i);
	}
	assert_int_equal(family_size(f), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(route, sizeof(route), "/r%d", i);
		assert_ptr_equal(family_series(f, (const char *[]){ i % 2 ? "GET" : "POST", route }), kept[i]);
		assert_ptr_equal(family_series_at(f, (size_t)i), kept[i]);
		assert_true(series_value(kept[i]) == i);
	}
	assert_int_equal(family_size(f), 5000);
	registry_free(r);
}

static void test_reset(void **state)
{
	static const char *const names[] = { "service" };
	struct registry *r = registry_new();
	struct metric_family *f;

	(void)state;
	f = registry_add(r, "procs", "P", METRIC_GAUGE, names, 1, NULL, 0, 10);
	series_set(family_series(f, (const char *[]){ "web" }), 3);
	series_set(family_series(f, (const char *[]){ "db" }), 1);
	family_reset(f);
	family_reset(f);
	assert_int_equal(family_size(f), 0);
	series_set(family_series(f, (const char *[]){ "db" }), 2);
	assert_int_equal(family_size(f), 1);
	assert_true(series_value(family_series_at(f, 0)) == 2);
	assert_string_equal(series_labels(family_series_at(f, 0))[0], "db");
	registry_free(r);
}

static void expect_refused(struct registry *r, const char *name, enum metric_type type, const char *const *labels,
			   size_t nlabels, const double *bounds, size_t nbounds, size_t cap)
{
	errno = 0;
	if (registry_add(r, name, "h", type, labels, nlabels, bounds, nbounds, cap))
		fail_msg("%s accepted", name);
	assert_int_equal(errno, EINVAL);
}

static void test_refused(void **state)
{
	static const double bounds[] = { 1, 2 }, unordered[] = { 2, 1 }, nan_bound[] = { 1, 0.0 / 0.0 };
	struct registry *r = registry_new();
	struct family_desc d;
	const struct metric_family *f;

	(void)state;
	assert_non_null(registry_add(r, "ok_total", "h", METRIC_COUNTER, labels2, 2, NULL, 0, 1));
	expect_refused(r, "ok_total", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	expect_refused(r, "", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	expect_refused(r, "1x", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	expect_refused(r, "a-b", METRIC_GAUGE, NULL, 0, NULL, 0, 1);
	expect_refused(r, "zero_cap", METRIC_GAUGE, NULL, 0, NULL, 0, 0);
	expect_refused(r, "colon_label", METRIC_GAUGE, (const char *[]){ "a:b" }, 1, NULL, 0, 1);
	expect_refused(r, "reserved", METRIC_GAUGE, (const char *[]){ "__name" }, 1, NULL, 0, 1);
	expect_refused(r, "twice", METRIC_GAUGE, (const char *[]){ "a", "a" }, 2, NULL, 0, 1);
	expect_refused(r, "h_le", METRIC_HISTOGRAM, (const char *[]){ "le" }, 1, bounds, 2, 1);
	expect_refused(r, "h_order", METRIC_HISTOGRAM, NULL, 0, unordered, 2, 1);
	expect_refused(r, "h_nan", METRIC_HISTOGRAM, NULL, 0, nan_bound, 2, 1);
	/* Allowed: colons in names, le outside histograms, a histogram of +Inf only. */
	assert_non_null(registry_add(r, "ns:rule:rate5m", "h", METRIC_GAUGE, (const char *[]){ "le" }, 1, NULL, 0, 1));
	assert_non_null(registry_add(r, "only_inf", "h", METRIC_HISTOGRAM, NULL, 0, NULL, 0, 1));

	f = registry_first(r);
	family_describe(f, &d);
	assert_string_equal(d.name, "ok_total");
	assert_int_equal(d.type, METRIC_COUNTER);
	assert_int_equal(d.nlabels, 2);
	assert_string_equal(d.label_names[1], "route");
	family_describe(family_next(f), &d);
	assert_string_equal(d.name, "ns:rule:rate5m");
	family_describe(family_next(family_next(f)), &d);
	assert_string_equal(d.name, "only_inf");
	assert_int_equal(d.nbounds, 0);
	assert_null(family_next(family_next(family_next(f))));
	registry_free(r);
	registry_free(NULL);
}

/* One service's made-up label sets fill its own budget only: another
 * service's new series still get their own labels, and the first
 * service's overflow keeps its name. */
static void test_service_budget(void **state)
{
	static const char *const names[] = { "service", "route" };
	struct registry *r = registry_new();
	struct metric_family *f;
	char route[32];

	(void)state;
	f = registry_add(r, "svc_total", "Requests", METRIC_COUNTER, names, 2, NULL, 0, 100);
	assert_non_null(f);
	assert_int_equal(family_limit_per_service(f, 10), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(route, sizeof(route), "/junk/%d", i);
		series_add(family_series(f, (const char *[]){ "web", route }), 1);
	}
	/* 10 of web's, and web's own overflow with the other 40. */
	assert_int_equal(family_size(f), 11);
	assert_true(series_value(family_series(f, (const char *[]){ "web", METRIC_OVERFLOW })) == 40);
	series_add(family_series(f, (const char *[]){ "api", "/orders" }), 1);
	assert_string_equal(series_labels(family_series_at(f, 11))[1], "/orders");
	assert_int_equal(family_size(f), 12);
	/* The family's cap still bounds them all. */
	for (int i = 0; i < 200; i++) {
		char svc[16];

		snprintf(svc, sizeof(svc), "s%d", i);
		family_series(f, (const char *[]){ svc, "/" });
	}
	assert_int_equal(family_size(f), 101);
	assert_string_equal(series_labels(family_series_at(f, 100))[0], METRIC_OVERFLOW);
	assert_int_equal(
		family_limit_per_service(registry_add(r, "x_total", "x", METRIC_COUNTER, names + 1, 1, NULL, 0, 5), 3),
		-EINVAL);
	registry_free(r);
}

/* Series not looked up for idle ticks go, and their service's budget
 * comes back; those in use stay, values kept. */
static void test_expiry(void **state)
{
	static const char *const names[] = { "service", "route" };
	struct registry *r = registry_new();
	struct metric_family *f, *kept;

	(void)state;
	f = registry_add(r, "exp_total", "Requests", METRIC_COUNTER, names, 2, NULL, 0, 100);
	kept = registry_add(r, "kept_total", "Requests", METRIC_COUNTER, names, 2, NULL, 0, 100);
	assert_int_equal(family_limit_per_service(f, 2), 0);
	family_expire_when_idle(f);
	series_add(family_series(f, (const char *[]){ "web", "/old" }), 1);
	series_add(family_series(f, (const char *[]){ "web", "/live" }), 5);
	series_add(family_series(kept, (const char *[]){ "web", "/old" }), 1);
	for (int t = 0; t < 3; t++) {
		assert_int_equal(registry_expire(r, 3), 0);
		series_add(family_series(f, (const char *[]){ "web", "/live" }), 1);
	}
	assert_int_equal(registry_expire(r, 3), 1);
	assert_int_equal(family_size(f), 1);
	assert_true(series_value(family_series(f, (const char *[]){ "web", "/live" })) == 8);
	/* web's budget of 2 has room again. */
	family_series(f, (const char *[]){ "web", "/new" });
	assert_int_equal(family_size(f), 2);
	assert_string_equal(series_labels(family_series_at(f, 1))[1], "/new");
	assert_int_equal(family_size(kept), 1);
	registry_free(r);
}

/* The series found last answers the next same lookup, and never once it
 * has expired or been reset (ASan sees a freed one used). */
static void test_last_found(void **state)
{
	const char *names[] = { "service", "endpoint" };
	struct registry *r = registry_new();
	struct metric_family *f;
	struct metric_series *s;

	(void)state;
	f = registry_add(r, "last_total", "Requests", METRIC_COUNTER, names, 2, NULL, 0, 100);
	family_expire_when_idle(f);
	s = family_series(f, (const char *[]){ "web", "/a" });
	series_add(s, 2);
	assert_ptr_equal(family_series(f, (const char *[]){ "web", "/a" }), s);
	assert_ptr_not_equal(family_series(f, (const char *[]){ "web", "/b" }), s);
	assert_ptr_equal(family_series(f, (const char *[]){ "web", "/a" }), s);
	for (int t = 0; t < 4; t++)
		registry_expire(r, 3);
	assert_int_equal(family_size(f), 0);
	s = family_series(f, (const char *[]){ "web", "/a" });
	assert_true(series_value(s) == 0);
	series_add(s, 1);
	family_reset(f);
	assert_true(series_value(family_series(f, (const char *[]){ "web", "/a" })) == 0);
	registry_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),	       cmocka_unit_test(test_types),  cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_many),	       cmocka_unit_test(test_reset),  cmocka_unit_test(test_refused),
		cmocka_unit_test(test_service_budget), cmocka_unit_test(test_expiry), cmocka_unit_test(test_last_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
