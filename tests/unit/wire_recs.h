/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The calls a Redis or PostgreSQL parser reports, recorded for asserts.
 * Define WIRE_RECS_PROTOCOL, the protocol every call must name, before
 * including; these protocols have no target, authority, traceparent or
 * status. Include after cmocka.h. */
#ifndef SONDE_TEST_WIRE_RECS_H
#define SONDE_TEST_WIRE_RECS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/wire.h"

struct rec {
	char method[40];
	char outcome[8]; /* "" when the parser gave none */
	bool error, fault;
	uint64_t start_ns, end_ns;
};

struct recs {
	struct rec v[2048];
	size_t n;
};

static void record(void *arg, const struct wire_call *call)
{
	struct recs *r = arg;
	struct rec *e = &r->v[r->n++];

	assert_true(r->n <= sizeof(r->v) / sizeof(r->v[0]));
	assert_string_equal(call->protocol, WIRE_RECS_PROTOCOL);
	assert_string_equal(call->target, "");
	assert_string_equal(call->authority, "");
	assert_string_equal(call->traceparent, "");
	assert_int_equal(call->status, 0);
	snprintf(e->method, sizeof(e->method), "%s", call->method);
	snprintf(e->outcome, sizeof(e->outcome), "%s", call->outcome ? call->outcome : "");
	e->error = call->error;
	e->fault = call->server_fault;
	e->start_ns = call->start_ns;
	e->end_ns = call->end_ns;
}

#endif
