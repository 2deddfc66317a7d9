// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Request-targets to route labels: the heuristics, their bounds, and
 * explicit patterns. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/routes.h"

static void expect_route(const char *target, const char *route)
{
	char out[256];
	int n = routes_from_target(target, strlen(target), out, sizeof(out));

	if (n < 0)
		fail_msg("%s: error %d", target, n);
	assert_string_equal(out, route);
	assert_int_equal(n, strlen(route));
}

static void test_ids(void **state)
{
	(void)state;
	expect_route("/api/users/1001", "/api/users/{id}");
	expect_route("/api/users/1001?secret=x", "/api/users/{id}");
	expect_route("/api/users/1001#top", "/api/users/{id}");
	expect_route("/api/users/1001?a=/1#b/2", "/api/users/{id}");
	expect_route("/api/users/1001/orders/77", "/api/users/{id}/orders/{id}");
	expect_route("/o/550e8400-e29b-41d4-a716-446655440000", "/o/{id}");
	expect_route("/o/550E8400-E29B-41D4-A716-446655440000/x", "/o/{id}/x");
	/* Near-UUIDs (35 characters; a non-hex one) are tokens all the same. */
	expect_route("/o/550e8400-e29b-41d4-a716-44665544000", "/o/{id}");
	expect_route("/o/550e8400-e29b-41d4-a716-44665544000g", "/o/{id}");
	expect_route("/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", "/commit/{id}");
	expect_route("/obj/507F1F77BCF86CD7", "/obj/{id}");
	/* Hex words: short, or without a digit, stay. */
	expect_route("/obj/507f1f77bcf86cd", "/obj/507f1f77bcf86cd");
	expect_route("/cafe/deadbeef/facade", "/cafe/deadbeef/facade");
	expect_route("/abcdefabcdefabcdef", "/abcdefabcdefabcdef");
	expect_route("/v2/items", "/v2/items");
	expect_route("/0", "/{id}");
}

/* Credentials in paths never reach a label or a span. */
static void test_secrets(void **state)
{
	char out[256];

	(void)state;
	expect_route("/api/keys/sk_live_4eC39HqLyjWDarjtT1zdp7dc", "/api/keys/{id}");
	expect_route("/auth/ghp_abcdefghijklmnop/x", "/auth/{id}/x");
	expect_route("/t/eyJhbGciOiJIUzI1NiJ9", "/t/{id}");
	expect_route("/s/Zx8fQ2pL9mN4rT7vW1", "/s/{id}");
	expect_route("/cart;jsessionid=0A1B2C3D4E5F/items;v=2", "/cart/items");
	/* Names with a digit or two stay. */
	expect_route("/static/bootstrap4-theme", "/static/bootstrap4-theme");
	expect_route("/api/v2/oauth2-callback-page", "/api/v2/oauth2-callback-page");
	static const char keyed[] = "/api/keys/sk_live_4eC39HqLyjWDarjtT1zdp7dc/use?x=1";

	assert_int_equal(routes_redact_path(keyed, sizeof(keyed) - 1, out, sizeof(out)), 24);
	assert_string_equal(out, "/api/keys/{redacted}/use");
	assert_true(routes_redact_path("/users/42;jsessionid=abc", 24, out, sizeof(out)) > 0);
	assert_string_equal(out, "/users/42");
	assert_true(routes_redact_path("/a/bb/ccc", 9, out, 7) > 0);
	assert_string_equal(out, "/a/bb");
	assert_int_equal(routes_redact_path("nope", 4, out, sizeof(out)), -EINVAL);
}

/* MQTT topics: ids bounded as in paths, the wildcards and ';' kept as
 * text, no leading slash; a space or control byte is no topic. */
