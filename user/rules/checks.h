/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Active health checks (health_checks[] in the configuration): each runs on
 * its own schedule, in its own thread, with its timeout, never on the
 * request path of /health. Results are read as snapshots. */
#ifndef SONDE_CHECKS_H
#define SONDE_CHECKS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "rules/health.h"

struct registry;
struct metric_family;

struct check_result {
	char name[SONDE_NAME_MAX];
	enum health_status status;
	char message[256];
	double duration_ms;
	int64_t checked_at_ms; /* Unix time of the last run; 0 before the first */
};

/* microservice_health_check_duration_seconds{check} and
 * microservice_health_check_status{check}; registered once per registry, so
 * that they survive a reload. */
struct check_families {
	struct metric_family *duration;
	struct metric_family *status;
};
int checks_register_families(struct registry *reg, const char *ns, struct check_families *f);

struct checks;

/* Starts one thread per check; each runs at once, then every interval,
 * and records its result in the families under pipeline_lock. */
int checks_start(struct checks **out, const struct check_config *cfg, size_t n, const struct check_families *f,
		 pthread_mutex_t *pipeline_lock);
/* The latest result of every check, in configuration order; returns how
 * many were written (at most max). */
size_t checks_snapshot(struct checks *c, struct check_result *out, size_t max);
/* Makes the status family hold exactly these checks' latest results, so a
 * check removed by a reload leaves no series behind to keep an alert on
 * it firing. The caller holds pipeline_lock. */
void checks_publish_status(struct checks *c);
/* Stops and joins the threads, within a timeout of each check; NULL is fine. */
void checks_stop(struct checks *c);

#endif
