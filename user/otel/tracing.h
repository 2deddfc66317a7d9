/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Spans from observed exchanges. A SERVER span joins the caller's trace
 * when the request carries traceparent. A CLIENT span made on a thread
 * while it served a request becomes that SERVER span's child: the client
 * exchange ends first, so it waits (up to a hold time) for the server
 * exchange that covers it on the same thread. */
#ifndef SONDE_TRACING_H
#define SONDE_TRACING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "otel/otel_config.h"
#include "otel/span.h"
#include "sonde.h"
#include "otel/tracecontext.h"

/* One exchange as the collector parsed it. */
struct exchange {
	uint8_t role;            /* SONDE_ROLE_SERVER or SONDE_ROLE_CLIENT */
	const char *service;
	const struct identity *id; /* or NULL */
	uint32_t tgid;
	uint32_t tid;
	const char *method;
	const char *route;       /* server exchanges */
	const char *target;      /* the request-target as sent */
	const char *host;        /* the Host header, or "" */
	int status;              /* 0 when the response did not parse */
	uint64_t start_ns;       /* CLOCK_MONOTONIC */
	uint64_t end_ns;
	const char *traceparent; /* or "" */
	const struct sonde_peer *peer;
	const char *error_type;  /* a connect that failed: refused, timeout, ...; else NULL */
	/* Calls parsed from the wire (HTTP/1 leaves these zero): "http" for
	 * HTTP/2, "grpc", "redis", "postgresql". gRPC's status is grpc-status
	 * (-1: none); Redis and PostgreSQL have none, an error reply sets
	 * call_error and server_fault says whether it counts against the
	 * server. */
	const char *protocol;
	bool call_error;
	bool server_fault;
};

/* A call whose status is not an HTTP status. */
static inline bool exchange_is_rpc(const struct exchange *x)
{
	return x->protocol && strcmp(x->protocol, "http");
}

/* Whether the exchange counts against the server, as errors_total does:
 * the parser of a wire call said so (an HTTP/2 stream reset before its
 * response is no 5xx). */
static inline bool exchange_server_error(const struct exchange *x)
{
	return x->protocol ? x->server_fault : !x->status || x->status >= 500;
}

/* Whether the caller saw the exchange fail. */
static inline bool exchange_client_error(const struct exchange *x)
{
	return exchange_is_rpc(x) ? x->call_error : !x->status || x->status >= 400;
}

typedef void (*span_sink)(void *arg, const struct span *spans, size_t n);

struct pending_client {
	struct span span;
	uint32_t tgid, tid;
	uint64_t start_ns, end_ns;
	int error_or_slow;
};

#define TRACING_HOLD_NS 2000000000ull
#define TRACING_MAX_PENDING 4096

struct tracing {
	struct otel_config cfg;
	struct id_source ids;
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
/* Hands the spans made since the last call to the sink, and releases as
 * roots the client spans no server span claimed within the hold time. */
void tracing_flush(struct tracing *t, uint64_t now_ns);

#endif
