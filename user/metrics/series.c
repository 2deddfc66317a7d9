// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buckets.h"
#include "metrics/internal.h"

void series_add(struct metric_series *s, double v)
{
	if (s && s->family->type != METRIC_HISTOGRAM)
		s->value += v;
}

void series_set(struct metric_series *s, double v)
{
	if (s && s->family->type != METRIC_HISTOGRAM)
		s->value = v;
}

void series_observe(struct metric_series *s, double v)
{
	const struct metric_family *f;

	if (!s || s->family->type != METRIC_HISTOGRAM)
		return;
	f = s->family;
	s->buckets[buckets_index(f->bounds, f->nbounds, v)]++;
	s->value += v;
	s->count++;
}

double series_value(const struct metric_series *s)
{
	if (!s)
		return 0;
	return s->family->type == METRIC_HISTOGRAM ? (double)s->count : s->value;
}

const char *const *series_labels(const struct metric_series *s)
{
	return (const char *const *)s->values;
}

const uint64_t *series_buckets(const struct metric_series *s)
{
	return s->buckets;
}

double series_sum(const struct metric_series *s)
{
	return s->value;
}

int64_t series_created_ms(const struct metric_series *s)
{
	return s->created_ms;
}

int series_exemplar(struct metric_series *s, double v, const uint8_t trace_id[16], const uint8_t span_id[8],
		    int64_t unix_ms)
{
	const struct metric_family *f;
	struct series_exemplar *e;

	if (!s || s->family->type != METRIC_HISTOGRAM)
		return 0;
	f = s->family;
	if (!s->exemplars) {
		s->exemplars = calloc(f->nbounds + 1, sizeof(*s->exemplars));
		if (!s->exemplars)
			return -ENOMEM;
	}
	e = &s->exemplars[buckets_index(f->bounds, f->nbounds, v)];
	memcpy(e->trace_id, trace_id, sizeof(e->trace_id));
	memcpy(e->span_id, span_id, sizeof(e->span_id));
	e->value = v;
	e->unix_ms = unix_ms;
	return 0;
}

const struct series_exemplar *series_exemplars(const struct metric_series *s)
{
	return s->exemplars;
}

void series_free(struct metric_series *s)
{
	if (s)
		free(s->exemplars);
	free(s);
}
