// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define WIRE_RECS_PROTOCOL "mysql"
#include "wire_recs.h"

#define CAPS_41 0x000fa20fu /* protocol 4.1, secure connection, plugin auth, transactions */
#define CLIENT_DEPRECATE_EOF 0x01000000u
#define MORE_RESULTS 0x0008

/* Packets built by hand into a growing byte string. */
struct pkts {
	uint8_t b[65536];
	size_t n;
};

static void packet(struct pkts *p, uint8_t seq, const void *body, size_t len)
{
	p->b[p->n++] = (uint8_t)len;
	p->b[p->n++] = (uint8_t)(len >> 8);
	p->b[p->n++] = (uint8_t)(len >> 16);
	p->b[p->n++] = seq;
	memcpy(p->b + p->n, body, len);
	p->n += len;
}

#define PACKET(p, seq, lit) packet(p, seq, lit, sizeof(lit) - 1)

static void command(struct pkts *p, uint8_t code, const char *text)
{
	uint8_t body[512];

	body[0] = code;
	memcpy(body + 1, text, strlen(text));
	packet(p, 0, body, strlen(text) + 1);
}

/* A statement id command (execute, close): the code, the id, then zeroes. */
static void stmt_command(struct pkts *p, uint8_t code, uint32_t id)
{
	uint8_t body[10] = { code, (uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24) };

	packet(p, 0, body, code == 0x17 ? sizeof(body) : 5);
}

static void ok_packet(struct pkts *p, uint8_t seq, uint8_t header, uint16_t status)
{
	uint8_t body[7] = { header, 0, 0, (uint8_t)status, (uint8_t)(status >> 8), 0, 0 };

	packet(p, seq, body, sizeof(body));
}

static void eof_packet(struct pkts *p, uint8_t seq, uint16_t status)
{
	uint8_t body[5] = { 0xfe, 0, 0, (uint8_t)status, (uint8_t)(status >> 8) };

	packet(p, seq, body, sizeof(body));
}

static void err_packet(struct pkts *p, uint8_t seq, uint16_t code, const char *state)
{
	uint8_t body[32] = { 0xff, (uint8_t)code, (uint8_t)(code >> 8), '#' };

	memcpy(body + 4, state, 5);
	memcpy(body + 9, "failed", 6);
	packet(p, seq, body, 15);
}

/* A result set of one column and rows rows, ended as caps says. */
static void result_set(struct pkts *p, uint32_t caps, int rows, uint16_t status)
{
	uint8_t seq = 1;

	PACKET(p, seq++, "\x01");
	PACKET(p, seq++,
	       "\x03"
	       "def\x00\x00\x00\x01"
	       "a\x00\x0c\x3f\x00\x0b\x00\x00\x00\x03\x00\x00\x00\x00\x00");
	if (!(caps & CLIENT_DEPRECATE_EOF))
		eof_packet(p, seq++, 0x0002);
	for (int i = 0; i < rows; i++)
		PACKET(p, seq++,
		       "\x01"
		       "7");
	if (caps & CLIENT_DEPRECATE_EOF)
		ok_packet(p, seq, 0xfe, status);
	else
		eof_packet(p, seq, status);
}

static int send_pkts(void *c, enum wire_dir dir, struct pkts *p, uint64_t ts, struct recs *r)
{
	int ret = mysql_parser.feed(c, dir, p->b, p->n, ts, record, r);

	p->n = 0;
	return ret;
}

/* A connection through its handshake response and the server's OK. */
static void *open_session(uint32_t caps, struct recs *r)
{
	void *c = mysql_parser.create();
	struct pkts p = { .n = 0 };
	uint8_t hs[64] = {
		(uint8_t)caps, (uint8_t)(caps >> 8), (uint8_t)(caps >> 16), (uint8_t)(caps >> 24), 0, 0, 0, 1, 33
	};

	memcpy(hs + 32, "root\0", 5);
	packet(&p, 1, hs, 40);
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, r), 0);
	ok_packet(&p, 2, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 2, r), 0);
	assert_int_equal(r->n, 0);
	return c;
}

static void test_query_result_sets(void **state)
{
	static const uint32_t modes[] = { CAPS_41, CAPS_41 | CLIENT_DEPRECATE_EOF };
	(void)state;

	for (size_t m = 0; m < 2; m++) {
		struct recs r = { .n = 0 };
		struct pkts p = { .n = 0 };
		void *c = open_session(modes[m], &r);

		command(&p, 0x03, "/* a comment */ select a from t");
		assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 10, &r), 0);
		result_set(&p, modes[m], 3, 0x0002);
		assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 20, &r), 0);
		/* An empty result, then one of no rows. */
		command(&p, 0x03, "INSERT INTO t VALUES (1)");
		assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 30, &r), 0);
		ok_packet(&p, 1, 0x00, 0x0002);
		assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 40, &r), 0);
		command(&p, 0x03, "# why\nSHOW TABLES");
		assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 50, &r), 0);
		result_set(&p, modes[m], 0, 0x0002);
		assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 60, &r), 0);
		assert_int_equal(r.n, 3);
		assert_string_equal(r.v[0].method, "SELECT");
		assert_int_equal(r.v[0].start_ns, 10);
		assert_int_equal(r.v[0].end_ns, 20);
		assert_false(r.v[0].error);
		assert_string_equal(r.v[1].method, "INSERT");
		assert_string_equal(r.v[2].method, "SHOW");
		mysql_parser.destroy(c);
	}
}

