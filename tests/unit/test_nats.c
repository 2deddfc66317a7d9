// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NATS's client protocol: CONNECT, PUB and HPUB with payloads cut anywhere
 * or lost, SUB and UNSUB, deliveries, PING paired with PONG, -ERR, lower
 * case operations, and lines that are no NATS. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BROKER_RECS_PROTOCOL "nats"
#include "broker_recs.h"

static int feed(void *c, enum wire_dir dir, const char *s, uint64_t ts, struct recs *r)
{
	return nats_parser.feed(c, dir, (const uint8_t *)s, strlen(s), ts, record, r);
}

static void test_session(void **state)
{
	struct recs r = { 0 };
	void *c = nats_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_RESPONSE, "INFO {\"server_id\":\"x\"}\r\n", 10, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "CONNECT {\"verbose\":false}\r\nPING\r\n", 100, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "PONG\r\n", 150, &r), 0);
	/* A payload holding a line, cut across reads. */
	assert_int_equal(feed(c, WIRE_REQUEST, "PUB orders.1001.created 9\r\nPUB x", 200, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, " 1\r\n\r\nSUB orders.> 7\r\n", 210, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "HPUB orders.1 reply.1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", 300, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "MSG orders.1001.created 7 9\r\nPUB x 1\r\n\r\n", 400, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "HMSG orders.1 7 reply.1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", 410, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "unsub 7\r\nping\r\n", 500, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "PING\r\n+OK\r\n-ERR 'Permissions Violation'\r\npong\r\n", 600, &r), 0);
	assert_int_equal(r.n, 10);
	assert_string_equal(r.v[0].method, "CONNECT");
	assert_true(r.v[0].unpaired);
	assert_string_equal(r.v[1].method, "PING");
	assert_int_equal(r.v[1].start_ns, 100);
	assert_int_equal(r.v[1].end_ns, 150);
	assert_false(r.v[1].unpaired);
	assert_string_equal(r.v[2].method, "PUB");
	assert_string_equal(r.v[2].name, "orders.1001.created");
	assert_int_equal(r.v[2].end_ns, 210);
	assert_string_equal(r.v[3].method, "SUB");
	assert_string_equal(r.v[3].name, "orders.>");
	assert_string_equal(r.v[4].method, "HPUB");
	assert_string_equal(r.v[5].method, "MSG");
	assert_string_equal(r.v[5].name, "orders.1001.created");
	assert_string_equal(r.v[6].method, "HMSG");
	assert_string_equal(r.v[7].method, "UNSUB");
	assert_string_equal(r.v[8].method, "-ERR");
	assert_true(r.v[8].error);
	assert_string_equal(r.v[9].method, "PING");
	nats_parser.destroy(c);
}

static void test_gaps(void **state)
{
	struct recs r = { 0 };
	void *c = nats_parser.create();

	(void)state;
	/* 100000 bytes of payload, 20 seen, the rest and the CRLF lost. */
	assert_int_equal(feed(c, WIRE_REQUEST, "PUB big 100000\r\n01234567890123456789", 100, &r), 0);
	assert_int_equal(nats_parser.gap(c, WIRE_REQUEST, 100000 - 20 + 2, 110, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].end_ns, 110);
	assert_int_equal(feed(c, WIRE_REQUEST, "PUB a 1\r\nx\r\n", 200, &r), 0);
	assert_int_equal(r.n, 2);
	/* A gap in a line loses the framing. */
	assert_int_equal(feed(c, WIRE_REQUEST, "PUB a", 300, &r), 0);
	assert_int_equal(nats_parser.gap(c, WIRE_REQUEST, 5, 310, record, &r), -EBADMSG);
	nats_parser.destroy(c);
}

/* A subject longer than a label holds is cut, a subscription's too. */
static void test_long_subject(void **state)
{
	struct recs r = { 0 };
	void *c = nats_parser.create();
	char line[420];

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "SUB ", 4);
	snprintf(line + 400, sizeof(line) - 400, " 1\r\n");
	assert_int_equal(feed(c, WIRE_REQUEST, line, 1, &r), 0);
	memcpy(line, "PUB ", 4);
	snprintf(line + 400, sizeof(line) - 400, " 0\r\n\r\n");
	assert_int_equal(feed(c, WIRE_REQUEST, line, 2, &r), 0);
	assert_int_equal(r.n, 2);
	/* Lines longer than kept: the sizes come from their end, and the
	 * framing holds for what follows. */
	char big[1200];

	memset(big, 'r', sizeof(big));
	memcpy(big, "PUB subj ", 9);
	snprintf(big + 700, sizeof(big) - 700, " 2\r\nhi\r\nPUB a 1\r\nx\r\n");
	assert_int_equal(feed(c, WIRE_REQUEST, big, 3, &r), 0);
	memset(big, 's', sizeof(big));
	memcpy(big, "HPUB ", 5);
	snprintf(big + 900, sizeof(big) - 900, " 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
	assert_int_equal(feed(c, WIRE_REQUEST, big, 4, &r), 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.v[2].name, "subj");
	assert_string_equal(r.v[3].name, "a");
	assert_string_equal(r.v[4].method, "HPUB");
	assert_int_equal(strlen(r.v[4].name), sizeof(r.v[4].name) - 1);
	nats_parser.destroy(c);
}

static void test_not_nats(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\n", "PUB\r\n", "PUB a b c d\r\n", "PUB a -1\r\n", "PUB a 99999999999\r\n",
		"HPUB a 5 3\r\n",     "\r\n",
	};
	struct recs r = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *c = nats_parser.create();

		assert_int_equal(feed(c, WIRE_REQUEST, bad[i], 1, &r), -EBADMSG);
		nats_parser.destroy(c);
	}
	/* A server line from the client, a client line from the server. */
	void *c = nats_parser.create();

	assert_int_equal(feed(c, WIRE_REQUEST, "MSG a 1 1\r\n", 1, &r), -EBADMSG);
	nats_parser.destroy(c);
	c = nats_parser.create();
	assert_int_equal(feed(c, WIRE_RESPONSE, "PUB a 1\r\n", 1, &r), -EBADMSG);
	nats_parser.destroy(c);
	c = nats_parser.create();
	char line[5000];

	memset(line, 'A', sizeof(line) - 1);
	line[sizeof(line) - 1] = 0;
	assert_int_equal(feed(c, WIRE_REQUEST, line, 1, &r), -EBADMSG);
	nats_parser.destroy(c);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_long_subject),
		cmocka_unit_test(test_not_nats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
