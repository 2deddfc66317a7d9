// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WIRE_RECS_PROTOCOL "postgresql"
#include "wire_recs.h"

/* Messages built by hand into a growing byte string. */
struct msgs {
	uint8_t b[8192];
	size_t n;
};

static void put32(struct msgs *m, uint32_t v)
{
	m->b[m->n++] = (uint8_t)(v >> 24);
	m->b[m->n++] = (uint8_t)(v >> 16);
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

/* A typed message; its body is given as bytes (NULs included). */
static void typed(struct msgs *m, char type, const char *body, size_t len)
{
	m->b[m->n++] = (uint8_t)type;
	put32(m, (uint32_t)len + 4);
	memcpy(m->b + m->n, body, len);
	m->n += len;
}

#define TYPED(m, type, lit) typed(m, type, lit, sizeof(lit) - 1)

static void msg_query(struct msgs *m, const char *sql)
{
	typed(m, 'Q', sql, strlen(sql) + 1);
}

static int send_msgs(void *c, enum wire_dir dir, struct msgs *m, uint64_t ts, struct recs *r)
{
	int ret = pg_parser.feed(c, dir, m->b, m->n, ts, record, r);

	m->n = 0;
	return ret;
}

static void *open_session(struct recs *r)
{
	void *c = pg_parser.create();
	struct msgs m = { .n = 0 };

	put32(&m, 8);
	put32(&m, 80877103);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, r), 0);
	assert_int_equal(pg_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)"N", 1, 2, record, r), 0);
	put32(&m, 8 + 23);
	put32(&m, 196608);
	memcpy(m.b + m.n, "user\0postgres\0database\0\0", 23);
	m.n += 23;
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 3, r), 0);
	TYPED(&m, 'R', "\0\0\0\0");
	TYPED(&m, 'S', "server_version\00016.2\0");
	TYPED(&m, 'K', "\0\0\0\1\0\0\0\2");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 4, r), 0);
	assert_int_equal(r->n, 0);
	return c;
}

static void test_simple_query(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	assert_string_equal(pg_parser.name, "postgresql");
	msg_query(&m, "BEGIN;");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 10, &r), 0);
	TYPED(&m, 'C', "BEGIN\0");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 11, &r), 0);
	assert_int_equal(r.n, 0);
	TYPED(&m, 'Z', "T");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 12, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "BEGIN");
	assert_false(r.v[0].error);
	assert_int_equal(r.v[0].start_ns, 10);
	assert_int_equal(r.v[0].end_ns, 12);

	msg_query(&m, "  /* c */ select 1");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 20, &r), 0);
	TYPED(&m, 'T', "\0\1?column?\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
	TYPED(&m, 'D', "\0\1\0\0\0\0011");
	TYPED(&m, 'C', "SELECT 1\0");
	TYPED(&m, 'N', "SNOTICE\0\0");
	TYPED(&m, 'Z', "T");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 21, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].method, "SELECT");
	assert_false(r.v[1].error);
	pg_parser.destroy(c);
}

/* A connection joined after its startup: its first bytes are a Query,
 * which the plain parser would take for a startup packet. */
