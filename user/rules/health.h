/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* /health and /health/detailed: the overall status is the worst of the
 * health checks; each service's status is derived from its error ratio
 * over the last minute and whether its processes are alive. The caller
 * holds the pipeline's lock. */
#ifndef SONDE_HEALTH_H
#define SONDE_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "metrics/window.h"

struct business;
struct check_result;
struct exchange;
struct metric_family;
struct red;
struct strbuf;

/* Ordered from best to worst; UNKNOWN is a check that has not run yet. */
enum health_status { HEALTH_UNKNOWN, HEALTH_HEALTHY, HEALTH_DEGRADED, HEALTH_UNHEALTHY };

/* "unknown", "healthy", "degraded", "unhealthy". */
const char *health_status_name(enum health_status s);
/* The gauge's value: 1 healthy, 0.5 degraded, 0 unhealthy (and unknown). */
double health_status_value(enum health_status s);

#define HEALTH_RECENT_MS 60000
#define HEALTH_DEGRADED_ERROR_RATIO 0.05
#define HEALTH_UNHEALTHY_ERROR_RATIO 0.5

/* Each observed service's recent requests, for its derived status. */
struct health_recent {
	struct recent_service {
		char name[64];
		struct window window;
	} * services;
	size_t n, cap;
};

void health_exchange(struct health_recent *r, const struct exchange *x);
void health_recent_free(struct health_recent *r);

/* The worst status of the checks that have run; healthy when none has. */
enum health_status health_overall(const struct check_result *checks, size_t n);

struct health_inputs {
	const struct check_result *checks;
	size_t nchecks;
	const struct red *red; /* totals and gauges by service */
	const struct health_recent *recent;
	const char *const *expected; /* services that should have processes */
	size_t nexpected;
	const struct business *business;
	/* sonde_tls_unreadable_connections_total: services whose TLS no
	 * probe reads */
	const struct metric_family *tls_unreadable;
	int64_t mono_ms, unix_ms;
};

/* The /health/detailed document. 0 or a negative errno. */
int health_detailed_json(const struct health_inputs *in, struct strbuf *out);

#endif