/* A procedure's results, each flagged that more follow, end at the last. */
static void test_multi_results(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = open_session(CAPS_41, &r);

	(void)state;
	command(&p, 0x03, "CALL two_results()");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, &r), 0);
	result_set(&p, CAPS_41, 1, 0x0002 | MORE_RESULTS);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 2, &r), 0);
	result_set(&p, CAPS_41, 2, 0x0002 | MORE_RESULTS);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 3, &r), 0);
	assert_int_equal(r.n, 0);
	ok_packet(&p, 1, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 4, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "CALL");
	assert_int_equal(r.v[0].end_ns, 4);
	mysql_parser.destroy(c);
}

static void test_prepared_statements(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = open_session(CAPS_41, &r);

	(void)state;
	command(&p, 0x16, "SELECT c FROM sbtest1 WHERE id=?");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, &r), 0);
	/* The prepare's OK: id 7, one column, one parameter; each group of
	 * definitions ends with an EOF. */
	PACKET(&p, 1, "\x00\x07\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00");
	PACKET(&p, 2,
	       "\x03"
	       "def\x00\x00\x00\x01?\x00\x0c\x3f\x00\x00\x00\x00\x00\x06\x80\x00\x00\x00\x00");
	eof_packet(&p, 3, 0x0002);
	PACKET(&p, 4,
	       "\x03"
	       "def\x00\x00\x00\x01"
	       "c\x00\x0c\x08\x00\x78\x00\x00\x00\xfe\x00\x00\x00\x00\x00");
	eof_packet(&p, 5, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 2, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "STMT_PREPARE");
	/* Executions: MariaDB leaves the metadata out for a client that has
	 * it (a column count, then 0), then binary rows. */
	for (int i = 0; i < 3; i++) {
		stmt_command(&p, 0x17, 7);
		assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 10, &r), 0);
		PACKET(&p, 1, "\x01\x00");
		eof_packet(&p, 2, 0x0002);
		PACKET(&p, 3,
		       "\x00\x00\x03"
		       "abc");
		eof_packet(&p, 4, 0x0002);
		assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 11, &r), 0);
	}
	/* MariaDB's id -1 is the last prepared; an id never seen is UNKNOWN. */
	stmt_command(&p, 0x17, 0xffffffffu);
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 20, &r), 0);
	ok_packet(&p, 1, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 21, &r), 0);
	stmt_command(&p, 0x17, 99);
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 22, &r), 0);
	err_packet(&p, 1, 1243, "HY000");
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 23, &r), 0);
	/* A close has no answer: a call at once, not timed. */
	stmt_command(&p, 0x19, 7);
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 30, &r), 0);
	assert_int_equal(r.n, 7);
	for (int i = 1; i <= 4; i++)
		assert_string_equal(r.v[i].method, "SELECT");
	assert_string_equal(r.v[5].method, "UNKNOWN");
	assert_true(r.v[5].error);
	assert_string_equal(r.v[6].method, "STMT_CLOSE");
	mysql_parser.destroy(c);
}

static void test_errors(void **state)
{
	static const struct {
		uint16_t code;
		const char *state;
		bool fault;
	} cases[] = {
		{ 1146, "42S02", false }, /* no such table: the client's */
		{ 1064, "42000", false }, /* syntax */
		{ 1969, "70100", true }, /* max_statement_time */
		{ 1040, "08004", true }, /* too many connections */
		{ 1053, "08S01", true }, /* shutting down */
		{ 1205, "HY000", false }, /* a lock wait: the workload's */
	};
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = open_session(CAPS_41, &r);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		command(&p, 0x03, "SELECT 1");
		assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, i, &r), 0);
		err_packet(&p, 1, cases[i].code, cases[i].state);
		assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, i, &r), 0);
		assert_int_equal(r.n, i + 1);
		assert_true(r.v[i].error);
		assert_int_equal(r.v[i].fault, cases[i].fault);
	}
	/* MariaDB's progress report is an ERR that is none. */
	command(&p, 0x03, "ALTER TABLE t ADD c INT");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 50, &r), 0);
	PACKET(&p, 1, "\xff\xff\xff\x01\x01\x02\x00\x00\x00\x00");
	ok_packet(&p, 2, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 51, &r), 0);
	assert_string_equal(r.v[r.n - 1].method, "ALTER");
	assert_false(r.v[r.n - 1].error);
	mysql_parser.destroy(c);
}

