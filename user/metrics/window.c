// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/window.h"

int window_init(struct window *w, uint64_t span_ms, const double *bounds, size_t nbounds)
{
	uint64_t *hist;

	memset(w, 0, sizeof(*w));
	w->nslots = span_ms / 1000 < WINDOW_SLOTS ? span_ms / 1000 : WINDOW_SLOTS;
	if (!w->nslots)
		w->nslots = 1;
	w->span_ms = (int64_t)span_ms;
	w->width_ms = (int64_t)((span_ms + w->nslots - 1) / w->nslots);
	w->bounds = bounds;
	w->nbounds = nbounds;
	w->slots = calloc(w->nslots, sizeof(*w->slots));
	hist = calloc(w->nslots * (nbounds + 1), sizeof(*hist));
	if (!w->slots || !hist) {
		free(w->slots);
		free(hist);
		w->slots = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->nslots; i++) {
		w->slots[i].start_ms = -1;
		w->slots[i].hist = hist + i * (nbounds + 1);
	}
	return 0;
}

void window_free(struct window *w)
{
	if (w->slots)
		free(w->slots[0].hist);
	free(w->slots);
	w->slots = NULL;
}

/* The slot now_ms falls in, emptied if it last held an older period. */
static struct window_slot *current(struct window *w, int64_t now_ms)
{
	int64_t start = now_ms - now_ms % w->width_ms;
	struct window_slot *s = &w->slots[(size_t)(start / w->width_ms) % w->nslots];
	uint64_t *hist = s->hist;

	if (s->start_ms != start) {
		memset(hist, 0, (w->nbounds + 1) * sizeof(*hist));
		memset(s, 0, sizeof(*s));
		s->hist = hist;
		s->start_ms = start;
	}
	return s;
}

void window_request(struct window *w, int64_t now_ms, double seconds, int error)
{
	struct window_slot *s = current(w, now_ms);
	size_t b = 0;

	s->count++;
	s->errors += !!error;
	s->sum += seconds;
	while (b < w->nbounds && seconds > w->bounds[b])
		b++;
	s->hist[b]++;
}

void window_sample(struct window *w, int64_t now_ms, double value)
{
	struct window_slot *s = current(w, now_ms);

	s->sample_min = s->samples ? fmin(s->sample_min, value) : value;
	s->sample_max = s->samples ? fmax(s->sample_max, value) : value;
	s->samples++;
	s->sample_sum += value;
}

size_t window_live(const struct window *w, int64_t now_ms, const struct window_slot **out)
{
	int64_t oldest = now_ms - now_ms % w->width_ms - (int64_t)(w->nslots - 1) * w->width_ms;
	size_t n = 0;

	for (int64_t start = oldest; start <= now_ms; start += w->width_ms) {
		const struct window_slot *s = &w->slots[(size_t)(start / w->width_ms) % w->nslots];

		if (start >= 0 && s->start_ms == start)
			out[n++] = s;
	}
	return n;
}

void window_total(const struct window *w, int64_t now_ms, struct window_slot *total)
{
	const struct window_slot *live[WINDOW_SLOTS];
	size_t n = window_live(w, now_ms, live);
	uint64_t *hist = total->hist;

	if (hist)
		memset(hist, 0, (w->nbounds + 1) * sizeof(*hist));
	memset(total, 0, sizeof(*total));
	total->hist = hist;
	for (size_t i = 0; i < n; i++) {
		total->count += live[i]->count;
		total->errors += live[i]->errors;
		total->sum += live[i]->sum;
		for (size_t b = 0; hist && b <= w->nbounds; b++)
			hist[b] += live[i]->hist[b];
	}
}

double window_quantile(const double *bounds, size_t nbounds, const uint64_t *hist, double q)
{
	double total = 0, seen = 0, rank;

	for (size_t b = 0; b <= nbounds; b++)
		total += (double)hist[b];
	if (!total)
		return NAN;
	rank = q * total;
	for (size_t b = 0; b <= nbounds; b++) {
		double lo = b ? bounds[b - 1] : 0;

		if (seen + (double)hist[b] >= rank && hist[b]) {
			/* Beyond the last bound all that is known is the bound. */
			if (b == nbounds)
				return nbounds ? bounds[nbounds - 1] : NAN;
			return lo + (bounds[b] - lo) * (rank - seen) / (double)hist[b];
		}
		seen += (double)hist[b];
	}
	return nbounds ? bounds[nbounds - 1] : NAN;
}
