// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Health checks against real sockets of the test's own: TCP listeners and
 * closed ports, an HTTP responder with a script of statuses, a server that
 * never answers; and the scheduler feeding the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../user/rules/checks.c"
#include "loopback_http.h"
#include "metrics/registry.h"

static struct check_config config(enum check_type type, const char *fmt, uint16_t port)
{
	struct check_config c = { .type = type, .interval_ms = 100, .timeout_ms = 500 };

	strcpy(c.name, "probe");
	snprintf(c.target, sizeof(c.target), fmt, port);
	return c;
}

static void test_tcp(void **state)
{
	static const int script[] = { 200 };
	struct loopback_http h;
	struct check_config c;
	struct check_result r;

	(void)state;
	assert_int_equal(loopback_start(&h, script, 1), 0);
	c = config(CHECK_TCP, "127.0.0.1:%u", h.port);
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_HEALTHY);
	assert_string_equal(r.message, "connected");
	assert_string_equal(r.name, "probe");
	assert_true(r.checked_at_ms > 0 && r.duration_ms >= 0);
	loopback_stop(&h);
	c = config(CHECK_TCP, "127.0.0.1:%u", loopback_closed_port());
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "Connection refused");
	c = config(CHECK_TCP, "[::1]:%u", loopback_closed_port());
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
}

static void test_http(void **state)
{
	static const int script[] = { 200, 503, 404, 204, 0 };
	struct loopback_http h;
	struct check_config c;
	struct check_result r;

	(void)state;
	assert_int_equal(loopback_start(&h, script, 5), 0);
	c = config(CHECK_HTTP, "http://127.0.0.1:%u/health", h.port);
	c.expect_status = 200;
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_HEALTHY);
	assert_string_equal(r.message, "HTTP 200");
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "HTTP 503, expected 200");
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_DEGRADED);
	assert_string_equal(r.message, "HTTP 404, expected 200");
	/* Without expect_status any 2xx or 3xx passes. */
	c.expect_status = 0;
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_HEALTHY);
	/* A server that never answers: unhealthy once the timeout passes. */
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_true(r.duration_ms >= 450 && r.duration_ms < 1500);
	loopback_stop(&h);
	c = config(CHECK_HTTP, "http://127.0.0.1:%u/", loopback_closed_port());
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "Couldn't connect to server");
}

static void test_degraded_when_slow(void **state)
{
	static const int script[] = { -200 };
	struct loopback_http h;
	struct check_config c;
	struct check_result r;

	(void)state;
	/* Answered in 300 ms: passing, but slower than 100 ms. */
	assert_int_equal(loopback_start(&h, script, 1), 0);
	c = config(CHECK_HTTP, "http://127.0.0.1:%u/", h.port);
	c.timeout_ms = 2000;
	c.degraded_ms = 100;
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_DEGRADED);
	assert_true(!strncmp(r.message, "slow: ", 6) && strstr(r.message, " ms > 100 ms"));
	c.degraded_ms = 1000;
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_HEALTHY);
	loopback_stop(&h);
}

static void test_redis_postgres_down(void **state)
{
	struct check_config c;
	struct check_result r;

	(void)state;
	c = config(CHECK_REDIS, "127.0.0.1:%u", loopback_closed_port());
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "Connection refused");
	c = config(CHECK_POSTGRES, "host=127.0.0.1 port=%u", loopback_closed_port());
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "no response");
	c = config(CHECK_POSTGRES, "host=127.0.0.1 port=%u bogus_key=1", 5432);
	check_run(&c, &r);
	assert_int_equal(r.status, HEALTH_UNHEALTHY);
	assert_string_equal(r.message, "bad connection string");
}

static void test_scheduler(void **state)
{
	static const int script[] = { 200 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct registry *reg = registry_new();
	struct check_families f;
	struct check_config c[2];
	struct check_result r[2];
	struct loopback_http h;
	struct checks *checks;
	const char *label[] = { "up" };

	(void)state;
	assert_int_equal(loopback_start(&h, script, 1), 0);
	assert_int_equal(checks_register_families(reg, "shop", &f), 0);
	c[0] = config(CHECK_TCP, "127.0.0.1:%u", h.port);
	strcpy(c[0].name, "up");
	c[1] = config(CHECK_TCP, "127.0.0.1:%u", loopback_closed_port());
	strcpy(c[1].name, "down");
	assert_int_equal(checks_start(&checks, c, 2, &f, &lock), 0);
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&lock);
		if (series_value(family_series(f.duration, label)) >= 3)
			i = 100;
		pthread_mutex_unlock(&lock);
		usleep(20000);
	}
	assert_int_equal(checks_snapshot(checks, r, 2), 2);
	assert_string_equal(r[0].name, "up");
	assert_int_equal(r[0].status, HEALTH_HEALTHY);
	assert_int_equal(r[1].status, HEALTH_UNHEALTHY);
	checks_stop(checks);
	pthread_mutex_lock(&lock);
	assert_true(series_value(family_series(f.duration, label)) >= 3);
	assert_true(series_value(family_series(f.status, label)) == 1);
	label[0] = "down";
	assert_true(series_value(family_series(f.status, label)) == 0);
	pthread_mutex_unlock(&lock);
	loopback_stop(&h);
	registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_degraded_when_slow),
		cmocka_unit_test(test_redis_postgres_down),
		cmocka_unit_test(test_scheduler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
