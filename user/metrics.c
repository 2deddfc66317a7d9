// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"
#include "metrics.h"

struct registry *registry_new(void)
{
	return calloc(1, sizeof(struct registry));
}

static void series_free(struct metric_series *s, size_t nlabels)
{
	if (!s)
		return;
	for (size_t i = 0; i < nlabels; i++)
		free(s->values[i]);
	free(s->values);
	free(s->buckets);
	free(s);
}

void family_reset(struct metric_family *f)
{
	for (size_t i = 0; i < f->n; i++)
		series_free(f->series[i], f->nlabels);
	series_free(f->overflow, f->nlabels);
	f->overflow = NULL;
	f->n = 0;
	if (f->slots)
		memset(f->slots, 0, f->nslots * sizeof(*f->slots));
}

static void family_free(struct metric_family *f)
{
	family_reset(f);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->series);
	free(f->slots);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void registry_free(struct registry *r)
{
	struct metric_family *f, *next;

	if (!r)
		return;
	for (f = r->first; f; f = next) {
		next = f->next;
		family_free(f);
	}
	free(r);
}

struct metric_family *registry_add(struct registry *r, const char *name, const char *help,
				   enum metric_type type, const char *const *label_names, size_t nlabels,
				   const double *buckets, size_t nbuckets, size_t series_cap)
{
	struct metric_family *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->type = type;
	f->cap = series_cap ? series_cap : 1;
	f->name = strdup(name);
	f->help = strdup(help);
	f->labels = calloc(nlabels ? nlabels : 1, sizeof(char *));
	if (!f->name || !f->help || !f->labels)
		goto fail;
	f->nlabels = nlabels;
	for (size_t i = 0; i < nlabels; i++) {
		f->labels[i] = strdup(label_names[i]);
		if (!f->labels[i])
			goto fail;
	}
	if (type == METRIC_HISTOGRAM) {
		f->bounds = malloc((nbuckets ? nbuckets : 1) * sizeof(double));
		if (!f->bounds)
			goto fail;
		memcpy(f->bounds, buckets, nbuckets * sizeof(double));
		f->nbounds = nbuckets;
	}
	if (r->last)
		r->last->next = f;
	else
		r->first = f;
	r->last = f;
	return f;
fail:
	family_free(f);
	return NULL;
}

static uint64_t hash_values(const char *const *values, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
			h = (h ^ *p) * 1099511628211ull;
		/* A separator, so ("ab","c") and ("a","bc") differ. */
		h = (h ^ 0xff) * 1099511628211ull;
	}
	return h;
}

static int same_values(const struct metric_series *s, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]))
			return 0;
	return 1;
}

static struct metric_series *series_new(const struct metric_family *f, const char *const *values,
					uint64_t hash)
{
	struct metric_series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hash = hash;
	s->values = calloc(f->nlabels ? f->nlabels : 1, sizeof(char *));
	if (!s->values)
		goto fail;
	for (size_t i = 0; i < f->nlabels; i++) {
		s->values[i] = strdup(values ? values[i] : METRIC_OVERFLOW);
		if (!s->values[i])
			goto fail;
	}
	if (f->type == METRIC_HISTOGRAM) {
		s->buckets = calloc(f->nbounds + 1, sizeof(uint64_t));
		if (!s->buckets)
			goto fail;
	}
	return s;
fail:
	series_free(s, f->nlabels);
	return NULL;
}

static void slot_insert(size_t *slots, size_t nslots, uint64_t hash, size_t index)
{
	size_t i = hash & (nslots - 1);

	while (slots[i])
		i = (i + 1) & (nslots - 1);
	slots[i] = index + 1;
}

/* Keeps the table at most half full so probes stay short. */
static int grow(struct metric_family *f)
{
	size_t nslots, *slots;

	if (f->n == f->alloc) {
		size_t alloc = f->alloc ? f->alloc * 2 : 16;
		struct metric_series **series = realloc(f->series, alloc * sizeof(*series));

		if (!series)
			return -ENOMEM;
		f->series = series;
		f->alloc = alloc;
	}
	if ((f->n + 1) * 2 <= f->nslots)
		return 0;
	nslots = f->nslots ? f->nslots * 2 : 32;
	slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		slot_insert(slots, nslots, f->series[i]->hash, i);
	free(f->slots);
	f->slots = slots;
	f->nslots = nslots;
	return 0;
}

struct metric_series *family_series(struct metric_family *f, const char *const *label_values)
{
	uint64_t hash = hash_values(label_values, label_values ? f->nlabels : 0);
	struct metric_series *s;

	if (f->nslots) {
		for (size_t i = hash & (f->nslots - 1); f->slots[i]; i = (i + 1) & (f->nslots - 1)) {
			s = f->series[f->slots[i] - 1];
			if (s->hash == hash && same_values(s, label_values, f->nlabels))
				return s;
		}
	}
	if (f->n >= f->cap) {
		if (!f->overflow)
			f->overflow = series_new(f, NULL, 0);
		return f->overflow;
	}
	if (grow(f))
		return NULL;
	s = series_new(f, label_values, hash);
	if (!s)
		return NULL;
	f->series[f->n] = s;
	slot_insert(f->slots, f->nslots, hash, f->n);
	f->n++;
	return s;
}

size_t family_size(const struct metric_family *f)
{
	return f->n + (f->overflow ? 1 : 0);
}

void series_add(struct metric_series *s, double v)
{
	if (s)
		s->value += v;
}

void series_set(struct metric_series *s, double v)
{
	if (s)
		s->value = v;
}

void series_observe(struct metric_series *s, const struct metric_family *f, double v)
{
	if (!s || !s->buckets)
		return;
	s->buckets[bucket_index(f->bounds, f->nbounds, v)]++;
	s->sum += v;
	s->count++;
}

double series_value(const struct metric_series *s)
{
	if (!s)
		return 0;
	return s->buckets ? (double)s->count : s->value;
}
