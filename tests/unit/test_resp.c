// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WIRE_RECS_PROTOCOL "redis"
#include "wire_recs.h"

static int feed(void *c, enum wire_dir dir, const char *s, uint64_t ts, struct recs *r)
{
	return resp_parser.feed(c, dir, (const uint8_t *)s, strlen(s), ts, record, r);
}

static int feed_bytes(void *c, enum wire_dir dir, const char *s, uint64_t ts, struct recs *r)
{
	for (size_t i = 0; s[i]; i++) {
		int ret = resp_parser.feed(c, dir, (const uint8_t *)s + i, 1, ts + i, record, r);

		if (ret)
			return ret;
	}
	return 0;
}

static void test_set_get(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_string_equal(resp_parser.name, "redis");
	assert_int_equal(feed(c, WIRE_REQUEST, "*3\r\n$3\r\nset\r\n$3\r\nkey\r\n$5\r\nvalue\r\n", 100, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "+OK\r\n", 200, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", 300, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$5\r\nvalue\r\n", 400, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "SET");
	assert_false(r.v[0].error);
	assert_int_equal(r.v[0].start_ns, 100);
	assert_int_equal(r.v[0].end_ns, 200);
	assert_string_equal(r.v[1].method, "GET");
	assert_int_equal(r.v[1].start_ns, 300);
	assert_int_equal(r.v[1].end_ns, 400);
	resp_parser.destroy(c);
}

static void test_null_bulk_and_unsolicited(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	/* Joined mid-connection: replies with no command are ignored. */
	assert_int_equal(feed(c, WIRE_RESPONSE, "+OK\r\n*2\r\n$1\r\na\r\n:1\r\n", 1, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n", 2, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$-1\r\n", 3, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "*0\r\n*-1\r\n\r\nconfig get maxmemory\r\n", 4, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "*-1\r\n", 5, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "GET");
	assert_false(r.v[0].error);
	assert_string_equal(r.v[1].method, "CONFIG");
	resp_parser.destroy(c);
}

static const char pipeline_req[] = "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
				   "  incr a\r\n"
				   "*2\r\n$3\r\nget\r\n$1\r\na\r\n";
static const char pipeline_rsp[] = "+OK\r\n:2\r\n$1\r\n2\r\n";

static void check_pipeline(const struct recs *r)
{
	assert_int_equal(r->n, 3);
	assert_string_equal(r->v[0].method, "SET");
	assert_string_equal(r->v[1].method, "INCR");
	assert_string_equal(r->v[2].method, "GET");
}

static void test_pipelined(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, pipeline_req, 10, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, pipeline_rsp, 20, &r), 0);
	check_pipeline(&r);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(r.v[i].start_ns, 10);
		assert_int_equal(r.v[i].end_ns, 20);
	}
	resp_parser.destroy(c);
}

static void test_byte_by_byte(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed_bytes(c, WIRE_REQUEST, pipeline_req, 1000, &r), 0);
	assert_int_equal(feed_bytes(c, WIRE_RESPONSE, pipeline_rsp, 2000, &r), 0);
	check_pipeline(&r);
	/* Each command starts at its first byte; each reply ends at its last. */
	assert_int_equal(r.v[0].start_ns, 1000);
	assert_int_equal(r.v[1].start_ns, 1000 + strchr(pipeline_req, ' ') - pipeline_req);
	assert_int_equal(r.v[0].end_ns, 2004);
	assert_int_equal(r.v[2].end_ns, 2000 + strlen(pipeline_rsp) - 1);
	resp_parser.destroy(c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *reply;
		bool fault;
	} cases[] = {
		{ "-ERR unknown command 'FOO'\r\n", false },
		{ "-WRONGTYPE Operation against a key\r\n", false },
		{ "-LOADING Redis is loading the dataset in memory\r\n", true },
		{ "-BUSY\r\n", true },
		{ "-OOM command not allowed\r\n", true },
		{ "-LOADINGX nope\r\n", false },
		{ "!21\r\nSYNTAX invalid syntax\r\n", false },
		{ "!24\r\nCLUSTERDOWN it is down..\r\n", true },
	};
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(feed(c, WIRE_REQUEST, "PING\r\n", i, &r), 0);
		assert_int_equal(feed_bytes(c, WIRE_RESPONSE, cases[i].reply, 0, &r), 0);
		assert_int_equal(r.n, i + 1);
		assert_true(r.v[i].error);
		assert_int_equal(r.v[i].fault, cases[i].fault);
	}
	/* An error inside an array (EXEC) is not the reply's. */
	assert_int_equal(feed(c, WIRE_REQUEST, "EXEC\r\n", 0, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "*2\r\n+OK\r\n-LOADING x\r\n", 0, &r), 0);
	assert_false(r.v[r.n - 1].error);
	assert_false(r.v[r.n - 1].fault);
	resp_parser.destroy(c);
}

