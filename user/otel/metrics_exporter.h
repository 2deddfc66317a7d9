/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OTLP/HTTP metrics exporter: a thread that every export interval
 * copies the semantic-convention histograms under the pipeline's lock
 * (milliseconds, the ring buffer holding the events meanwhile), then
 * encodes and posts them.
 * Cumulative by default: a failed export is made good by the next one.
 * Delta: each export starts the histograms again, so a failed one loses
 * its points, counted. One last export at stop. */
#ifndef SONDE_METRICS_EXPORTER_H
#define SONDE_METRICS_EXPORTER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/worker.h"
#include "otel/otel_config.h"
#include "otel/otel_metrics.h"
#include "otel/otlp.h"

struct metrics_exporter {
	struct otel_metrics_config cfg;
	struct otlp_host host;
	char host_name[256];
	struct otel_metrics *metrics;
	pthread_mutex_t *pipeline_lock;
	uint64_t window_start_ns; /* delta: the last export */
	struct worker worker;
	atomic_ullong exports_ok, exports_failed;
	atomic_ullong points_exported, points_dropped;
};

/* Exports m, read under pipeline_lock, to cfg's endpoint. 0 or a negative
 * errno. */
int metrics_exporter_start(struct metrics_exporter *e, const struct otel_metrics_config *cfg, struct otel_metrics *m,
			   pthread_mutex_t *pipeline_lock, const char *version);
void metrics_exporter_stop(struct metrics_exporter *e);

#endif
