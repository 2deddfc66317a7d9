/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a glance needs of an exposition: per service its requests, server
 * errors, latency histogram, busiest routes and client calls by peer;
 * and sonde's own state. Built from /metrics' text, so the status page
 * and `sonde top` show the numbers /metrics does. */
#ifndef SONDE_SUMMARY_H
#define SONDE_SUMMARY_H

#include <stddef.h>

#define SUMMARY_SERVICES_MAX 32
#define SUMMARY_ROUTES_MAX 64 /* kept per service, the busiest first */
#define SUMMARY_BUCKETS_MAX 32
#define SUMMARY_NAME_MAX 96

/* A route (method and endpoint) of a service's requests, or a peer of its
 * client calls. */
struct summary_route {
	char method[16];
	char name[SUMMARY_NAME_MAX];
	double requests;
	double errors; /* 5xx, or an error status */
};

struct summary_service {
	char name[SUMMARY_NAME_MAX];
	double requests; /* served */
	double errors; /* server errors (errors_total) */
	double duration_sum;
	size_t nbuckets;
	double le[SUMMARY_BUCKETS_MAX]; /* upper bounds, +Inf last */
	double cum[SUMMARY_BUCKETS_MAX]; /* cumulative counts, over all its series */
	size_t nroutes, npeers;
	struct summary_route routes[SUMMARY_ROUTES_MAX];
	struct summary_route peers[SUMMARY_ROUTES_MAX];
	double client_requests;
};

struct summary {
	size_t nservices;
	struct summary_service services[SUMMARY_SERVICES_MAX];
	char version[64];
	char mode[32];
	double events, lost, targets, tls_processes, tls_unreadable, parse_failures;
	size_t tls_sites_emulated, tls_sites_stepped;
	size_t bad_lines; /* of the text, not parsed */
};

/* Summarises an exposition whose RED families start with ns_. */
void summary_build(const char *text, size_t len, const char *ns, struct summary *out);
/* The namespace of an exposition: the prefix of its *_request_duration_seconds
 * family; "microservice" when none is found. */
void summary_namespace(const char *text, size_t len, char *ns, size_t size);
/* The q-quantile (0 < q < 1) of cumulative bucket counts, interpolated as
 * Prometheus' histogram_quantile does; -1 with no observations. */
double summary_quantile(const double *le, const double *cum, size_t n, double q);
/* The service called name, or NULL. */
const struct summary_service *summary_service(const struct summary *s, const char *name);

#endif
