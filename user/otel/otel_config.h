/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Trace export settings from the standard OTEL_* environment variables,
 * with sonde's flags on top. */
#ifndef SONDE_OTEL_CONFIG_H
#define SONDE_OTEL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "otel/sampler.h"

#define OTEL_MAX_HEADERS 16

enum otlp_protocol { OTLP_HTTP_PROTOBUF, OTLP_HTTP_JSON };

struct otel_config {
	char endpoint[512]; /* the traces URL; "" leaves tracing off */
	enum otlp_protocol protocol;
	char headers[OTEL_MAX_HEADERS][520]; /* "Name: value", for libcurl */
	size_t nheaders;
	enum sampler sampler;
	double ratio;
	uint64_t slow_ns; /* slower requests are exported whatever the sampler says */
	size_t max_queue; /* OTEL_BSP_MAX_QUEUE_SIZE */
	size_t max_batch; /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE */
	uint32_t delay_ms; /* OTEL_BSP_SCHEDULE_DELAY */
	uint32_t timeout_ms; /* OTEL_EXPORTER_OTLP_TIMEOUT */
};

typedef const char *(*env_lookup)(const char *name);

/* Reads the variables through get (getenv in the daemon). flag_endpoint,
 * from --otlp-endpoint, is a base URL like OTEL_EXPORTER_OTLP_ENDPOINT and
 * wins over the variables. Returns 0, or -EINVAL with the variable and
 * what is wrong in err. */
int otel_config_load(struct otel_config *c, env_lookup get, const char *flag_endpoint, double slow_seconds, char *err,
		     size_t errlen);

#endif
