/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns the kernel's events into the service metrics and keeps the
 * daemon's own sonde_* metrics. Single-threaded: the caller holds the
 * registry's lock. */
#ifndef SONDE_COLLECTOR_H
#define SONDE_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "metrics/registry.h"
#include "pipeline/peers.h"
#include "pipeline/services.h"
#include "sonde.h"
#include "pipeline/streams.h"

struct route_set;
struct exchange;

/* Called for every exchange that parsed, with what a span needs. */
typedef void (*exchange_fn)(void *arg, const struct exchange *x);

/* The container and pod of a cgroup, for the identity labels; NULL when
 * unknown. */
typedef const struct identity *(*identity_fn)(void *arg, uint64_t cgroup_id, uint32_t tgid);

struct collector {
	struct registry *reg;
	const struct services *services;
	/* Explicit route patterns by service id (NULL entries: none); they win
	 * over the heuristics. */
	struct route_set *const *routes;
	size_t nroutes;
	identity_fn identity;
	void *identity_arg;
	struct peers *peers;
	struct streams streams;  /* HTTP/2, Redis and PostgreSQL connections */
	exchange_fn on_exchange; /* or NULL: tracing is off */
	void *exchange_arg;
	struct metric_family *requests;
	struct metric_family *duration;
	struct metric_family *errors;
	struct metric_family *client_requests;
	struct metric_family *client_duration;
	struct metric_family *conn_failures;
	struct metric_family *connect_duration;
	struct metric_family *retransmits;
	struct metric_family *sent_bytes;
	struct metric_family *received_bytes;
	struct metric_family *active_connections;
	struct metric_family *cpu_seconds;
	struct metric_family *resident_memory;
	struct metric_family *processes;
	struct metric_family *events;
	struct metric_family *lost;
	struct metric_family *parse_failures;
	struct metric_family *not_http;
	struct metric_family *unanswered;
	struct metric_family *tls_conns;
	struct metric_family *streams_evicted;
	struct metric_family *streams_open;
	struct metric_family *conns;
	struct metric_family *client_conns;
	struct metric_family *targets;
	struct metric_family *build_info;
	struct metric_family *spans_exported;
	struct metric_family *spans_dropped;
};

struct collector_config {
	const char *ns;
	const double *buckets;
	size_t nbuckets;
	size_t series_cap;
	size_t peers_per_service;
	const char *version;
	const char *mode;
};

int collector_init(struct collector *c, struct registry *reg, const struct services *services,
		   const struct collector_config *cfg);
void collector_free(struct collector *c);
/* A ring buffer sample of size bytes: an exchange or a connection event.
 * A sample whose type or lengths disagree with its size is counted and
 * skipped. */
void collector_event(struct collector *c, const void *sample, size_t size);
/* Mirrors the kernel's per-CPU counters, summed, and the number of
 * selected processes into the sonde_* families. */
void collector_kernel_stats(struct collector *c, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets);

/* The exporter's counters, mirrored at scrape time. */
void collector_span_stats(struct collector *c, uint64_t exported, uint64_t dropped_queue_full,
			  uint64_t dropped_export_failed);

/* One observed process at scrape time. */
struct process_sample {
	const char *service;
	const struct identity *id; /* or NULL */
	int64_t server_connections;
	int has_usage;             /* the resource fields below are set */
	double cpu_seconds_delta;  /* CPU time since the previous scrape */
	double resident_bytes;
};

/* Recomputes the per-service gauges (open connections, memory, process
 * count) from these samples, and adds their CPU time. */
void collector_processes(struct collector *c, const struct process_sample *samples, size_t n);

#endif
