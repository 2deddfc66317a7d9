// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Who calls whom: a target's connection known by its local address names
 * the caller a server sees and the callee the caller dialled (v4-mapped
 * or not) while it lives; sets evict their least recently used entry;
 * idle entries go.
 * The service graph counts each request once, by the side that owns it,
 * with Tempo's labels. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "metrics/prom.h"
#include "metrics/registry.h"
#include "pipeline/callers.h"
#include "pipeline/service_graph.h"

static struct sonde_peer v4(const char *text, unsigned port)
{
	struct sonde_peer p = { .family = AF_INET, .port = (uint16_t)port };

	inet_pton(AF_INET, text, p.addr);
	return p;
}

static struct sonde_peer mapped(const char *text, unsigned port)
{
	struct sonde_peer p = { .family = AF_INET6, .port = (uint16_t)port };
	char six[64];

	snprintf(six, sizeof(six), "::ffff:%s", text);
	inet_pton(AF_INET6, six, p.addr);
	return p;
}

static void test_callers(void **state)
{
	struct callers *c = callers_new();
	struct sonde_peer local = v4("127.0.0.1", 40000), server = v4("127.0.0.1", 8080);
	struct sonde_peer seen = mapped("127.0.0.1", 40000), other = v4("127.0.0.1", 40001);

	(void)state;
	assert_non_null(c);
	callers_connected(c, "frontend", &local, &server);
	assert_null(callers_callee(c, &server));
	assert_null(callers_caller(c, &other, "inventory"));
	/* A dual-stack server sees the IPv4 caller v4-mapped. */
	assert_string_equal(callers_caller(c, &seen, "inventory"), "frontend");
	assert_string_equal(callers_callee(c, &server), "inventory");
	/* Its port closed is anyone's next: no caller, the callee still known. */
	callers_closed(c, &local);
	assert_null(callers_caller(c, &seen, "inventory"));
	assert_string_equal(callers_callee(c, &server), "inventory");
	callers_connected(c, "frontend", &local, &server);
	assert_string_equal(callers_caller(c, &seen, "inventory"), "frontend");
	/* Idle past the clock: gone. */
	for (int i = 0; i < 4; i++)
		callers_expire(c, 2);
	assert_null(callers_caller(c, &seen, "inventory"));
	assert_null(callers_callee(c, &server));
	free(c);
}

static void test_callers_evict(void **state)
{
	struct callers *c = callers_new();
	struct sonde_peer server = v4("10.0.0.1", 80), first = v4("10.0.0.2", 1);

	(void)state;
	assert_non_null(c);
	/* More connections than a set holds cannot all hash apart. */
	for (unsigned port = 1; port <= CALLERS_SETS * CALLERS_WAYS + 1; port++) {
		struct sonde_peer local = v4("10.0.0.2", port);

		callers_connected(c, "a", &local, &server);
	}
	assert_true(c->evicted >= 1);
	assert_null(callers_caller(c, &first, "b"));
	free(c);
}

static const double buckets[] = { 0.01, 0.1, 1 };

static struct exchange exchange(uint8_t role, const char *service, const char *protocol, const struct sonde_peer *peer)
{
	return (struct exchange){
		.role = role,
		.service = service,
		.protocol = protocol,
		.method = "GET",
		.status_label = "200",
		.peer = peer,
		.start_ns = 1000000,
		.end_ns = 3000000,
	};
}

static void test_graph(void **state)
{
	const struct red_config cfg = { "x", buckets, 3, 100, 1000, false };
	struct sonde_peer inv = v4("127.0.0.1", 8080), db = v4("127.0.0.1", 6379), browser = v4("192.0.2.1", 50000);
	struct registry *reg = registry_new();
	struct service_graph g;
	struct strbuf out = { 0 };
	struct exchange x;

	(void)state;
	assert_int_equal(service_graph_init(&g, reg, &cfg), 0);
	/* frontend -> inventory, seen from both ends: counted by the caller. */
	x = exchange(SONDE_ROLE_CLIENT, "frontend", "http", &inv);
	x.peer_service = "inventory";
	x.call_error = true;
	service_graph_exchange(&g, &x);
	x = exchange(SONDE_ROLE_SERVER, "inventory", "http", &inv);
	x.peer_service = "frontend";
	x.peer_counts = true;
	service_graph_exchange(&g, &x);
	/* A browser no sonde follows: the server counts it, from "user". */
	x = exchange(SONDE_ROLE_SERVER, "frontend", "http", &browser);
	service_graph_exchange(&g, &x);
	/* A database nobody here serves: its address, a database edge. */
	x = exchange(SONDE_ROLE_CLIENT, "frontend", "redis", &db);
	service_graph_exchange(&g, &x);
	/* A failed connect is no request. */
	x = exchange(SONDE_ROLE_CLIENT, "frontend", "", &inv);
	x.connect_error = "refused";
	service_graph_exchange(&g, &x);
	assert_int_equal(prom_render(reg, &out), 0);
	assert_non_null(
		strstr(out.data, "traces_service_graph_request_total{client=\"frontend\",server=\"inventory\"} 1\n"));
	assert_non_null(strstr(
		out.data, "traces_service_graph_request_failed_total{client=\"frontend\",server=\"inventory\"} 1\n"));
	assert_non_null(strstr(
		out.data,
		"traces_service_graph_request_server_seconds_count{client=\"frontend\",server=\"inventory\"} 1\n"));
	assert_non_null(strstr(
		out.data,
		"traces_service_graph_request_client_seconds_sum{client=\"frontend\",server=\"inventory\"} 0.002\n"));
	assert_non_null(strstr(out.data, "traces_service_graph_request_total{client=\"user\",server=\"frontend\","
					 "connection_type=\"virtual_node\"} 1\n"));
	assert_non_null(strstr(out.data,
			       "traces_service_graph_request_failed_total{client=\"user\",server=\"frontend\","
			       "connection_type=\"virtual_node\"} 0\n"));
	assert_non_null(strstr(out.data,
			       "traces_service_graph_request_total{client=\"frontend\",server=\"127.0.0.1:6379\","
			       "connection_type=\"database\"} 1\n"));
	strbuf_free(&out);
	registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callers),
		cmocka_unit_test(test_callers_evict),
		cmocka_unit_test(test_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
