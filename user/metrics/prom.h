/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus text exposition format, version 0.0.4, and OpenMetrics
 * 1.0 with the histograms' exemplars. */
#ifndef SONDE_PROM_H
#define SONDE_PROM_H

#include <stddef.h>

struct registry;
struct strbuf;

/* Appends every family to out: HELP, TYPE, then its series in creation
 * order, the overflow series last. Labels with an empty value are left out
 * (Prometheus reads them as absent); bytes that are not UTF-8 become
 * U+FFFD, as Prometheus rejects a scrape holding them. Returns 0 or
 * -ENOMEM. */
int prom_render(const struct registry *r, struct strbuf *out);
/* The same families as OpenMetrics 1.0 text: counters' families named
 * without _total, the buckets' exemplars (trace_id, span_id, value,
 * timestamp), # EOF at the end. Returns 0 or -ENOMEM. */
int prom_render_openmetrics(const struct registry *r, struct strbuf *out);
/* A sample value: integers without exponent or decimals, other finite
 * values in the fewest digits that read back exactly, +Inf, -Inf, NaN.
 * PROM_VALUE_MAX bytes always suffice. */
#define PROM_VALUE_MAX 32
void prom_format_value(double v, char *buf, size_t size);

#endif
