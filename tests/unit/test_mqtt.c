// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MQTT 3.1.1 and 5: CONNECT and CONNACK, PUBLISH at each QoS and its
 * answer by packet id, deliveries, SUBSCRIBE, PINGREQ, packets cut
 * anywhere, payloads lost to gaps, refusals and bytes that are no MQTT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define BROKER_RECS_PROTOCOL "mqtt"
#include "broker_recs.h"

static int feed(void *c, enum wire_dir dir, const void *p, size_t n, uint64_t ts, struct recs *r)
{
	return mqtt_parser.feed(c, dir, p, n, ts, record, r);
}

#define FEED(c, dir, bytes, ts, r) feed(c, dir, bytes, sizeof(bytes) - 1, ts, r)

/* CONNECT of version 4 (3.1.1) or 5, client id "c". */
static const char connect4[] = "\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01"
			       "c";
static const char connect5[] = "\x10\x0e\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x01"
			       "c";

static void test_v311(void **state)
{
	struct recs r = { 0 };
	void *c = mqtt_parser.create();

	(void)state;
	assert_int_equal(FEED(c, WIRE_REQUEST, connect4, 100, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x20\x02\x00\x00", 200, &r), 0);
	/* QoS 0: a call at once; QoS 1 pairs with its PUBACK by id, cut in two. */
	assert_int_equal(FEED(c, WIRE_REQUEST,
			      "\x30\x07\x00\x03"
			      "a/1hi",
			      300, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_REQUEST,
			      "\x32\x09\x00\x03"
			      "a/2\x00",
			      400, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x07yo", 410, &r), 0);
	assert_int_equal(r.n, 2);
	/* QoS 2: PUBREC answers; PUBREL and PUBCOMP are nothing. */
	assert_int_equal(FEED(c, WIRE_REQUEST,
			      "\x34\x07\x00\x03"
			      "a/3\x00\x08",
			      450, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE,
			      "\x40\x02\x00\x07"
			      "\x50\x02\x00\x08",
			      500, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x62\x02\x00\x08", 510, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x70\x02\x00\x08", 520, &r), 0);
	/* A delivery, its ack from the client, a subscription refused, a ping. */
	assert_int_equal(FEED(c, WIRE_RESPONSE,
			      "\x32\x08\x00\x03"
			      "b/9\x00\x01z",
			      600, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x40\x02\x00\x01", 610, &r), 0);
	assert_int_equal(FEED(c, WIRE_REQUEST,
			      "\x82\x08\x00\x05\x00\x03"
			      "s/+\x01",
			      700, &r),
			 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x90\x03\x00\x05\x80", 800, &r), 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\xc0\x00", 900, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\xd0\x00", 950, &r), 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\xe0\x00", 990, &r), 0);
	assert_int_equal(r.n, 8);
	assert_string_equal(r.v[0].method, "CONNECT");
	assert_int_equal(r.v[0].start_ns, 100);
	assert_int_equal(r.v[0].end_ns, 200);
	assert_false(r.v[0].error);
	assert_string_equal(r.v[1].method, "PUBLISH");
	assert_string_equal(r.v[1].name, "a/1");
	assert_string_equal(r.v[1].outcome, "qos0");
	assert_true(r.v[1].unpaired);
	assert_string_equal(r.v[2].name, "a/2");
	assert_string_equal(r.v[2].outcome, "qos1");
	assert_false(r.v[2].unpaired);
	assert_int_equal(r.v[2].start_ns, 400);
	assert_int_equal(r.v[2].end_ns, 500);
	assert_string_equal(r.v[3].name, "a/3");
	assert_string_equal(r.v[3].outcome, "qos2");
	assert_string_equal(r.v[4].method, "DELIVER");
	assert_string_equal(r.v[4].name, "b/9");
	assert_true(r.v[4].unpaired);
	assert_string_equal(r.v[5].method, "SUBSCRIBE");
	assert_string_equal(r.v[5].name, "s/+");
	assert_true(r.v[5].error);
	assert_false(r.v[5].fault);
	assert_string_equal(r.v[6].method, "PINGREQ");
	assert_int_equal(r.v[6].end_ns, 950);
	assert_string_equal(r.v[7].method, "DISCONNECT");
	mqtt_parser.destroy(c);
}

static void test_v5(void **state)
{
	struct recs r = { 0 };
	void *c = mqtt_parser.create();

	(void)state;
	assert_int_equal(FEED(c, WIRE_REQUEST, connect5, 100, &r), 0);
	/* Refused: server unavailable (0x88), the server's fault. */
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x20\x03\x00\x88\x00", 200, &r), 0);
	/* Version 5's PUBLISH has properties after the id; PUBACK's reason
	 * 0x97 (quota exceeded) is an error, a bare PUBACK success. */
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x32\x08\x00\x01q\x00\x02\x00pp", 300, &r), 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x32\x08\x00\x01q\x00\x03\x00pp", 310, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE,
			      "\x40\x04\x00\x02\x97\x00"
			      "\x40\x02\x00\x03",
			      400, &r),
			 0);
	/* SUBSCRIBE with properties; SUBACK's codes after its own. */
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x82\x07\x00\x09\x00\x00\x01t\x00", 500, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x90\x04\x00\x09\x00\x00", 600, &r), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.v[0].method, "CONNECT");
	assert_true(r.v[0].error && r.v[0].fault);
	assert_true(r.v[1].error && r.v[1].fault);
	assert_string_equal(r.v[1].outcome, "");
	assert_false(r.v[2].error);
	assert_string_equal(r.v[2].outcome, "qos1");
	assert_string_equal(r.v[3].method, "SUBSCRIBE");
	assert_string_equal(r.v[3].name, "t");
	assert_false(r.v[3].error);
	mqtt_parser.destroy(c);
}

/* Byte by byte, and a payload the kernel did not capture. */
static void test_pieces_and_gaps(void **state)
{
	static const char pub[] = "\x32\x89\x01\x00\x03"
				  "big\x00\x05"
				  "0123456789";
	struct recs r = { 0 };
	void *c = mqtt_parser.create();

	(void)state;
	for (size_t i = 0; i < sizeof(connect4) - 1; i++)
		assert_int_equal(feed(c, WIRE_REQUEST, connect4 + i, 1, 100 + i, &r), 0);
	/* 137 bytes after the fixed header: 7 of header, 10 seen, 120 lost. */
	assert_int_equal(FEED(c, WIRE_REQUEST, pub, 200, &r), 0);
	assert_int_equal(mqtt_parser.gap(c, WIRE_REQUEST, 120, 210, record, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x40\x02\x00\x05", 300, &r), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.v[0].name, "big");
	assert_int_equal(r.v[0].start_ns, 200);
	/* A gap in a fixed header loses the framing. */
	assert_int_equal(feed(c, WIRE_REQUEST, "\x32", 1, 400, &r), 0);
	assert_int_equal(mqtt_parser.gap(c, WIRE_REQUEST, 3, 410, record, &r), -EBADMSG);
	mqtt_parser.destroy(c);
}

/* A broker reads its client's first fixed header a byte at a time, before
 * the kernel knows the protocol: the parser's first bytes are the rest. */
static void test_connect_body_first(void **state)
{
	struct recs r = { 0 };
	void *c = mqtt_parser.create();

	(void)state;
	assert_int_equal(feed(c, WIRE_REQUEST, connect5 + 2, sizeof(connect5) - 3, 100, &r), 0);
	assert_int_equal(FEED(c, WIRE_RESPONSE, "\x20\x03\x00\x00\x00", 200, &r), 0);
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x30\x06\x00\x01q\x00hi", 300, &r), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.v[0].method, "CONNECT");
	assert_int_equal(r.v[0].start_ns, 100);
	assert_false(r.v[0].error);
	/* What follows is framed as usual. */
	assert_string_equal(r.v[1].name, "q");
	mqtt_parser.destroy(c);
}

static void test_not_mqtt(void **state)
{
	struct recs r = { 0 };
	void *c = mqtt_parser.create();

	(void)state;
	/* A CONNACK from the client, a reserved type, bad fixed flags, a
	 * length of five bytes, an unknown protocol name, QoS 3. */
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x20\x02\x00\x00", 1, &r), -EBADMSG);
	mqtt_parser.destroy(c);
	c = mqtt_parser.create();
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x00\x00", 1, &r), -EBADMSG);
	mqtt_parser.destroy(c);
	c = mqtt_parser.create();
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x81\x00", 1, &r), -EBADMSG);
	mqtt_parser.destroy(c);
	c = mqtt_parser.create();
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x30\xff\xff\xff\xff\x01", 1, &r), -EBADMSG);
	mqtt_parser.destroy(c);
	c = mqtt_parser.create();
	assert_int_equal(FEED(c, WIRE_REQUEST,
			      "\x10\x0d\x00\x04MQTX\x04\x02\x00\x3c\x00\x01"
			      "c",
			      1, &r),
			 -EBADMSG);
	mqtt_parser.destroy(c);
	c = mqtt_parser.create();
	assert_int_equal(FEED(c, WIRE_REQUEST, "\x36\x05\x00\x01q\x00\x01", 1, &r), -EBADMSG);
	mqtt_parser.destroy(c);
	assert_int_equal(r.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v311),
		cmocka_unit_test(test_v5),
		cmocka_unit_test(test_pieces_and_gaps),
		cmocka_unit_test(test_connect_body_first),
		cmocka_unit_test(test_not_mqtt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
