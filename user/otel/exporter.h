/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OTLP/HTTP exporter: a bounded queue drained by its own thread in
 * batches, so the event path never waits on the network. A failed batch
 * is retried with backoff on 429, 502, 503, 504 and connection errors;
 * what the queue cannot hold, or retries cannot deliver, is dropped and
 * counted. */
#ifndef SONDE_EXPORTER_H
#define SONDE_EXPORTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/worker.h"
#include "otel/otel_config.h"
#include "otel/otlp.h"
#include "otel/span.h"

struct exporter {
	struct otel_config cfg;
	struct otlp_host host;
	char host_name[256];
	struct worker worker;
	struct span *queue; /* a ring of cfg.max_queue spans */
	size_t head, count;
	atomic_ullong exported;
	atomic_ullong dropped_queue_full;
	atomic_ullong dropped_export_failed;
};

int exporter_start(struct exporter *e, const struct otel_config *cfg, const char *version);
/* Queues spans, taking the lock once for all of them. */
void exporter_push(struct exporter *e, const struct span *spans, size_t n);
/* Sends what is queued (one attempt each), then stops the thread. */
void exporter_stop(struct exporter *e);

#endif