static void test_joined(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = pg_joined_parser.create();

	(void)state;
	assert_string_equal(pg_joined_parser.name, "postgresql");
	msg_query(&m, "SELECT 1");
	assert_int_equal(pg_joined_parser.feed(c, WIRE_REQUEST, m.b, m.n, 10, record, &r), 0);
	m.n = 0;
	TYPED(&m, 'C', "SELECT 1\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(pg_joined_parser.feed(c, WIRE_RESPONSE, m.b, m.n, 11, record, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "SELECT");
	assert_int_equal(r.v[0].start_ns, 10);
	pg_joined_parser.destroy(c);
}

static void test_query_errors(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	msg_query(&m, "select * from missing");
	msg_query(&m, "select pg_terminate_backend(1)");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);
	TYPED(&m, 'E', "SERROR\0VERROR\0C42P01\0Mrelation \"missing\" does not exist\0\0");
	TYPED(&m, 'Z', "I");
	TYPED(&m, 'E', "SFATAL\0VFATAL\0C57P01\0Mterminating connection\0\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 2, &r), 0);
	assert_int_equal(r.n, 2);
	assert_true(r.v[0].error);
	assert_false(r.v[0].fault);
	assert_true(r.v[1].error);
	assert_true(r.v[1].fault);
	pg_parser.destroy(c);
}

static void msg_parse(struct msgs *m, const char *name, const char *sql)
{
	char body[512];
	size_t n = 0;

	n += (size_t)sprintf(body + n, "%s", name) + 1;
	n += (size_t)sprintf(body + n, "%s", sql) + 1;
	memcpy(body + n, "\0\0", 2);
	typed(m, 'P', body, n + 2);
}

static void msg_bind(struct msgs *m, const char *portal, const char *stmt)
{
	char body[512];
	size_t n = 0;

	n += (size_t)sprintf(body + n, "%s", portal) + 1;
	n += (size_t)sprintf(body + n, "%s", stmt) + 1;
	memcpy(body + n, "\0\0\0\0\0\0", 6);
	typed(m, 'B', body, n + 6);
}

static void msg_execute(struct msgs *m, const char *portal)
{
	char body[128];
	size_t n = (size_t)sprintf(body, "%s", portal) + 1;

	memcpy(body + n, "\0\0\0\0", 4);
	typed(m, 'E', body, n + 4);
}

static void test_extended(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	msg_parse(&m, "s1", "insert into t values ($1)");
	TYPED(&m, 'S', "");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);
	TYPED(&m, '1', "");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 2, &r), 0);
	assert_int_equal(r.n, 0);
	/* The named statement reused by two Bind/Execute pairs. */
	msg_bind(&m, "", "s1");
	msg_execute(&m, "");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 3, &r), 0);
	msg_bind(&m, "", "s1");
	msg_execute(&m, "");
	TYPED(&m, 'S', "");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 4, &r), 0);
	TYPED(&m, '2', "");
	TYPED(&m, 'C', "INSERT 0 1\0");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 5, &r), 0);
	TYPED(&m, '2', "");
	TYPED(&m, 'C', "INSERT 0 1\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 6, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "INSERT");
	assert_int_equal(r.v[0].start_ns, 3);
	assert_int_equal(r.v[0].end_ns, 5);
	assert_string_equal(r.v[1].method, "INSERT");
	assert_int_equal(r.v[1].start_ns, 4);
	assert_int_equal(r.v[1].end_ns, 6);
	/* The unnamed statement into a named portal, fetched in two parts. */
	msg_parse(&m, "", "  UPDATE t set x = 1");
	msg_bind(&m, "p1", "");
	TYPED(&m, 'D', "Pp1\0");
	msg_execute(&m, "p1");
	TYPED(&m, 'H', "");
	msg_execute(&m, "p1");
	TYPED(&m, 'S', "");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 7, &r), 0);
	TYPED(&m, '1', "");
	TYPED(&m, '2', "");
	TYPED(&m, 'n', "");
	TYPED(&m, 's', "");
	TYPED(&m, 'C', "UPDATE 3\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 8, &r), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.v[2].method, "UPDATE");
	assert_string_equal(r.v[3].method, "UPDATE");
	assert_false(r.v[3].error);
	pg_parser.destroy(c);
}

/* Two pipelined batches; the first fails in its second Execute. */
static void error_pipeline(struct msgs *req, struct msgs *rsp)
{
	msg_parse(req, "", "select 1");
	msg_bind(req, "", "");
	msg_execute(req, "");
	msg_parse(req, "", "delete from x");
	msg_bind(req, "", "");
	msg_execute(req, "");
	msg_parse(req, "", "insert into y default values");
	msg_bind(req, "", "");
	msg_execute(req, "");
	TYPED(req, 'S', "");
	msg_query(req, "commit");
	TYPED(rsp, '1', "");
	TYPED(rsp, '2', "");
	TYPED(rsp, 'D', "\0\1\0\0\0\0011");
	TYPED(rsp, 'C', "SELECT 1\0");
	TYPED(rsp, '1', "");
	TYPED(rsp, '2', "");
	TYPED(rsp, 'E', "SERROR\0VERROR\0C53200\0Mout of memory\0\0");
	TYPED(rsp, 'Z', "E");
	TYPED(rsp, 'C', "ROLLBACK\0");
	TYPED(rsp, 'Z', "I");
}

