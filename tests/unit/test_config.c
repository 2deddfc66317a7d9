// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration file: a good one, and a table of bad ones, each with
 * the message a user gets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static void test_good(void **state)
{
	static const char text[] = "# sonde\n"
				   "listen: 0.0.0.0:9100\n"
				   "namespace: shop\n"
				   "services:\n"
				   "  - name: web\n"
				   "    match: {exe: nginx}\n"
				   "    routes: [\"/api/users/{id}\", \"/api/orders/{order}\"]\n"
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
		{ "listne: 127.0.0.1:9464\n", "f.yaml:1: listne: unknown key (expected listen, namespace, services)" },
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
		  "f.yaml:4: colour: unknown key (expected name, match, routes)" },
		{ "services:\n  - {name: web, match: {pid: 1}}\n  - {name: web, match: {pid: 2}}\n",
		  "f.yaml:3: name: service web is defined twice" },
		{ "services:\n  - name: [web]\n    match: {pid: 1}\n", "f.yaml:2: name: expected a string" },
	};
	struct config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		assert_int_equal(config_parse("f.yaml", cases[i][0], strlen(cases[i][0]), &c, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i][1], strlen(cases[i][1])))
			fail_msg("case %zu: expected '%s...', got '%s'", i, cases[i][1], err);
	}
}

static void test_missing_file(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	assert_int_equal(config_load("/nonexistent/sonde.yaml", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/sonde.yaml: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
