/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns the kernel's ring buffer samples into exchanges for the sinks:
 * HTTP/1.x exchanges the kernel framed, calls the wire parsers found in
 * the bytes of other connections, connection events for the TCP
 * families, and the calls of the configuration's functions. Labels are bounded here: methods, routes, peers, services.
 * Single-threaded: the caller holds the pipeline's lock. */
#ifndef SONDE_COLLECTOR_H
#define SONDE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "pipeline/callers.h"
#include "pipeline/known_routes.h"
#include "pipeline/peers.h"
#include "pipeline/pipelined.h"
#include "pipeline/services.h"
#include "pipeline/streams.h"

struct functions;
struct route_set;
struct red;
struct self_metrics;
struct sinks;

/* The container and pod of a cgroup, for the identity labels; NULL when
 * unknown. */
typedef const struct identity *(*identity_fn)(void *arg, uint64_t cgroup_id, uint32_t tgid);
/* What the cluster calls an address (its port aside): the workload of the
 * pod with that IP, or the Service with that cluster IP, written to out;
 * NULL when unknown. *this_node: a pod of this node. */
typedef const char *(*address_fn)(void *arg, const struct sonde_peer *peer, char *out, size_t size, bool *this_node);

struct collector_config {
	const struct services *services;
	/* Explicit route patterns by service id (NULL entries: none); they win
	 * over the heuristics. */
	struct route_set *const *routes;
	size_t nroutes;
	identity_fn identity; /* or NULL: no identity labels */
	void *identity_arg;
	address_fn address; /* or NULL: outside a cluster */
	void *address_arg;
	size_t peers_per_service;
	struct sinks *sinks; /* where exchanges go */
	struct red *red; /* where connection events go */
	struct self_metrics *self; /* events and parse failures */
	const struct functions *functions; /* the configuration's, by id; changed under the lock */
};

/* A traceparent the kernel wrote into a client request, until the
 * request's exchange arrives. */
struct injection {
	uint64_t conn_id;
	uint64_t ts_ns;
	uint32_t tgid;
	uint8_t trace_id[16];
	uint8_t span_id[8];
};

#define COLLECTOR_INJECTIONS 64

struct collector {
	struct collector_config cfg;
	struct injection injections[COLLECTOR_INJECTIONS];
	size_t next_injection;
	struct peers *peers;
	struct callers *callers; /* who calls whom on this host */
	struct streams streams; /* HTTP/2, Redis and PostgreSQL connections */
	struct pipelined *pipelined; /* HTTP/1.1 requests waiting behind others */
	struct known_routes known; /* routes answered other than 404 */
};

int collector_init(struct collector *c, const struct collector_config *cfg);
void collector_free(struct collector *c);
/* One tick of the idle clock: peers and known routes unused within the
 * last idle_ticks ticks are forgotten, as the series that named them go. */
void collector_expire(struct collector *c, uint32_t idle_ticks);
/* A ring buffer sample of size bytes: an exchange, a connection event or
 * the bytes of a call. A sample whose type or lengths disagree with its
 * size is counted and skipped. */
void collector_event(struct collector *c, const void *sample, size_t size);

#endif
