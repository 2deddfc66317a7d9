/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OpenTelemetry samplers, as OTEL_TRACES_SAMPLER names them. */
#ifndef SONDE_SAMPLER_H
#define SONDE_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "otel/traceparent.h"

enum sampler {
	SAMPLER_ALWAYS_ON,
	SAMPLER_ALWAYS_OFF,
	SAMPLER_TRACEIDRATIO,
	SAMPLER_PARENTBASED_ALWAYS_ON,
	SAMPLER_PARENTBASED_ALWAYS_OFF,
	SAMPLER_PARENTBASED_TRACEIDRATIO,
};

int sampler_parse(const char *name, enum sampler *out);
/* The sampling decision for a span of this trace; parent is NULL for a
 * root. traceidratio compares the trace id's last 8 bytes, as the
 * OpenTelemetry SDKs do, so every service decides alike for a trace. */
bool sampler_decide(enum sampler s, double ratio, const uint8_t trace_id[16], const struct trace_parent *parent);

#endif
