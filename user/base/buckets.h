/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Histogram bucket bounds. */
#ifndef SONDE_BUCKETS_H
#define SONDE_BUCKETS_H

#include <stddef.h>

/* Request durations in seconds: sub-millisecond services up to 10 s. */
extern const double buckets_default[];
extern const size_t buckets_default_len;

/* Parses "0.0005,0.001,..." (decimal numbers, no spaces) into out: finite,
 * positive, strictly increasing, at most max of them. Returns 0 and sets
 * *n, or -EINVAL leaving *n untouched (out may be partly written). */
int buckets_parse(const char *spec, double *out, size_t max, size_t *n);
/* The index of the first bound >= v, or n for the +Inf bucket: bounds are
 * inclusive upper limits, as Prometheus's le. O(log n). */
size_t buckets_index(const double *bounds, size_t n, double v);

#endif
