// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* AMQP 0-9-1: the protocol header, synchronous methods paired with their
 * -ok per channel, basic.get answered get-ok or get-empty, publishes,
 * deliveries and acks unpaired, content frames counted down or lost, a
 * channel closed by the server failing the method in flight, and bytes
 * that are no AMQP. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BROKER_RECS_PROTOCOL "amqp"
#include "broker_recs.h"

/* A frame: type, channel, payload, the end byte. */
static size_t frame(uint8_t *out, uint8_t type, uint16_t channel, const void *payload, size_t n)
{
	out[0] = type;
	out[1] = (uint8_t)(channel >> 8);
	out[2] = (uint8_t)channel;
	out[3] = (uint8_t)(n >> 24);
	out[4] = (uint8_t)(n >> 16);
	out[5] = (uint8_t)(n >> 8);
	out[6] = (uint8_t)n;
	memcpy(out + 7, payload, n);
	out[7 + n] = 0xce;
	return n + 8;
}

/* A method frame: class and method ids, then args of n bytes. */
static size_t method(uint8_t *out, uint16_t channel, uint16_t class_id, uint16_t method_id, const char *args, size_t n)
{
	uint8_t payload[512] = { (uint8_t)(class_id >> 8), (uint8_t)class_id, (uint8_t)(method_id >> 8),
				 (uint8_t)method_id };

	memcpy(payload + 4, args, n);
	return frame(out, 1, channel, payload, n + 4);
}

#define METHOD(out, ch, c, m, args) method(out, ch, c, m, args, sizeof(args) - 1)

static int feed(void *c, enum wire_dir dir, const uint8_t *p, size_t n, uint64_t ts, struct recs *r)
{
	return amqp_parser.feed(c, dir, p, n, ts, record, r);
}

static void test_session(void **state)
{
	struct recs r = { 0 };
	void *c = amqp_parser.create();
	uint8_t b[4096];
	size_t n;

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, (const uint8_t *)"AMQP\0\0\x09\x01", 8, 100, &r), 0);
	/* connection.open and open-ok; queue.declare "orders" on channel 1. */
	n = METHOD(b, 0, 10, 40, "\x01/\x00\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 110, &r), 0);
	n = METHOD(b, 0, 10, 41, "\x00");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 120, &r), 0);
	n = METHOD(b, 1, 50, 10, "\x00\x00\x06orders\x00\x00\x00\x00\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 200, &r), 0);
	n = METHOD(b, 1, 50, 11, "\x06orders\x00\x00\x00\x00\x00\x00\x00\x00");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 210, &r), 0);
	/* basic.publish to the default exchange, then its content header and
	 * body, the body cut in two reads. */
	n = METHOD(b, 1, 60, 40, "\x00\x00\x00\x06orders\x00");
	n += frame(b + n, 2, 1, "\x00\x3c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00", 14);
	n += frame(b + n, 3, 1, "hello", 5);
	assert_int_equal(feed(c, WIRE_REQUEST, b, n - 4, 300, &r), 0);
	assert_int_equal(feed(c, WIRE_REQUEST, b + n - 4, 4, 310, &r), 0);
	/* basic.get: get-ok, then get-empty. */
	n = METHOD(b, 1, 60, 70, "\x00\x00\x06orders\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 400, &r), 0);
	n = METHOD(b, 1, 60, 71, "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x06orders\x00\x00\x00\x00");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 410, &r), 0);
	n = METHOD(b, 1, 60, 70, "\x00\x00\x06orders\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 500, &r), 0);
	n = METHOD(b, 1, 60, 72, "\x00");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 510, &r), 0);
	/* A delivery to a consumer, and its ack. */
	n = METHOD(b, 1, 60, 60,
		   "\x03"
		   "ctg\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x06orders");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 600, &r), 0);
	n = METHOD(b, 1, 60, 80, "\x00\x00\x00\x00\x00\x00\x00\x02\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 610, &r), 0);
	assert_int_equal(r.n, 7);
	assert_string_equal(r.v[0].method, "connection.open");
	assert_int_equal(r.v[0].start_ns, 110);
	assert_int_equal(r.v[0].end_ns, 120);
	assert_string_equal(r.v[1].method, "queue.declare");
	assert_string_equal(r.v[1].name, "orders");
	assert_false(r.v[1].unpaired);
	assert_string_equal(r.v[2].method, "basic.publish");
	assert_string_equal(r.v[2].name, "orders");
	assert_true(r.v[2].unpaired);
	assert_string_equal(r.v[3].method, "basic.get");
	assert_string_equal(r.v[3].outcome, "");
	assert_int_equal(r.v[3].end_ns, 410);
	assert_string_equal(r.v[4].outcome, "empty");
	assert_string_equal(r.v[5].method, "basic.deliver");
	assert_string_equal(r.v[5].name, "orders");
	assert_true(r.v[5].unpaired);
	assert_string_equal(r.v[6].method, "basic.ack");
	amqp_parser.destroy(c);
}