static void check_error_pipeline(const struct recs *r)
{
	assert_int_equal(r->n, 3);
	assert_string_equal(r->v[0].method, "SELECT");
	assert_false(r->v[0].error);
	assert_string_equal(r->v[1].method, "DELETE");
	assert_true(r->v[1].error);
	assert_true(r->v[1].fault);
	assert_string_equal(r->v[2].method, "COMMIT");
	assert_false(r->v[2].error);
}

static void test_error_mid_pipeline(void **state)
{
	struct recs r = { 0 };
	struct msgs req = { .n = 0 }, rsp = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	error_pipeline(&req, &rsp);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &req, 1, &r), 0);
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &rsp, 2, &r), 0);
	check_error_pipeline(&r);
	pg_parser.destroy(c);
}

static void test_byte_by_byte(void **state)
{
	struct recs r = { 0 };
	struct msgs req = { .n = 0 }, rsp = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	error_pipeline(&req, &rsp);
	for (size_t i = 0; i < req.n; i++)
		assert_int_equal(pg_parser.feed(c, WIRE_REQUEST, req.b + i, 1, 100 + i, record, &r), 0);
	for (size_t i = 0; i < rsp.n; i++)
		assert_int_equal(pg_parser.feed(c, WIRE_RESPONSE, rsp.b + i, 1, 1000 + i, record, &r), 0);
	check_error_pipeline(&r);
	/* The first Execute follows a 17-byte Parse and a 13-byte Bind. */
	assert_int_equal(r.v[0].start_ns, 100 + 17 + 13);
	assert_int_equal(r.v[2].end_ns, 1000 + rsp.n - 1);
	pg_parser.destroy(c);
}

/* Bytes lost across message heads cost the messages they held. A client's
 * COPY data written more than 8 KiB at a time: given up until the next
 * ReadyForQuery, the COPY itself counted. A backend's rows read more than
 * 8 KiB at a time: the call in flight ends with them, what follows pairs
 * again from the client's next message. Before the startup: out of sync. */
static void test_resync_after_lost_bytes(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	msg_query(&m, "copy t from stdin");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 10, &r), 0);
	TYPED(&m, 'G', "\0\0\0");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 11, &r), 0);
	TYPED(&m, 'd', "1\tone\n");
	m.b[m.n++] = 'd';
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 12, &r), 0);
	assert_int_equal(pg_parser.gap(c, WIRE_REQUEST, 100000, 12, record, &r), WIRE_RESYNCED);
	/* The rest of the data, and CopyDone, unframed: given up. */
	assert_int_equal(pg_parser.feed(c, WIRE_REQUEST, (const uint8_t *)"\0\0\0\x0b2\ttwo\nc", 13, 13, record, &r),
			 0);
	TYPED(&m, 'C', "COPY 2\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 14, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "COPY");
	assert_int_equal(r.v[0].end_ns, 14);
	msg_query(&m, "vacuum t");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 15, &r), 0);
	TYPED(&m, 'C', "VACUUM\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 16, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[1].method, "VACUUM");
	/* Rows lost across their heads: the SELECT ends with them. */
	msg_query(&m, "select * from t");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 17, &r), 0);
	TYPED(&m, 'D', "\0\1\0\0\0\1x");
	m.b[m.n++] = 'D';
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 18, &r), 0);
	assert_int_equal(pg_parser.gap(c, WIRE_RESPONSE, 50000, 19, record, &r), WIRE_RESYNCED);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[2].method, "SELECT");
	assert_int_equal(r.v[2].end_ns, 19);
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 20, &r), 0);
	msg_query(&m, "select 1");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 21, &r), 0);
	TYPED(&m, 'C', "SELECT 1\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 22, &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.v[3].start_ns, 21);
	assert_int_equal(r.v[3].end_ns, 22);
	pg_parser.destroy(c);
	c = pg_parser.create();
	put32(&m, 8);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);
	assert_int_equal(pg_parser.gap(c, WIRE_REQUEST, 100, 2, record, &r), -EBADMSG);
	pg_parser.destroy(c);
}

