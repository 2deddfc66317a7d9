/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Trace and metric export settings from the standard OTEL_* environment
 * variables, with sonde's flags on top. */
#ifndef SONDE_OTEL_CONFIG_H
#define SONDE_OTEL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "otel/sampler.h"

#define OTEL_MAX_HEADERS 16

enum otlp_protocol { OTLP_HTTP_PROTOBUF, OTLP_HTTP_JSON };

/* Where one signal goes: OTEL_EXPORTER_OTLP_<SIGNAL>_* over the
 * OTEL_EXPORTER_OTLP_* defaults. */
struct otlp_transport {
	char endpoint[512]; /* the signal's URL; "" leaves its export off */
	enum otlp_protocol protocol;
	char headers[OTEL_MAX_HEADERS][520]; /* "Name: value", for libcurl */
	size_t nheaders;
	uint32_t timeout_ms; /* OTEL_EXPORTER_OTLP_TIMEOUT */
};

struct otel_config {
	struct otlp_transport transport;
	enum sampler sampler;
	double ratio;
	uint64_t slow_ns; /* slower requests are exported whatever the sampler says */
	size_t max_queue; /* OTEL_BSP_MAX_QUEUE_SIZE */
	size_t max_batch; /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE */
	uint32_t delay_ms; /* OTEL_BSP_SCHEDULE_DELAY */
};

enum otlp_temporality { OTLP_CUMULATIVE, OTLP_DELTA };

struct otel_metrics_config {
	struct otlp_transport transport; /* endpoint "": OTEL_METRICS_EXPORTER is none */
	uint32_t interval_ms; /* OTEL_METRIC_EXPORT_INTERVAL */
	enum otlp_temporality temporality;
};

typedef const char *(*env_lookup)(const char *name);

/* Reads the variables through get (getenv in the daemon). flag_endpoint,
 * from --otlp-endpoint, is a base URL like OTEL_EXPORTER_OTLP_ENDPOINT and
 * wins over the variables. Returns 0, or -EINVAL with the variable and
 * what is wrong in err. */
int otel_config_load(struct otel_config *c, env_lookup get, const char *flag_endpoint, double slow_seconds, char *err,
		     size_t errlen);
/* OTEL_METRICS_EXPORTER (none, the default, or otlp), the endpoint
 * (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT
 * and /v1/metrics), protocol, headers and timeout as for traces,
 * OTEL_METRIC_EXPORT_INTERVAL and
 * OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE. Returns 0, or
 * -EINVAL with the variable and what is wrong in err. */
int otel_metrics_config_load(struct otel_metrics_config *c, env_lookup get, char *err, size_t errlen);

#endif
