/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Turns the kernel's exchange events into RED metrics and keeps the
 * daemon's own sonde_* metrics. Single-threaded: the caller holds the
 * registry's lock. */
#ifndef SONDE_COLLECTOR_H
#define SONDE_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "services.h"
#include "sonde.h"

struct route_set;

struct collector {
	struct registry *reg;
	const struct services *services;
	const struct route_set *routes; /* explicit patterns, or NULL */
	struct metric_family *requests;
	struct metric_family *duration;
	struct metric_family *errors;
	struct metric_family *events;
	struct metric_family *lost;
	struct metric_family *parse_failures;
	struct metric_family *not_http;
	struct metric_family *unanswered;
	struct metric_family *conns;
	struct metric_family *targets;
	struct metric_family *build_info;
};

struct collector_config {
	const char *ns;
	const double *buckets;
	size_t nbuckets;
	size_t series_cap;
	const char *version;
	const char *mode;
};

int collector_init(struct collector *c, struct registry *reg, const struct services *services,
		   const struct collector_config *cfg);
/* ev holds size bytes: the event up to its req_len bytes of request. An
 * event whose lengths disagree with size is counted and skipped. */
void collector_http(struct collector *c, const struct sonde_http_event *ev, size_t size);
/* Mirrors the kernel's per-CPU counters, summed, and the number of
 * selected processes into the sonde_* families. */
void collector_kernel_stats(struct collector *c, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets);

#endif
