/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pipeline's currency: one request and its response, as the collector
 * made it from kernel events and wire calls, or one outgoing connect that
 * failed. Every label is already bounded; sinks take what they need and
 * keep no pointer past their call. */
#ifndef SONDE_EXCHANGE_H
#define SONDE_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "proto/wire.h"
#include "sonde.h"

struct identity;

struct exchange {
	uint8_t role; /* SONDE_ROLE_SERVER or SONDE_ROLE_CLIENT */
	uint32_t tgid;
	uint32_t tid;
	const char *service;
	const struct identity *id; /* or NULL */
	/* The labels: protocol "http" (HTTP/1.x and HTTP/2), "grpc", "redis",
	 * "postgresql", "memcached", "mqtt", "nats", "amqp", or "" for a failed
	 * connect; the method (HTTP method,
	 * RPC path, command, verb); the endpoint, a server's route (an RPC
	 * path, a command or verb for the wire protocols) or a client's peer;
	 * and the status: the HTTP or gRPC status number, ok|error, or
	 * unknown. */
	const char *protocol;
	const char *method;
	const char *endpoint;
	bool endpoint_matched; /* a server's route is one of its service's patterns */
	const char *status_label;
	/* HTTP: the status, 0 when the response did not parse; gRPC:
	 * grpc-status, -1 when none came; Redis and PostgreSQL: 0. */
	int status;
	const char *target; /* the request-target or :path as sent; "" for others */
	const char *host; /* the Host header or :authority, or "" */
	const char *traceparent; /* or "" */
	/* A client request sonde wrote a traceparent into (propagation:
	 * inject): the trace and the span id it named, else NULL. */
	const uint8_t *injected_trace;
	const uint8_t *injected_span;
	const struct sonde_peer *peer;
	/* The service at the other end, for the service graph, or NULL: a
	 * server's caller (a target on this host, or a pod's workload), a
	 * client's callee (the service on this host serving the address it
	 * dialled, a pod's workload or a Kubernetes Service). peer_counts: a
	 * server's caller is one whose own sonde counts the request (a target
	 * on this host, or a pod on another node). */
	const char *peer_service;
	bool peer_counts;
	bool tls; /* read from the TLS library: https */
	uint8_t http_version; /* 10, 11 or 20 (HTTP/2, gRPC); 0 for the others */
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	uint64_t end_ns;
	bool unpaired; /* a message nothing answers: counted, never timed */
	/* Set when the exchange counts against the server: the type
	 * errors_total counts it under (http_5xx, malformed_response,
	 * grpc_error, redis_error, postgresql_error). Server exchanges only. */
	const char *fault;
	bool call_error; /* the caller saw it fail */
	const char *connect_error; /* a failed connect: refused, timeout, ...; else NULL */
};

/* Whether the exchange counts against the server, as errors_total does. */
static inline bool exchange_server_error(const struct exchange *x)
{
	return x->fault != NULL;
}

/* A call whose status is not an HTTP status: gRPC, Redis, PostgreSQL. */
static inline bool exchange_is_rpc(const struct exchange *x)
{
	return x->protocol[0] && strcmp(x->protocol, "http");
}

/* A message broker's protocol: MQTT, NATS, AMQP. */
static inline bool exchange_is_messaging(const struct exchange *x)
{
	return wire_topic_sep(x->protocol) != 0;
}

static inline double exchange_seconds(const struct exchange *x)
{
	return x->end_ns >= x->start_ns ? (double)(x->end_ns - x->start_ns) / 1e9 : 0;
}

#endif
