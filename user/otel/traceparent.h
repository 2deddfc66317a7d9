/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* W3C Trace Context: the traceparent header. */
#ifndef SONDE_TRACEPARENT_H
#define SONDE_TRACEPARENT_H

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

#endif