/* The server's reads: a header, then its payload; and an auth switch. */
static void test_pieces_and_auth_switch(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = mysql_parser.create();
	uint8_t hs[40] = { 0x0f, 0xa2, 0x0f, 0x00, 0, 0, 0, 1, 33 };

	(void)state;
	packet(&p, 1, hs, sizeof(hs));
	assert_int_equal(mysql_parser.feed(c, WIRE_REQUEST, p.b, 4, 1, record, &r), 0);
	assert_int_equal(mysql_parser.feed(c, WIRE_REQUEST, p.b + 4, p.n - 4, 1, record, &r), 0);
	p.n = 0;
	PACKET(&p, 2,
	       "\xfe"
	       "mysql_native_password\x00"
	       "12345678901234567890\x00");
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 2, &r), 0);
	PACKET(&p, 3, "12345678901234567890");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 3, &r), 0);
	ok_packet(&p, 4, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 4, &r), 0);
	command(&p, 0x0e, "");
	for (size_t i = 0; i < p.n; i++)
		assert_int_equal(mysql_parser.feed(c, WIRE_REQUEST, p.b + i, 1, 5, record, &r), 0);
	p.n = 0;
	ok_packet(&p, 1, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 6, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "PING");
	assert_int_equal(r.v[0].start_ns, 5);
	mysql_parser.destroy(c);
}

/* A connection older than sonde: its first bytes a command, whether EOF is
 * deprecated told by the packet after the definitions. */
static void test_joined(void **state)
{
	static const uint32_t modes[] = { CAPS_41, CAPS_41 | CLIENT_DEPRECATE_EOF };
	(void)state;

	for (size_t m = 0; m < 2; m++) {
		struct recs r = { .n = 0 };
		struct pkts p = { .n = 0 };
		void *c = mysql_joined_parser.create();

		for (int i = 0; i < 2; i++) {
			command(&p, 0x03, "SELECT a FROM t");
			assert_int_equal(mysql_joined_parser.feed(c, WIRE_REQUEST, p.b, p.n, 1, record, &r), 0);
			p.n = 0;
			result_set(&p, modes[m], i, 0x0002);
			assert_int_equal(mysql_joined_parser.feed(c, WIRE_RESPONSE, p.b, p.n, 2, record, &r), 0);
			p.n = 0;
		}
		assert_int_equal(r.n, 2);
		assert_string_equal(r.v[1].method, "SELECT");
		mysql_joined_parser.destroy(c);
	}
}

/* Rows read more than 8 KiB at a time: the lost bytes end where the
 * client's next command starts, the call at the server's last bytes. */
static void test_big_result(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = open_session(CAPS_41, &r);

	(void)state;
	command(&p, 0x03, "SELECT a FROM big");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 10, &r), 0);
	result_set(&p, CAPS_41, 3000, 0x0002);
	assert_int_equal(mysql_parser.feed(c, WIRE_RESPONSE, p.b, 8192, 20, record, &r), 0);
	assert_int_equal(mysql_parser.gap(c, WIRE_RESPONSE, 4000, 20, record, &r), 0);
	assert_int_equal(mysql_parser.gap(c, WIRE_RESPONSE, p.n - 12192, 30, record, &r), 0);
	p.n = 0;
	assert_int_equal(r.n, 0);
	command(&p, 0x03, "SELECT 1");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 40, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].end_ns, 30);
	ok_packet(&p, 1, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 50, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[1].start_ns, 40);
	mysql_parser.destroy(c);
}

/* LOAD DATA LOCAL INFILE: the server asks for the file, the client sends
 * it and an empty packet, the server's OK ends the call. */
static void test_local_infile(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	void *c = open_session(CAPS_41, &r);

	(void)state;
	command(&p, 0x03, "LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, &r), 0);
	PACKET(&p, 1, "\xfb/tmp/x");
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 2, &r), 0);
	PACKET(&p, 2, "1\n2\n");
	packet(&p, 3, "", 0);
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 3, &r), 0);
	ok_packet(&p, 4, 0x00, 0x0002);
	assert_int_equal(send_pkts(c, WIRE_RESPONSE, &p, 4, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "LOAD");
	assert_int_equal(r.v[0].end_ns, 4);
	mysql_parser.destroy(c);
}

/* Not MySQL, or a protocol variant not read here. */
static void test_refused(void **state)
{
	struct recs r = { .n = 0 };
	struct pkts p = { .n = 0 };
	uint8_t hs[40] = { 0x2f, 0xa2, 0x0f, 0x00 }; /* CLIENT_COMPRESS */
	void *c = mysql_parser.create();

	(void)state;
	packet(&p, 1, hs, sizeof(hs));
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, &r), -EPROTONOSUPPORT);
	mysql_parser.destroy(c);
	c = mysql_parser.create();
	PACKET(&p, 0, "GET / HTTP/1.1\r\n\r\n");
	assert_int_equal(send_pkts(c, WIRE_REQUEST, &p, 1, &r), -EBADMSG);
	mysql_parser.destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_result_sets),
		cmocka_unit_test(test_multi_results),
		cmocka_unit_test(test_prepared_statements),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pieces_and_auth_switch),
		cmocka_unit_test(test_joined),
		cmocka_unit_test(test_big_result),
		cmocka_unit_test(test_local_infile),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
