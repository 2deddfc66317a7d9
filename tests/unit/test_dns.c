// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BROKER_RECS_PROTOCOL "dns"
#include "broker_recs.h"

/* A message: the header, one question for name (dotted), an EDNS record;
 * an answer of type A for responses with rcode 0. */
static size_t message(uint8_t *m, uint16_t id, bool response, uint8_t rcode, const char *name, uint16_t qtype)
{
	size_t n = 12;
	const char *p = name;

	memset(m, 0, 12);
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
	m[2] = response ? 0x81 : 0x01;
	m[3] = (uint8_t)(response ? 0x80 | rcode : 0x20);
	m[5] = 1;
	m[7] = response && !rcode;
	m[11] = 1;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[n++] = (uint8_t)l;
		memcpy(m + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	m[n++] = 0;
	m[n++] = (uint8_t)(qtype >> 8);
	m[n++] = (uint8_t)qtype;
	m[n++] = 0;
	m[n++] = 1;
	if (response && !rcode) {
		static const uint8_t a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3 };

		memcpy(m + n, a, sizeof(a));
		n += sizeof(a);
	}
	static const uint8_t opt[] = { 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0 };

	memcpy(m + n, opt, sizeof(opt));
	return n + sizeof(opt);
}

static int datagram(void *c, enum wire_dir dir, uint16_t id, uint8_t rcode, const char *name, uint16_t qtype,
		    uint64_t ts, struct recs *r)
{
	uint8_t m[512];
	size_t n = message(m, id, dir == WIRE_RESPONSE, rcode, name, qtype);

	return dns_parser.feed(c, dir, m, n, ts, record, r);
}

static void test_udp_pairs_by_id_and_question(void **state)
{
	void *c = dns_parser.create();
	struct recs r = { 0 };

	(void)state;
	/* Two clients of one server socket picked the same id. */
	assert_int_equal(datagram(c, WIRE_REQUEST, 7, 0, "a.svc.test", 1, 10, &r), 0);
	assert_int_equal(datagram(c, WIRE_REQUEST, 7, 0, "B.Svc.Test", 28, 11, &r), 0);
	assert_int_equal(datagram(c, WIRE_REQUEST, 9, 0, "nx.test", 1, 12, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 7, 3, "b.svc.test", 28, 20, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 9, 3, "nx.test", 1, 21, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 7, 0, "a.svc.test", 1, 22, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[0].method, "AAAA");
	assert_string_equal(r.v[0].outcome, "NXDOMAIN");
	assert_string_equal(r.v[0].name, "b.svc.test");
	assert_int_equal(r.v[0].start_ns, 11);
	assert_int_equal(r.v[0].end_ns, 20);
	assert_false(r.v[0].error);
	assert_string_equal(r.v[1].name, "nx.test");
	assert_string_equal(r.v[2].method, "A");
	assert_string_equal(r.v[2].outcome, "NOERROR");
	assert_int_equal(r.v[2].start_ns, 10);
	/* Events of two CPUs a little out of order keep their queries. */
	assert_int_equal(datagram(c, WIRE_REQUEST, 20, 0, "late.test", 1, 100, &r), 0);
	assert_int_equal(datagram(c, WIRE_REQUEST, 21, 0, "early.test", 1, 99, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 20, 0, "late.test", 1, 101, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 21, 0, "early.test", 1, 102, &r), 0);
	assert_int_equal(r.n, 5);
	r.n = 3;
	/* An answer to no query seen is counted, not a call. */
	assert_int_equal(datagram(c, WIRE_RESPONSE, 7, 0, "a.svc.test", 1, 30, &r), WIRE_RESYNCED);
	assert_int_equal(r.n, 3);
	dns_parser.destroy(c);
}

static void test_rcodes(void **state)
{
	static const struct {
		uint8_t rcode;
		const char *name;
		bool error, fault;
	} cases[] = {
		{ 0, "NOERROR", false, false },	 { 1, "FORMERR", true, false }, { 2, "SERVFAIL", true, true },
		{ 3, "NXDOMAIN", false, false }, { 5, "REFUSED", true, false }, { 15, "_OTHER", true, false },
	};
	void *c = dns_parser.create();
	struct recs r = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(datagram(c, WIRE_REQUEST, (uint16_t)i, 0, "x.test", 33, 1, &r), 0);
		assert_int_equal(datagram(c, WIRE_RESPONSE, (uint16_t)i, cases[i].rcode, "x.test", 33, 2, &r), 0);
		assert_int_equal(r.n, i + 1);
		assert_string_equal(r.v[i].method, "SRV");
		assert_string_equal(r.v[i].outcome, cases[i].name);
		assert_int_equal(r.v[i].error, cases[i].error);
		assert_int_equal(r.v[i].fault, cases[i].fault);
	}
	dns_parser.destroy(c);
}

static void test_udp_malformed_and_lost(void **state)
{
	static const uint8_t short_msg[] = { 1, 2, 3 };
	uint8_t m[512];
	void *c = dns_parser.create();
	struct recs r = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(dns_parser.feed(c, WIRE_REQUEST, short_msg, sizeof(short_msg), 1, record, &r), WIRE_RESYNCED);
	/* A label past the message's end; a compressed question name. */
	n = message(m, 1, false, 0, "abc.test", 1);
	m[12] = 60;
	assert_int_equal(dns_parser.feed(c, WIRE_REQUEST, m, n, 2, record, &r), WIRE_RESYNCED);
	m[12] = 0xc0;
	assert_int_equal(dns_parser.feed(c, WIRE_REQUEST, m, n, 3, record, &r), WIRE_RESYNCED);
	/* A query in the answers' direction is none of this socket's calls. */
	n = message(m, 1, false, 0, "abc.test", 1);
	assert_int_equal(dns_parser.feed(c, WIRE_RESPONSE, m, n, 4, record, &r), WIRE_RESYNCED);
	/* A datagram's tail not captured is no loss; one lost whole is. */
	assert_int_equal(dns_parser.feed(c, WIRE_REQUEST, m, n, 5, record, &r), 0);
	assert_int_equal(dns_parser.gap(c, WIRE_REQUEST, 9000, 5, record, &r), 0);
	assert_int_equal(dns_parser.gap(c, WIRE_RESPONSE, 100, 6, record, &r), WIRE_RESYNCED);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 1, 0, "abc.test", 1, 7, &r), 0);
	assert_int_equal(r.n, 1);
	dns_parser.destroy(c);
}

