/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The calls a parser that names a target reports (a message broker's,
 * MQTT, NATS, AMQP: its topic, subject or queue; DNS: the name asked),
 * recorded for asserts; a broker's may be unpaired. Define
 * BROKER_RECS_PROTOCOL, the protocol every call must name, before
 * including; include after cmocka.h. */
#ifndef SONDE_TEST_BROKER_RECS_H
#define SONDE_TEST_BROKER_RECS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto/wire.h"

struct rec {
	char method[24], name[256], outcome[16];
	bool error, fault, unpaired;
	uint64_t start_ns, end_ns;
};

struct recs {
	struct rec v[64];
	size_t n;
};

static void record(void *arg, const struct wire_call *call)
{
	struct recs *r = arg;
	struct rec *e = &r->v[r->n++];

	assert_true(r->n <= sizeof(r->v) / sizeof(r->v[0]));
	assert_string_equal(call->protocol, BROKER_RECS_PROTOCOL);
	assert_true(strlen(call->target) <= 256);
	snprintf(e->method, sizeof(e->method), "%s", call->method);
	snprintf(e->name, sizeof(e->name), "%s", call->target);
	snprintf(e->outcome, sizeof(e->outcome), "%s", call->outcome ? call->outcome : "");
	e->error = call->error;
	e->fault = call->server_fault;
	e->unpaired = call->unpaired;
	e->start_ns = call->start_ns;
	e->end_ns = call->end_ns;
}

#endif
