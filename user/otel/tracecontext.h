/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* W3C Trace Context and the OpenTelemetry samplers. */
#ifndef SONDE_TRACECONTEXT_H
#define SONDE_TRACECONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_parent {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t flags; /* bit 0: sampled */
};

/* Parses a traceparent value ("00-<32 hex>-<16 hex>-<2 hex>"). Returns 0,
 * or -EINVAL for anything the specification says to ignore (bad length,
 * upper-case or non-hex digits, version ff, all-zero ids). */
int traceparent_parse(const char *value, struct trace_parent *out);

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

/* Random ids: a fast generator seeded from the kernel's entropy. */
struct id_source {
	uint64_t s[4];
};

int id_source_init(struct id_source *src);
void id_random(struct id_source *src, uint8_t *out, size_t n);

#endif
