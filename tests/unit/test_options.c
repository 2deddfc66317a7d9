// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/options.h"

static int parse(struct sonde_options *o, char *err, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[6] = { "sonde", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int argc = 1;

	while (argc < 5 && argv[argc])
		argc++;
	return options_parse(argc, argv, o, err, 256);
}

static void test_defaults(void **state)
{
	struct sonde_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, NULL, NULL, NULL, NULL), 0);
	assert_string_equal(o.listen_host, "127.0.0.1");
	assert_int_equal(o.listen_port, 9464);
	assert_string_equal(o.ns, "microservice");
	assert_int_equal(o.nselectors, 0);
	assert_int_equal(o.nbuckets, 14);
	assert_true(o.buckets[0] == 0.0005);
	assert_true(o.buckets[13] == 10);
}

static void test_targets(void **state)
{
	struct sonde_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--target", "exe:nginx=web", "--target=pid:42", "--target=port:8080"), 0);
	assert_int_equal(o.nselectors, 3);
	assert_int_equal(o.selectors[0].kind, SELECTOR_EXE);
	assert_string_equal(o.selectors[0].value, "nginx");
	assert_string_equal(o.selectors[0].service, "web");
	assert_int_equal(o.selectors[1].kind, SELECTOR_PID);
	assert_int_equal(o.selectors[1].number, 42);
	assert_string_equal(o.selectors[1].service, "");
	assert_int_equal(o.selectors[2].kind, SELECTOR_PORT);
	assert_int_equal(o.selectors[2].number, 8080);
}

static void test_cgroup_selector(void **state)
{
	struct selector s;
	char err[256];

	(void)state;
	assert_int_equal(options_selector_parse("cgroup:/kubepods.slice=pods", &s, err, sizeof(err)), 0);
	assert_int_equal(s.kind, SELECTOR_CGROUP);
	assert_string_equal(s.value, "/kubepods.slice");
	assert_string_equal(s.service, "pods");
}

static void test_bad_selectors(void **state)
{
	static const char *const bad[] = { "nginx",	 "pid:",
					   "pid:0",	 "pid:x1",
					   "pid:-3",	 "port:0",
					   "port:65536", "exe:/usr/sbin/nginx",
					   "exe:",	 "cgroup:relative",
					   "exe:nginx=", "disk:sda",
					   "pid:12=" };
	struct selector s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(options_selector_parse(bad[i], &s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_listen_and_namespace(void **state)
{
	struct sonde_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--listen", "0.0.0.0:9100", "--namespace", "shop"), 0);
	assert_string_equal(o.listen_host, "0.0.0.0");
	assert_int_equal(o.listen_port, 9100);
	assert_string_equal(o.ns, "shop");
	assert_int_equal(parse(&o, err, "--listen", "[::1]:9100", NULL, NULL), 0);
	assert_string_equal(o.listen_host, "::1");
	assert_int_equal(parse(&o, err, "--listen", "9100", NULL, NULL), -EINVAL);
	assert_non_null(strstr(err, "--listen 9100"));
	assert_int_equal(parse(&o, err, "--namespace", "9lives", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--namespace", "my-service", NULL, NULL), -EINVAL);
}

static void test_errors(void **state)
{
	struct sonde_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, "--bogus", NULL, NULL, NULL), -EINVAL);
	assert_string_equal(err, "unknown option --bogus");
	assert_int_equal(parse(&o, err, "--target", NULL, NULL, NULL), -EINVAL);
	assert_string_equal(err, "--target needs a value");
	assert_int_equal(parse(&o, err, "stray", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--buckets", "0.1,0.05", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--series-cap", "0", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--log-level", "loud", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--buckets", "0.1,0.5,2", "--series-cap", "7"), 0);
	assert_int_equal(o.nbuckets, 3);
	assert_int_equal(o.series_cap, 7);
	assert_int_equal(o.max_connections, 65536);
	assert_int_equal(parse(&o, err, "--max-connections", "100", NULL, NULL), -EINVAL);
	assert_string_equal(err, "--max-connections 100: expected 1024 to 4194304");
	assert_int_equal(parse(&o, err, "--max-connections", "lots", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--max-connections", "200000", NULL, NULL), 0);
	assert_int_equal(o.max_connections, 200000);
	assert_int_equal(o.series_family_cap, 20000);
	assert_int_equal(o.series_idle_ms, 600000);
	assert_int_equal(parse(&o, err, "--series-idle", "5s", NULL, NULL), -EINVAL);
	assert_string_equal(err, "--series-idle 5s: expected 0 or a duration of 10s or more, like 10m");
	assert_int_equal(parse(&o, err, "--series-idle", "0", "--series-family-cap", "50"), 0);
	assert_int_equal(o.series_idle_ms, 0);
	assert_int_equal(o.series_family_cap, 50);
	assert_int_equal(parse(&o, err, "--series-idle", "1h", "--series-family-cap", "0"), -EINVAL);
	assert_int_equal(parse(&o, err, "--series-idle", "1h", NULL, NULL), 0);
	assert_int_equal(o.series_idle_ms, 3600000);
}

static void test_hooks(void **state)
{
	struct sonde_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(o.hooks, HOOKS_AUTO);
	assert_int_equal(parse(&o, err, "--hooks", "syscalls", NULL, NULL), 0);
	assert_int_equal(o.hooks, HOOKS_SYSCALLS);
	assert_int_equal(parse(&o, err, "--hooks", "sockets", NULL, NULL), 0);
	assert_int_equal(o.hooks, HOOKS_SOCKETS);
	assert_int_equal(parse(&o, err, "--hooks", "kprobes", NULL, NULL), -EINVAL);
	assert_string_equal(err, "--hooks kprobes: expected auto, sockets or syscalls");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_cgroup_selector),
		cmocka_unit_test(test_bad_selectors),
		cmocka_unit_test(test_listen_and_namespace),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
