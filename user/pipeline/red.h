/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The service families under the namespace: requests, errors and
 * durations (RED) of server and client exchanges, the TCP connection
 * families, and the per-process gauges set at scrape time. Every series
 * ends in the identity labels. Called with the pipeline's lock held. */
#ifndef SONDE_RED_H
#define SONDE_RED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "pipeline/exchange.h"

struct registry;
struct metric_family;

struct red {
	struct metric_family *requests;
	struct metric_family *duration;
	struct metric_family *errors;
	struct metric_family *client_requests;
	struct metric_family *client_duration;
	struct metric_family *conn_failures;
	struct metric_family *connect_duration;
	struct metric_family *retransmits;
	struct metric_family *rtt;
	struct metric_family *sent_bytes;
	struct metric_family *received_bytes;
	struct metric_family *active_connections;
	struct metric_family *cpu_seconds;
	struct metric_family *resident_memory;
	struct metric_family *processes;
	struct metric_family *function_calls;
	struct metric_family *function_duration;
	/* The duration series red_exchange observed last (NULL: none), for
	 * the sinks after it that hand the same exchange an exemplar. */
	struct metric_series *last_duration;
};

struct red_config {
	const char *ns;
	const double *buckets;
	size_t nbuckets;
	size_t series_cap; /* per family and service */
	size_t family_cap; /* per family */
	bool expire; /* series idle past the registry's bound go */
};

/* 0 or -ENOMEM. */
int red_init(struct red *r, struct registry *reg, const struct red_config *cfg);
/* A request counted and timed, on the server side or the client's, and
 * a server fault in errors_total. A failed connect is no request: its
 * connection event counts it. */
void red_exchange(struct red *r, const struct exchange *x);
/* The span of x, sampled, as the exemplar of its duration's bucket: x is
 * the exchange red_exchange was given last. */
void red_exemplar(struct red *r, const struct exchange *x, const uint8_t trace_id[16], const uint8_t span_id[8],
		  int64_t unix_ms);

struct function_call;

/* A call of a function named in the configuration: counted ok or error,
 * and timed. */
void red_function(struct red *r, const struct function_call *c);

/* One end of a TCP connection: the service, its peer's label, identity. */
struct red_conn {
	const char *service;
	const char *peer;
	const struct identity *id; /* or NULL */
};

void red_connect_time(struct red *r, const struct red_conn *c, double seconds);
void red_connection_failure(struct red *r, const struct red_conn *c, const char *reason);
void red_retransmit(struct red *r, const struct red_conn *c);
/* A smoothed round-trip time sample of a live connection. */
void red_rtt(struct red *r, const struct red_conn *c, double seconds);
void red_connection_bytes(struct red *r, const struct red_conn *c, uint64_t sent, uint64_t received);

/* One observed process at scrape time. */
struct process_sample {
	const char *service;
	const struct identity *id; /* or NULL */
	int64_t server_connections;
	int has_usage; /* the resource fields below are set */
	double cpu_seconds_delta; /* CPU time since the previous scrape */
	double resident_bytes;
};

/* Recomputes the per-service gauges (open connections, memory, process
 * count) from these samples, and adds their CPU time. */
void red_processes(struct red *r, const struct process_sample *samples, size_t n);

/* One series' share of its service's server-side figures. */
struct red_figures {
	double requests, errors, duration_sum, duration_count, connections, processes;
	bool has_processes;
};

typedef int (*red_figures_fn)(void *arg, const char *service, const struct red_figures *f);

/* Calls fn for every series of the server families, in the order
 * requests, errors, durations, connections, processes, with its service
 * (borrowed until the series change) and its share: summed by service,
 * they are the service's totals. Returns 0 or fn's non-zero return. */
int red_each_series(const struct red *r, red_figures_fn fn, void *arg);

#endif