/* A body frame larger than what was captured, and the server closing a
 * channel instead of answering. */
static void test_gaps_and_closes(void **state)
{
	static uint8_t big[100000], content[70000];
	struct recs r = { 0 };
	void *c = amqp_parser.create();
	uint8_t b[600];
	size_t n;

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, (const uint8_t *)"AMQP\0\0\x09\x01", 8, 100, &r), 0);
	n = frame(big, 3, 1, content, sizeof(content));
	assert_int_equal(feed(c, WIRE_REQUEST, big, 8192, 200, &r), 0);
	assert_int_equal(amqp_parser.gap(c, WIRE_REQUEST, n - 8192, 210, record, &r), 0);
	n = METHOD(b, 2, 50, 10, "\x00\x00\x07missing\x01\x00\x00\x00\x00");
	assert_int_equal(feed(c, WIRE_REQUEST, b, n, 300, &r), 0);
	n = METHOD(b, 2, 20, 40, "\x01\x94\x09NOT_FOUND\x00\x32\x00\x0a");
	assert_int_equal(feed(c, WIRE_RESPONSE, b, n, 310, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].method, "queue.declare");
	assert_string_equal(r.v[0].name, "missing");
	assert_true(r.v[0].error);
	assert_false(r.v[0].fault);
	/* A gap in a frame's header loses the framing. */
	assert_int_equal(feed(c, WIRE_REQUEST, b, 3, 400, &r), 0);
	assert_int_equal(amqp_parser.gap(c, WIRE_REQUEST, 10, 410, record, &r), -EBADMSG);
	amqp_parser.destroy(c);
}

static void test_not_amqp(void **state)
{
	struct recs r = { 0 };
	void *c = amqp_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, (const uint8_t *)"AMQP\0\0\x09\x00", 8, 1, &r), -EBADMSG);
	amqp_parser.destroy(c);
	/* A frame without its end byte, one of an unknown type, one too big. */
	c = amqp_parser.create();
	assert_int_equal(feed(c, WIRE_RESPONSE, (const uint8_t *)"\x01\x00\x00\x00\x00\x00\x04\x00\x0a\x00\x0a\x00", 12,
			      1, &r),
			 -EBADMSG);
	amqp_parser.destroy(c);
	c = amqp_parser.create();
	assert_int_equal(feed(c, WIRE_RESPONSE, (const uint8_t *)"\x07\x00\x00\x00\x00\x00\x00\xce", 8, 1, &r),
			 -EBADMSG);
	amqp_parser.destroy(c);
	c = amqp_parser.create();
	assert_int_equal(feed(c, WIRE_RESPONSE, (const uint8_t *)"\x01\x00\x00\x7f\x00\x00\x00", 7, 1, &r), -EBADMSG);
	amqp_parser.destroy(c);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_gaps_and_closes),
		cmocka_unit_test(test_not_amqp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