static void test_huge_datarow_with_gap(void **state)
{
	static uint8_t chunk[65536];
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);
	uint64_t row = 50u << 20, left = row;

	(void)state;
	msg_query(&m, "SELECT blob FROM files");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);

	m.b[m.n++] = 'D';
	put32(&m, (uint32_t)row + 4);
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 2, &r), 0);
	assert_int_equal(pg_parser.feed(c, WIRE_RESPONSE, chunk, sizeof(chunk), 3, record, &r), 0);
	left -= sizeof(chunk);
	assert_int_equal(pg_parser.gap(c, WIRE_RESPONSE, 40u << 20, 3, record, &r), 0);
	left -= 40u << 20;
	while (left) {
		size_t n = left < sizeof(chunk) ? left : sizeof(chunk);

		assert_int_equal(pg_parser.feed(c, WIRE_RESPONSE, chunk, n, 4, record, &r), 0);
		left -= n;
	}
	TYPED(&m, 'C', "SELECT 1\0");
	TYPED(&m, 'Z', "I");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 5, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "SELECT");
	assert_int_equal(r.v[0].end_ns, 5);
	pg_parser.destroy(c);
}

static void test_malformed(void **state)
{
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c;

	(void)state;
	/* Typed lengths below 4 or above 1 GiB, unknown types. */
	c = open_session(&r);
	m.b[m.n++] = 'Q';
	put32(&m, 3);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), -EBADMSG);
	pg_parser.destroy(c);
	c = open_session(&r);
	m.b[m.n++] = 'D';
	put32(&m, 0x7fffffff);
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 1, &r), -EBADMSG);
	pg_parser.destroy(c);
	c = open_session(&r);
	TYPED(&m, 'z', "");
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), -EBADMSG);
	pg_parser.destroy(c);
	c = open_session(&r);
	TYPED(&m, 'Q', "");
	assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 1, &r), -EBADMSG);
	pg_parser.destroy(c);
	/* A startup with an unknown code, or HTTP. */
	c = pg_parser.create();
	put32(&m, 8);
	put32(&m, 12345);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), -EBADMSG);
	pg_parser.destroy(c);
	c = pg_parser.create();
	assert_int_equal(pg_parser.feed(c, WIRE_REQUEST, (const uint8_t *)"GET / HTTP/1.1\r\n", 16, 1, record, &r),
			 -EBADMSG);
	pg_parser.destroy(c);
	/* TLS accepted: the rest is encrypted. */
	c = pg_parser.create();
	put32(&m, 8);
	put32(&m, 80877103);
	assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);
	assert_int_equal(pg_parser.feed(c, WIRE_RESPONSE, (const uint8_t *)"S", 1, 2, record, &r), -EBADMSG);
	pg_parser.destroy(c);
	assert_int_equal(r.n, 0);
}

static void test_verbs(void **state)
{
	static const struct {
		const char *sql, *verb;
	} cases[] = {
		{ "select 1", "SELECT" },
		{ " \n\tSELECT 1", "SELECT" },
		{ "-- hello\nupdate t set a = 1", "UPDATE" },
		{ "/* a /* nested */ b */ delete from t", "DELETE" },
		{ "((select 1) union (select 2))", "SELECT" },
		{ "WITH x AS (select 1) select * from x", "WITH" },
		{ "insert", "INSERT" },
		{ "vacuum;", "VACUUM" },
		{ "/**/explain analyze select", "EXPLAIN" },
		{ "selectfoo1", "_OTHER" },
		{ "abcdefghijklmnopqrstuvwxyzabcdefghijkl", "_OTHER" },
		{ "Rollback", "ROLLBACK" },
		{ "", "EMPTY" },
		{ "  ;  ", "EMPTY" },
		{ "-- only a comment", "EMPTY" },
		{ "/* unterminated", "EMPTY" },
		{ "123", "_OTHER" },
	};
	struct recs r = { 0 };
	struct msgs m = { .n = 0 };
	void *c = open_session(&r);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.n = 0;
		msg_query(&m, cases[i].sql);
		assert_int_equal(send_msgs(c, WIRE_REQUEST, &m, 1, &r), 0);
		TYPED(&m, 'I', "");
		TYPED(&m, 'Z', "I");
		assert_int_equal(send_msgs(c, WIRE_RESPONSE, &m, 2, &r), 0);
		assert_int_equal(r.n, 1);
		assert_string_equal(r.v[0].method, cases[i].verb);
	}
	pg_parser.destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_query),
		cmocka_unit_test(test_query_errors),
		cmocka_unit_test(test_extended),
		cmocka_unit_test(test_error_mid_pipeline),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_huge_datarow_with_gap),
		cmocka_unit_test(test_resync_after_lost_bytes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_joined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