static void test_resp3(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*1\r\n$4\r\nKEYS\r\n", 1, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "%2\r\n+server\r\n+redis\r\n+proto\r\n:3\r\n", 2, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "HELLO");
	/* An attribute, then a push, then the reply. */
	assert_int_equal(feed(c, WIRE_RESPONSE, "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n", 3, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, ">3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n", 4, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(feed(c, WIRE_RESPONSE, "*2\r\n|1\r\n+ttl\r\n:3\r\n$1\r\na\r\n", 5, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(feed(c, WIRE_RESPONSE, "~0\r\n", 6, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].method, "KEYS");
	assert_int_equal(r.v[1].end_ns, 6);
	/* Scalars of every RESP3 type. */
	static const char *const scalars[] = {
		"_\r\n",
		"#t\r\n",
		",3.14\r\n",
		"(3492890328409238509324850943850943825024385\r\n",
		"=15\r\ntxt:Some string\r\n",
		"~2\r\n:1\r\n:2\r\n",
		"%0\r\n",
	};
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		assert_int_equal(feed(c, WIRE_REQUEST, "PING\r\n", 7, &r), 0);
		assert_int_equal(feed(c, WIRE_RESPONSE, scalars[i], 8, &r), 0);
		assert_int_equal(r.n, 3 + i);
		assert_false(r.v[r.n - 1].error);
	}
	resp_parser.destroy(c);
}

static void test_nested(void **state)
{
	const char reply[] = "*3\r\n*2\r\n:1\r\n*0\r\n*1\r\n*1\r\n$-1\r\n%1\r\n+k\r\n*1\r\n:2\r\n";
	struct recs r = { 0 };
	void *c = resp_parser.create();
	char deep[33 * 4 + 8] = "";

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "LRANGE x 0 -1\r\nPING\r\n", 1, &r), 0);
	for (size_t i = 0; i + 1 < strlen(reply); i++) {
		assert_int_equal(resp_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)reply + i, 1, 2, record, &r), 0);
		assert_int_equal(r.n, 0);
	}
	assert_int_equal(resp_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)"\n", 1, 3, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "LRANGE");
	/* 32 levels are fine, 33 are not. */
	for (int i = 0; i < 32; i++)
		strcat(deep, "*1\r\n");
	strcat(deep, ":1\r\n");
	assert_int_equal(feed(c, WIRE_RESPONSE, deep, 4, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(feed(c, WIRE_RESPONSE, "*1\r\n", 5, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, deep, 5, &r), -EBADMSG);
	resp_parser.destroy(c);
}

static void test_big_bulk_with_gap(void **state)
{
	static char chunk[65536];
	struct recs r = { 0 };
	void *c = resp_parser.create();
	uint64_t left = 10000000;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", 1, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$10000000\r", 2, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "\n", 3, &r), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(
			resp_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)chunk, sizeof(chunk), 4, record, &r), 0);
		left -= sizeof(chunk);
	}
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 5000000, 4, record, &r), 0);
	left -= 5000000;
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		assert_int_equal(resp_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)chunk, n, 5, record, &r), 0);
		left -= n;
	}
	assert_int_equal(r.n, 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "\r\n", 6, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "GET");
	assert_int_equal(r.v[0].end_ns, 6);
	resp_parser.destroy(c);
}

/* A reply bigger than one capture, lost to its end: the call ends with the
 * gap, however its CRLF was split. */