static void test_topics(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(routes_from_topic("sensors/42/temp", '/', out, sizeof(out)), 17);
	assert_string_equal(out, "sensors/{id}/temp");
	assert_int_equal(routes_from_topic("sensors/#", '/', out, sizeof(out)), 9);
	assert_string_equal(out, "sensors/#");
	assert_int_equal(routes_from_topic("a/+/b;c?d", '/', out, sizeof(out)), 9);
	assert_string_equal(out, "a/+/b;c?d");
	assert_int_equal(routes_from_topic("dev/123e4567-e89b-12d3-a456-426614174000", '/', out, sizeof(out)), 8);
	assert_string_equal(out, "dev/{id}");
	assert_int_equal(routes_from_topic("a b", '/', out, sizeof(out)), -EINVAL);
	/* NATS subjects: tokens split at dots, the wildcards * and > kept. */
	assert_int_equal(routes_from_topic("orders.1001.created", '.', out, sizeof(out)), 19);
	assert_string_equal(out, "orders.{id}.created");
	assert_int_equal(routes_from_topic("orders.*.>", '.', out, sizeof(out)), 10);
	assert_string_equal(out, "orders.*.>");
	assert_int_equal(routes_from_topic("a\tb", '/', out, sizeof(out)), -EINVAL);
}

