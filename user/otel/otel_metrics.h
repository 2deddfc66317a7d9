/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The request metrics of the OpenTelemetry semantic conventions,
 * aggregated from exchanges for the OTLP metrics exporter: duration
 * histograms in seconds (http.server.request.duration and the rest), in a
 * registry of their own bounded as the Prometheus families are (a budget
 * per service and per family, idle series dropped). Label 0 of every
 * family is the service and its last IDENTITY_NLABELS the identity: both
 * become resource attributes; the labels between are the data points'
 * attributes. Called with the pipeline's lock held. */
#ifndef SONDE_OTEL_METRICS_H
#define SONDE_OTEL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/exchange.h"

struct registry;
struct metric_family;

enum otel_metric { OTEL_HTTP_SERVER, OTEL_HTTP_CLIENT, OTEL_RPC_SERVER, OTEL_RPC_CLIENT, OTEL_DB_CLIENT, OTEL_METRICS };

/* A data point attribute: its key, and whether its value is an integer. */
struct otel_attr {
	const char *label, *key;
	bool integer;
};

struct otel_metric_desc {
	const char *name, *description;
	const struct otel_attr *attrs; /* labels 1 to nattrs */
	size_t nattrs;
};

struct otel_metrics_limits {
	const double *buckets;
	size_t nbuckets;
	size_t series_cap; /* per service and family */
	size_t family_cap;
	bool expire; /* idle series go with registry_expire */
};

struct otel_metrics {
	struct registry *reg;
	struct metric_family *fam[OTEL_METRICS];
};

/* 0, -ENOMEM or -EINVAL. */
int otel_metrics_init(struct otel_metrics *m, const struct otel_metrics_limits *limits);
void otel_metrics_free(struct otel_metrics *m);
void otel_metrics_exchange(struct otel_metrics *m, const struct exchange *x);
const struct otel_metric_desc *otel_metrics_desc(enum otel_metric i);
/* Every series dropped: after a delta export, what comes next starts
 * from 0. */
void otel_metrics_reset(struct otel_metrics *m);

#endif
