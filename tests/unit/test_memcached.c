// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* memcached's text protocol: classic and meta commands, pipelining,
 * noreply, data blocks cut into pieces or lost, errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WIRE_RECS_PROTOCOL "memcached"
#include "wire_recs.h"

static int feed(void *c, enum wire_dir dir, const char *s, uint64_t ts, struct recs *r)
{
	return memcached_parser.feed(c, dir, (const uint8_t *)s, strlen(s), ts, record, r);
}

static void test_classic(void **state)
{
	struct recs r = { 0 };
	void *c = memcached_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "set k 0 0 5\r\nva", 100, &r), 0);
	/* The data block's own CRLF and a line-looking value are data. */
	assert_int_equal(feed(c, WIRE_REQUEST, "\r\nl\r\n", 110, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "STORED\r\n", 200, &r), 0);
	/* Pipelined: two gets, then their responses, the first a hit. */
	assert_int_equal(feed(c, WIRE_REQUEST, "get k\r\nget nothere\r\n", 300, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "VALUE k 0 5\r\nEND\r\n\r\nEND\r\n", 400, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(feed(c, WIRE_RESPONSE, "END\r\n", 410, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, "delete k\r\nincr n 1\r\nbogus\r\nstats\r\n", 500, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "DELETED\r\nSERVER_ERROR out of memory\r\nERROR\r\n", 600, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "STAT pid 1\r\nSTAT uptime 2\r\nEND\r\n", 700, &r), 0);
	assert_int_equal(r.n, 7);
	assert_string_equal(r.v[0].method, "set");
	assert_int_equal(r.v[0].start_ns, 100);
	assert_int_equal(r.v[0].end_ns, 200);
	assert_string_equal(r.v[0].outcome, "");
	assert_string_equal(r.v[1].method, "get");
	assert_string_equal(r.v[1].outcome, "hit");
	assert_int_equal(r.v[1].end_ns, 400);
	assert_string_equal(r.v[2].method, "get");
	assert_string_equal(r.v[2].outcome, "miss");
	assert_false(r.v[2].error); /* a miss is no error */
	assert_int_equal(r.v[2].end_ns, 410);
	assert_string_equal(r.v[3].method, "delete");
	assert_string_equal(r.v[4].method, "incr");
	assert_true(r.v[4].error && r.v[4].fault);
	assert_string_equal(r.v[5].method, "_OTHER");
	assert_true(r.v[5].error && !r.v[5].fault);
	assert_string_equal(r.v[6].method, "stats");
	assert_int_equal(r.v[6].end_ns, 700);
	memcached_parser.destroy(c);
}

static void test_noreply_and_meta(void **state)
{
	struct recs r = { 0 };
	void *c = memcached_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, "set q 0 0 1 noreply\r\nx\r\ndelete q noreply\r\n", 100, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "set");
	assert_string_equal(r.v[1].method, "delete");
	assert_int_equal(feed(c, WIRE_REQUEST, "ms m 2 T0\r\nhi\r\nmg m v\r\nmg gone v\r\nmn\r\n", 200, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "HD\r\nVA 2\r\nhi\r\nEN\r\nMN\r\n", 300, &r), 0);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.v[2].method, "ms");
	assert_string_equal(r.v[3].method, "mg");
	assert_string_equal(r.v[3].outcome, "hit");
	assert_string_equal(r.v[4].method, "mg");
	assert_string_equal(r.v[4].outcome, "miss");
	assert_string_equal(r.v[5].method, "mn");
	/* Quiet mode: responses may not come, pairing would guess. */
	assert_int_equal(feed(c, WIRE_REQUEST, "mg k v q\r\n", 400, &r), -EBADMSG);
	memcached_parser.destroy(c);
}

static void test_big_values_lost(void **state)
{
	struct recs r = { 0 };
	void *c = memcached_parser.create();

	(void)state;
	/* A 100000-byte set of which 10 bytes were captured. */
	assert_int_equal(feed(c, WIRE_REQUEST, "set big 0 0 100000\r\n0123456789", 100, &r), 0);
	assert_int_equal(memcached_parser.gap(c, WIRE_REQUEST, 100000 - 10 + 2, 101, record, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "STORED\r\n", 200, &r), 0);
	/* Its get: the header and 4 bytes, then the rest with END lost. */
	assert_int_equal(feed(c, WIRE_REQUEST, "get big\r\n", 300, &r), 0);
	assert_int_equal(feed(c, WIRE_RESPONSE, "VALUE big 0 100000\r\n0123", 400, &r), 0);
	assert_int_equal(memcached_parser.gap(c, WIRE_RESPONSE, 100000 - 4 + 2 + 5, 401, record, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].method, "get");
	assert_int_equal(r.v[1].end_ns, 401);
	/* Lost bytes that are lines cannot be framed. */
	assert_int_equal(memcached_parser.gap(c, WIRE_RESPONSE, 7, 500, record, &r), -EBADMSG);
	memcached_parser.destroy(c);
}

static void test_malformed(void **state)
{
	static const char *const bad[][2] = {
		{ "set k 0 0 x\r\n", NULL },
		{ "get k\r\n", "VALUE k 0 -1\r\n" },
		{ "get k\r\n", "STORED\r\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct recs r = { 0 };
		void *c = memcached_parser.create();
		int ret = feed(c, WIRE_REQUEST, bad[i][0], 1, &r);

		if (bad[i][1])
			ret = feed(c, WIRE_RESPONSE, bad[i][1], 2, &r);
		assert_int_equal(ret, -EBADMSG);
		memcached_parser.destroy(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic),
		cmocka_unit_test(test_noreply_and_meta),
		cmocka_unit_test(test_big_values_lost),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
