// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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
