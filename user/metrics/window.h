/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A sliding time window of up to WINDOW_SLOTS slots, each accumulating the
 * requests (count, errors, durations and their histogram) and the sampled
 * values that arrive in it. SLAs and alert rules read their windows from it.
 * Times are milliseconds on one clock the caller chooses. */
#ifndef SONDE_WINDOW_H
#define SONDE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define WINDOW_SLOTS 60

struct window_slot {
	int64_t start_ms; /* -1: never used */
	double count; /* requests */
	double errors;
	double sum; /* of their durations, seconds */
	uint64_t *hist; /* nbounds + 1 non-cumulative buckets */
	double samples; /* sampled values */
	double sample_sum, sample_min, sample_max;
};

struct window {
	int64_t span_ms, width_ms;
	size_t nslots;
	const double *bounds; /* borrowed: upper bounds of the duration buckets */
	size_t nbounds;
	struct window_slot *slots;
};

/* span_ms is divided into min(WINDOW_SLOTS, span in seconds) slots, at
 * least one. 0 or -ENOMEM. */
int window_init(struct window *w, uint64_t span_ms, const double *bounds, size_t nbounds);
void window_free(struct window *w);
void window_request(struct window *w, int64_t now_ms, double seconds, int error);
void window_sample(struct window *w, int64_t now_ms, double value);
/* The slots within the span ending at now_ms, oldest first; returns how
 * many (at most nslots) were written to out. */
size_t window_live(const struct window *w, int64_t now_ms, const struct window_slot **out);
/* The requests of every live slot, summed into total; its histogram too
 * when total->hist holds nbounds + 1 counts (NULL: counts only). */
void window_total(const struct window *w, int64_t now_ms, struct window_slot *total);
/* The q-quantile of a histogram, interpolated within its bucket as
 * Prometheus's histogram_quantile does; NaN when it is empty. */
double window_quantile(const double *bounds, size_t nbounds, const uint64_t *hist, double q);

#endif