static void test_forms(void **state)
{
	char out[16];

	(void)state;
	expect_route("/", "/");
	expect_route("", "/");
	expect_route("*", "*");
	expect_route("/trailing/", "/trailing/");
	expect_route("//a", "//a");
	expect_route("http://example.com:8080/a/12?b", "/a/{id}");
	expect_route("HTTP://user@example.com/p", "/p");
	expect_route("https://example.com", "/");
	expect_route("https://example.com?q=/x", "/");
	expect_route("svc+h2.x-y://h/p#f", "/p");
	assert_int_equal(routes_from_target("nonsense", 8, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("ht!tp://x/", 10, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("1http://x/", 10, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("http:/x", 7, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("?x=1", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("*x", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("/a b", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(routes_from_target("/a\0b", 4, out, sizeof(out)), -EINVAL);
	/* Bytes past the path are not looked at. */
	assert_int_equal(routes_from_target("/a?\x01", 4, out, sizeof(out)), 2);
	/* len bounds the target: no NUL needed. */
	assert_int_equal(routes_from_target("/abc/123", 4, out, sizeof(out)), 4);
	assert_string_equal(out, "/abc");
}

static void test_bounds(void **state)
{
	char target[2048];

	(void)state;
	/* 64 bytes is still a word; 65 is an id. */
	strcpy(target, "/x/");
	memset(target + 3, 'a', 64);
	target[67] = 0;
	expect_route(target, target);
	strcat(target, "a/y");
	expect_route(target, "/x/{id}/y");
	/* 16 segments fit; 17 and more end in /{rest}. */
	target[0] = 0;
	for (int i = 0; i < 16; i++)
		strcat(target, "/s");
	expect_route(target, "/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s");
	strcat(target, "/s");
	expect_route(target, "/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/{rest}");
	strcat(target, "/1/2/3?x");
	expect_route(target, "/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/s/{rest}");
}

static void test_truncation(void **state)
{
	char out[64];

	(void)state;
	/* Whole segments only: "/alpha/beta" needs 12 bytes with the NUL. */
	assert_int_equal(routes_from_target("/alpha/beta/gamma", 17, out, 12), 11);
	assert_string_equal(out, "/alpha/beta");
	assert_int_equal(routes_from_target("/alpha/beta/gamma", 17, out, 16), 11);
	assert_string_equal(out, "/alpha/beta");
	assert_int_equal(routes_from_target("/alpha/beta/gamma", 17, out, 18), 17);
	assert_string_equal(out, "/alpha/beta/gamma");
	assert_int_equal(routes_from_target("/alpha/beta/gamma", 17, out, 11), 6);
	assert_string_equal(out, "/alpha");
	/* Not even the first segment fits: the root. */
	assert_int_equal(routes_from_target("/alpha", 6, out, 3), 1);
	assert_string_equal(out, "/");
	assert_int_equal(routes_from_target("/users/12", 9, out, 12), 11);
	assert_string_equal(out, "/users/{id}");
	assert_int_equal(routes_from_target("/users/12", 9, out, 11), 6);
	assert_string_equal(out, "/users");
	assert_int_equal(routes_from_target("*", 1, out, 2), 1);
	assert_string_equal(out, "*");
	assert_int_equal(routes_from_target("/a", 2, out, 1), -ENOSPC);
	assert_int_equal(routes_from_target("/a", 2, out, 0), -ENOSPC);
}

static void test_patterns(void **state)
{
	struct route_set rs = { 0 };
	char out[128], route[128];
	int n;

	(void)state;
	assert_int_equal(routes_add(&rs, "/api/users/{id}"), 0);
	assert_int_equal(routes_add(&rs, "/api/orders/{order}/items/{item}"), 0);
	assert_int_equal(routes_add(&rs, "/files/{name}"), 0);
	assert_int_equal(routes_add(&rs, "/api/{resource}/export"), 0);
	assert_int_equal(routes_add(&rs, "/"), 0);
	assert_int_equal(routes_match(&rs, "/api/users/ada?x=1", 18, out, sizeof(out)), 15);
	assert_string_equal(out, "/api/users/{id}");
	assert_int_equal(routes_match(&rs, "/api/orders/A7/items/3", 22, out, sizeof(out)), 32);
	assert_string_equal(out, "/api/orders/{order}/items/{item}");
	assert_int_equal(routes_match(&rs, "/files/report.pdf", 17, out, sizeof(out)), 13);
	assert_string_equal(out, "/files/{name}");
	assert_int_equal(routes_match(&rs, "http://h:80/api/users/7#x", 25, out, sizeof(out)), 15);
	assert_int_equal(routes_match(&rs, "", 0, out, sizeof(out)), 1);
	assert_string_equal(out, "/");
	/* A {name} segment matches exactly one non-empty segment. */
	assert_int_equal(routes_match(&rs, "/api/users/", 11, out, sizeof(out)), -ENOENT);
	assert_int_equal(routes_match(&rs, "/api/users/a/b", 14, out, sizeof(out)), -ENOENT);
	assert_int_equal(routes_match(&rs, "/api/users", 10, out, sizeof(out)), -ENOENT);
	assert_int_equal(routes_match(&rs, "/api/userz/1", 12, out, sizeof(out)), -ENOENT);
	assert_int_equal(routes_match(&rs, "*", 1, out, sizeof(out)), -ENOENT);
	assert_int_equal(routes_match(&rs, "/api/users/ada", 14, out, 15), -ENOSPC);

	/* Patterns win over the heuristics; the rest falls back to them. */
	n = routes_match(&rs, "/api/tokens/export", 18, route, sizeof(route));
	assert_int_equal(n, 22);
	assert_string_equal(route, "/api/{resource}/export");
	n = routes_match(&rs, "/api/users/deadbeef00112233?x", 29, route, sizeof(route));
	assert_int_equal(n, 15);
	assert_string_equal(route, "/api/users/{id}");
	assert_int_equal(routes_from_target("/api/users/deadbeef00112233", 27, out, sizeof(out)), 15);
	n = routes_match(&rs, "/shop/123", 9, route, sizeof(route));
	assert_int_equal(n, -ENOENT);
	n = routes_from_target("/shop/123", 9, route, sizeof(route));
	assert_string_equal(route, "/shop/{id}");
	routes_free(&rs);
	assert_int_equal(rs.n, 0);
}

static void test_pattern_errors(void **state)
{
	static const char *const bad[] = {
		"",	"relative", "/a?b",   "/a#b",	"/a b",	   "/{}",     "/{id",
		"/id}", "/a{id}",   "/{id}x", "/{i-d}", "/{{id}}", "/{a}{b}", "/\x01",
	};
	struct route_set rs = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (routes_add(&rs, bad[i]) != -EINVAL)
			fail_msg("pattern \"%s\" accepted", bad[i]);
	assert_int_equal(rs.n, 0);
	for (int i = 0; i < ROUTE_MAX_PATTERNS; i++)
		assert_int_equal(routes_add(&rs, "/{a}/b/{c_1}/"), 0);
	assert_int_equal(routes_add(&rs, "/x"), -ENOSPC);
	routes_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_pattern_errors),
		cmocka_unit_test(test_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
