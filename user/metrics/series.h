/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One series of a family: a counter's or gauge's value, or a histogram's
 * buckets, count and sum. */
#ifndef SONDE_SERIES_H
#define SONDE_SERIES_H

#include <stdint.h>

struct metric_series;

/* These accept NULL, a series that could not be allocated, and ignore a
 * series of the wrong type. */
void series_add(struct metric_series *s, double v); /* counter, gauge: += v */
void series_set(struct metric_series *s, double v); /* gauge, or a counter kept elsewhere: = v */
void series_observe(struct metric_series *s, double v); /* histogram */
/* A counter's or gauge's value; a histogram's count; 0 for NULL. */
double series_value(const struct metric_series *s);

/* Read-only access, for renderers: nlabels values, in label name order. */
const char *const *series_labels(const struct metric_series *s);
/* Histograms: nbounds + 1 counts, one per bucket and not cumulative, +Inf
 * last; and the sum of observations. */
const uint64_t *series_buckets(const struct metric_series *s);
double series_sum(const struct metric_series *s);
/* A sampled span's duration, kept by the histogram bucket it falls in:
 * OpenMetrics' exemplar, the trace behind a latency. */
struct series_exemplar {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	double value;
	int64_t unix_ms; /* 0: none in this bucket */
};

/* Histograms: v's exemplar replaces the one its bucket held. 0, or
 * -ENOMEM (the first one of a series allocates its buckets' room). */
int series_exemplar(struct metric_series *s, double v, const uint8_t trace_id[16], const uint8_t span_id[8],
		    int64_t unix_ms);
/* nbounds + 1 exemplars, one per bucket, +Inf last; NULL when none was
 * ever set. */
const struct series_exemplar *series_exemplars(const struct metric_series *s);
/* When the series was made (CLOCK_REALTIME, ms): where its cumulative
 * values start. */
int64_t series_created_ms(const struct metric_series *s);

#endif
