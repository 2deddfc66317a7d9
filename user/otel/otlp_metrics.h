/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* OTLP/HTTP metrics request bodies, protobuf and JSON, from the
 * semantic-convention histograms: one ResourceMetrics per service and
 * identity, in it one Metric per histogram with a data point per series. */
#ifndef SONDE_OTLP_METRICS_H
#define SONDE_OTLP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "otel/otel_config.h"
#include "otel/otel_metrics.h"
#include "otel/otlp.h"

struct strbuf;

struct otlp_metrics_window {
	enum otlp_temporality temporality;
	uint64_t now_ns; /* CLOCK_REALTIME */
	/* Delta: where this window starts, the last export. Cumulative
	 * points start when their series was made. */
	uint64_t start_ns;
};

/* The histograms' series with observations, copied (taken under the
 * pipeline's lock, encoded after it), by resource and metric. */
struct point;
struct otlp_metrics_snapshot {
	struct point *points;
	size_t n;
};

/* 0 or -ENOMEM (nothing to free then). */
int otlp_metrics_snapshot(const struct otel_metrics *m, struct otlp_metrics_snapshot *snap);
void otlp_metrics_snapshot_free(struct otlp_metrics_snapshot *snap);
/* A malloc'ed ExportMetricsServiceRequest in *out, the data points it
 * holds in *points. Returns 0 or -ENOMEM. */
int otlp_metrics_protobuf(const struct otlp_metrics_snapshot *snap, const struct otlp_host *host,
			  const struct otlp_metrics_window *w, uint8_t **out, size_t *len, size_t *points);
/* The same request in OTLP/JSON. Returns 0 or -ENOMEM. */
int otlp_metrics_json(const struct otlp_metrics_snapshot *snap, const struct otlp_host *host,
		      const struct otlp_metrics_window *w, struct strbuf *out, size_t *points);

#endif