static void test_tcp_framing(void **state)
{
	uint8_t b[2048], m[512];
	void *c = dns_tcp_parser.create();
	struct recs r = { 0 };
	size_t n = 0, len;

	(void)state;
	/* Two queries in one write, then the answers a byte at a time. */
	for (uint16_t id = 1; id <= 2; id++) {
		len = message(m, id, false, 0, id == 1 ? "one.test" : "two.test", 1);
		b[n++] = (uint8_t)(len >> 8);
		b[n++] = (uint8_t)len;
		memcpy(b + n, m, len);
		n += len;
	}
	assert_int_equal(dns_tcp_parser.feed(c, WIRE_REQUEST, b, n, 1, record, &r), 0);
	n = 0;
	for (uint16_t id = 2; id >= 1; id--) {
		len = message(m, id, true, 0, id == 1 ? "one.test" : "two.test", 1);
		b[n++] = (uint8_t)(len >> 8);
		b[n++] = (uint8_t)len;
		memcpy(b + n, m, len);
		n += len;
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dns_tcp_parser.feed(c, WIRE_RESPONSE, b + i, 1, 2 + i, record, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].name, "two.test");
	assert_string_equal(r.v[1].name, "one.test");
	/* A zone transfer's big answer: its bytes past the kept head lost. */
	len = message(m, 3, false, 0, "zone.test", 252);
	b[0] = 0;
	b[1] = (uint8_t)len;
	memcpy(b + 2, m, len);
	assert_int_equal(dns_tcp_parser.feed(c, WIRE_REQUEST, b, len + 2, 100, record, &r), 0);
	len = message(m, 3, true, 0, "zone.test", 252);
	b[0] = 0x40;
	b[1] = 0;
	memcpy(b + 2, m, len);
	memset(b + 2 + len, 0, 600 - len);
	assert_int_equal(dns_tcp_parser.feed(c, WIRE_RESPONSE, b, 602, 101, record, &r), 0);
	assert_int_equal(dns_tcp_parser.gap(c, WIRE_RESPONSE, 0x4000 - 600, 102, record, &r), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.v[2].method, "AXFR");
	assert_int_equal(r.v[2].end_ns, 102);
	/* Bytes lost inside a length cannot be framed again. */
	b[0] = 0;
	assert_int_equal(dns_tcp_parser.feed(c, WIRE_REQUEST, b, 1, 200, record, &r), 0);
	assert_int_equal(dns_tcp_parser.gap(c, WIRE_REQUEST, 5, 201, record, &r), -EBADMSG);
	dns_tcp_parser.destroy(c);
}

static void test_names_and_types(void **state)
{
	uint8_t m[512];
	void *c = dns_parser.create();
	struct recs r = { 0 };
	size_t n;

	(void)state;
	/* The root, an odd byte, an unknown type, a NOTIFY. */
	assert_int_equal(datagram(c, WIRE_REQUEST, 1, 0, "", 2, 1, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 1, 0, "", 2, 2, &r), 0);
	assert_string_equal(r.v[0].name, ".");
	assert_string_equal(r.v[0].method, "NS");
	assert_int_equal(datagram(c, WIRE_REQUEST, 2, 0, "a b.test", 4242, 3, &r), 0);
	assert_int_equal(datagram(c, WIRE_RESPONSE, 2, 0, "a b.test", 4242, 4, &r), 0);
	assert_string_equal(r.v[1].name, "a?b.test");
	assert_string_equal(r.v[1].method, "_OTHER");
	n = message(m, 3, false, 0, "zone.test", 6);
	m[2] |= 4 << 3;
	assert_int_equal(dns_parser.feed(c, WIRE_REQUEST, m, n, 5, record, &r), 0);
	n = message(m, 3, true, 0, "zone.test", 6);
	m[2] |= 4 << 3;
	assert_int_equal(dns_parser.feed(c, WIRE_RESPONSE, m, n, 6, record, &r), 0);
	assert_string_equal(r.v[2].method, "NOTIFY");
	/* An answer that repeats no question pairs by id alone (FORMERR). */
	assert_int_equal(datagram(c, WIRE_REQUEST, 4, 0, "q.test", 1, 7, &r), 0);
	n = message(m, 4, true, 1, "q.test", 1);
	m[5] = 0;
	assert_int_equal(dns_parser.feed(c, WIRE_RESPONSE, m, 12, 8, record, &r), 0);
	assert_string_equal(r.v[3].outcome, "FORMERR");
	assert_string_equal(r.v[3].method, "_OTHER");
	assert_string_equal(r.v[3].name, "");
	dns_parser.destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_pairs_by_id_and_question),
		cmocka_unit_test(test_rcodes),
		cmocka_unit_test(test_udp_malformed_and_lost),
		cmocka_unit_test(test_tcp_framing),
		cmocka_unit_test(test_names_and_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