static void test_gap_to_reply_end(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", 1, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$20000\r\nxxxx", 2, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 19996 + 2, 3, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].end_ns, 3);
	/* The next command pairs with the next reply. */
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n", 4, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$20000\r\nxxxx", 5, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 19996 + 1, 6, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(feed(c, WIRE_RESPONSE, "\n", 7, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[1].end_ns, 7);
	/* The CR seen, the LF lost. */
	assert_int_equal(feed(c, WIRE_REQUEST, "*1\r\n$4\r\nECHO\r\n", 8, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$1\r\nx\r", 9, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 1, 10, record, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[2].method, "ECHO");
	resp_parser.destroy(c);
}

/* Reply bytes lost where they cannot be counted down (inside an array, or
 * past a payload's end): the call in flight ends with them, the replies of
 * commands pipelined after it are given up, and the next command pairs
 * with the next reply. */
static void test_resync_after_lost_reply(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n", 1, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "*400\r\n$3\r\nget\r\n*10\r\n$7\r\nsum", 2, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 200000, 3, record, &r), WIRE_RESYNCED);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "COMMAND");
	assert_int_equal(r.v[0].end_ns, 3);
	/* The rest of that reply, however it comes, is given up. */
	assert_int_equal(feed(c, WIRE_RESPONSE, "ary\r\n$5\r\n", 4, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 9000, 4, record, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "*1\r\n$4\r\nPING\r\n", 5, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "+PONG\r\n", 6, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].method, "PING");
	assert_int_equal(r.v[1].start_ns, 5);
	/* Pipelined: a gap past the first reply's payload costs the second's. */
	assert_int_equal(feed(c, WIRE_REQUEST, "*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n", 7, &r),
			 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$5\r\n", 8, &r), 0);
	assert_int_equal(resp_parser.gap(c, WIRE_RESPONSE, 20, 9, record, &r), WIRE_RESYNCED);
	assert_int_equal(r.n, 3);
	assert_int_equal(feed(c, WIRE_RESPONSE, "$1\r\nb\r\n", 10, &r), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(feed(c, WIRE_REQUEST, "*1\r\n$4\r\nPING\r\n", 11, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "+PONG\r\n", 12, &r), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.v[3].method, "PING");
	assert_int_equal(r.v[3].start_ns, 11);
	/* A command's bytes lost outside a payload are out of sync. */
	assert_int_equal(resp_parser.gap(c, WIRE_REQUEST, 10, 13, record, &r), -EBADMSG);
	resp_parser.destroy(c);
}

/* A command the server does not know names no series: a client cannot
 * mint them. */
static void test_unknown_command(void **state)
{
	struct recs r = { 0 };
	void *c = resp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "*1\r\n$9\r\nMADEUP123\r\n*1\r\n$4\r\nPING\r\n", 1, &r), 0);
	assert_int_equal(
		feed(c, WIRE_RESPONSE, "-ERR unknown command 'MADEUP123', with args beginning with: \r\n", 2, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "-ERR wrong number of arguments\r\n", 3, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "_OTHER");
	assert_true(r.v[0].error);
	assert_false(r.v[0].fault);
	assert_string_equal(r.v[1].method, "PING");
	resp_parser.destroy(c);
}

static void test_malformed(void **state)
{
	static const char *const bad_replies[] = {
		"$abc\r\n",
		"$600000000\r\n",
		"*1x\r\n",
		"?what\r\n",
		"$1\r\nab\r\n",
		"$-2\r\n",
		"$\r\n",
		"*-\r\n",
		"$?\r\n",
		"\r\n",
		"$99999999999999999999999999\r\n",
		"*1\r\n@\r\n",
		"$00000000000000000000000000000000000000001\r\n",
	};
	static const char *const bad_requests[] = {
		"*1\r\n:1\r\n", "*2\r\n*1\r\n", "*1\r\n$-1\r\n", "*x\r\n", "*1\r\n$3\r\nGETX\r\n",
	};
	struct recs r = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad_replies) / sizeof(bad_replies[0]); i++) {
		void *c = resp_parser.create();

		assert_int_equal(feed(c, WIRE_RESPONSE, bad_replies[i], 1, &r), -EBADMSG);
		resp_parser.destroy(c);
	}
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		void *c = resp_parser.create();

		assert_int_equal(feed(c, WIRE_REQUEST, bad_requests[i], 1, &r), -EBADMSG);
		resp_parser.destroy(c);
	}
	/* An inline command longer than Redis accepts. */
	char *line = malloc(70000);
	void *c = resp_parser.create();

	assert_non_null(line);
	memset(line, 'a', 69999);
	line[69999] = 0;
	assert_int_equal(feed(c, WIRE_REQUEST, line, 1, &r), -EBADMSG);
	resp_parser.destroy(c);
	free(line);
	assert_int_equal(r.n, 0);
}

static void test_fifo_overflow(void **state)
{
	static struct recs r;
	void *c = resp_parser.create();

	(void)state;
	for (uint64_t i = 0; i < 1030; i++)
		assert_int_equal(feed(c, WIRE_REQUEST, i < 6 ? "ECHO x\r\n" : "PING\r\n", i, &r), 0);
	for (uint64_t i = 0; i < 1030; i++)
		assert_int_equal(feed(c, WIRE_RESPONSE, "+PONG\r\n", 5000 + i, &r), 0);
	/* The six oldest were dropped and their replies skipped. */
	assert_int_equal(r.n, 1024);
	assert_string_equal(r.v[0].method, "PING");
	assert_int_equal(r.v[0].start_ns, 6);
	assert_int_equal(r.v[0].end_ns, 5006);
	assert_int_equal(r.v[1023].start_ns, 1029);
	resp_parser.destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get),		 cmocka_unit_test(test_null_bulk_and_unsolicited),
		cmocka_unit_test(test_pipelined),	 cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_errors),		 cmocka_unit_test(test_resp3),
		cmocka_unit_test(test_nested),		 cmocka_unit_test(test_big_bulk_with_gap),
		cmocka_unit_test(test_gap_to_reply_end), cmocka_unit_test(test_resync_after_lost_reply),
		cmocka_unit_test(test_unknown_command),
		cmocka_unit_test(test_malformed),	 cmocka_unit_test(test_fifo_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
