// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "routes.h"

static void expect_route(const char *target, const char *route)
{
	char out[256];
	int n = route_from_target(target, strlen(target), out, sizeof(out));

	if (n < 0)
		fail_msg("%s: error %d", target, n);
	assert_string_equal(out, route);
	assert_int_equal(n, strlen(route));
}

static void test_heuristics(void **state)
{
	(void)state;
	expect_route("/api/users/1001", "/api/users/{id}");
	expect_route("/api/users/1001?secret=x#frag", "/api/users/{id}");
	expect_route("/api/users/1001/orders/77", "/api/users/{id}/orders/{id}");
	expect_route("/o/550e8400-E29B-41d4-a716-446655440000", "/o/{id}");
	expect_route("/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", "/commit/{id}");
	expect_route("/obj/507f1f77bcf86cd799439011", "/obj/{id}");
	/* Words that happen to be hex, or short hex, stay. */
	expect_route("/cafe/deadbeef/facade", "/cafe/deadbeef/facade");
	expect_route("/abcdefabcdefabcdef", "/abcdefabcdefabcdef");
	expect_route("/v2/items", "/v2/items");
	expect_route("/", "/");
	expect_route("", "/");
	expect_route("*", "*");
	expect_route("http://example.com:8080/a/12?b", "/a/{id}");
	expect_route("https://example.com", "/");
	expect_route("/trailing/", "/trailing/");
}

static void test_bounds(void **state)
{
	char target[2048], out[64];
	int n;

	(void)state;
	/* A segment longer than 64 bytes is an id. */
	strcpy(target, "/x/");
	memset(target + 3, 'a', 100);
	target[103] = 0;
	expect_route(target, "/x/{id}");
	/* 20 segments: 16 kept, then /{rest}. */
	strcpy(target, "");
	for (int i = 0; i < 20; i++)
		strcat(target, "/s");
	expect_route(target, "/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/{rest}");
	/* Out of room: whole segments only. */
	n = route_from_target("/alpha/beta/gamma", 17, out, 12);
	assert_int_equal(n, 11);
	assert_string_equal(out, "/alpha/beta");
	assert_int_equal(route_from_target("/a", 2, out, 1), -ENOSPC);
	assert_int_equal(route_from_target("nonsense", 8, out, sizeof(out)), -EINVAL);
	assert_int_equal(route_from_target("?x=1", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(route_from_target("ht!tp://x/", 10, out, sizeof(out)), -EINVAL);
}

static void test_patterns(void **state)
{
	struct route_set rs = { 0 };
	char out[128];

	(void)state;
	assert_int_equal(route_set_add(&rs, "/api/users/{id}"), 0);
	assert_int_equal(route_set_add(&rs, "/api/orders/{order}/items/{item}"), 0);
	assert_int_equal(route_set_add(&rs, "/files/{name}"), 0);
	assert_int_equal(route_set_add(&rs, "relative"), -EINVAL);
	assert_int_equal(route_set_match(&rs, "/api/users/ada?x=1", 18, out, sizeof(out)), 15);
	assert_string_equal(out, "/api/users/{id}");
	assert_true(route_set_match(&rs, "/api/orders/A7/items/3", 22, out, sizeof(out)) > 0);
	assert_string_equal(out, "/api/orders/{order}/items/{item}");
	/* A pattern segment matches exactly one non-empty segment. */
	assert_int_equal(route_set_match(&rs, "/api/users/", 11, out, sizeof(out)), -ENOENT);
	assert_int_equal(route_set_match(&rs, "/api/users/a/b", 14, out, sizeof(out)), -ENOENT);
	assert_int_equal(route_set_match(&rs, "/files/report.pdf", 17, out, sizeof(out)), 13);
	route_set_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heuristics),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
