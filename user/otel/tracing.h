/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Spans from observed exchanges and function calls. A SERVER span joins
 * the caller's trace when the request carries traceparent. A CLIENT span,
 * or the INTERNAL span of a function's call, made on a thread while it
 * served a request becomes that SERVER span's child: it ends first, so it
 * waits (up to a hold time) for the server exchange that covers it on the
 * same thread. */
#ifndef SONDE_TRACING_H
#define SONDE_TRACING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otel/otel_config.h"
#include "otel/span.h"
#include "otel/ids.h"
#include "otel/sampler.h"

struct exchange;
struct function_call;

typedef void (*span_sink)(void *arg, const struct span *spans, size_t n);

struct pending_client {
	struct span span;
	uint32_t tgid, tid;
	uint64_t start_ns, end_ns;
	int error_or_slow;
	/* sonde wrote this trace into the request (its span id is the
	 * span's): the trace its server span is in, when no caller named one. */
	bool injected;
	uint8_t injected_trace[16];
};

#define TRACING_HOLD_NS 2000000000ull
#define TRACING_MAX_PENDING 4096

/* The span the last exchange made, when kept: the exemplar of its
 * duration. Client spans are given their trace later, when a server
 * span adopts them, so only server spans are. */
struct tracing_kept {
	bool kept;
	uint8_t trace_id[16];
	uint8_t span_id[8];
};

struct tracing {
	struct otel_config cfg;
	struct tracing_kept last;
	struct ids ids;
	int64_t unix_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	span_sink sink;
	void *sink_arg;
	struct span *ready;
	size_t nready, ready_cap;
	struct pending_client *pending;
	size_t npending;
};

int tracing_init(struct tracing *t, const struct otel_config *cfg, span_sink sink, void *arg);
void tracing_free(struct tracing *t);
void tracing_exchange(struct tracing *t, const struct exchange *x);
void tracing_function(struct tracing *t, const struct function_call *c);
/* Hands the spans made since the last call to the sink, and releases as
 * roots the client spans no server span claimed within the hold time. */
void tracing_flush(struct tracing *t, uint64_t now_ns);

#endif
