// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "metrics/internal.h"

void family_reset(struct metric_family *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->series[i]);
	free(f->overflow);
	f->overflow = NULL;
	f->n = 0;
	if (f->slots)
		memset(f->slots, 0, f->nslots * sizeof(*f->slots));
}

void family_free(struct metric_family *f)
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

static uint64_t hash_values(const char *const *values, size_t n)
{
	uint64_t h = HASH_INIT;

	for (size_t i = 0; i < n; i++)
		h = hash_string(h, values[i]);
	return h;
}

static bool same_values(const struct metric_series *s, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->values[i], values[i]))
			return false;
	return true;
}

static bool overflow_values(const struct metric_family *f, const char *const *values)
{
	for (size_t i = 0; i < f->nlabels; i++)
		if (strcmp(values[i], METRIC_OVERFLOW))
			return false;
	return f->nlabels > 0;
}

/* values NULL makes the overflow series. */
static struct metric_series *series_new(const struct metric_family *f, const char *const *values, uint64_t hash)
{
	size_t nbuckets = f->type == METRIC_HISTOGRAM ? f->nbounds + 1 : 0;
	size_t head = sizeof(struct metric_series) + nbuckets * sizeof(uint64_t);
	size_t size = head + f->nlabels * sizeof(char *);
	struct metric_series *s;
	char *text;

	for (size_t i = 0; i < f->nlabels; i++)
		size += strlen(values ? values[i] : METRIC_OVERFLOW) + 1;
	s = calloc(1, size);
	if (!s)
		return NULL;
	s->family = f;
	s->hash = hash;
	s->values = (char **)((char *)s + head);
	text = (char *)(s->values + f->nlabels);
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *v = values ? values[i] : METRIC_OVERFLOW;
		size_t len = strlen(v) + 1;

		memcpy(text, v, len);
		s->values[i] = text;
		text += len;
	}
	return s;
}

static void slot_insert(size_t *slots, size_t nslots, uint64_t hash, size_t index)
{
	size_t i = hash & (nslots - 1);

	while (slots[i])
		i = (i + 1) & (nslots - 1);
	slots[i] = index + 1;
}

/* Room for one more series, the table kept at most half full so that
 * probes stay short. */
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

static struct metric_series *overflow_series(struct metric_family *f)
{
	if (!f->overflow)
		f->overflow = series_new(f, NULL, 0);
	return f->overflow;
}

static struct metric_series *lookup(const struct metric_family *f, const char *const *values, uint64_t hash)
{
	size_t mask = f->nslots - 1;

	if (!f->nslots)
		return NULL;
	for (size_t i = hash & mask; f->slots[i]; i = (i + 1) & mask) {
		struct metric_series *s = f->series[f->slots[i] - 1];

		if (s->hash == hash && same_values(s, values, f->nlabels))
			return s;
	}
	return NULL;
}

struct metric_series *family_series(struct metric_family *f, const char *const *label_values)
{
	uint64_t hash = hash_values(label_values, f->nlabels);
	struct metric_series *s = lookup(f, label_values, hash);

	if (s)
		return s;
	/* A regular series with the overflow's labels would duplicate it. */
	if (f->n >= f->cap || overflow_values(f, label_values))
		return overflow_series(f);
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

const struct metric_family *family_next(const struct metric_family *f)
{
	return f->next;
}

void family_describe(const struct metric_family *f, struct family_desc *d)
{
	d->name = f->name;
	d->help = f->help;
	d->type = f->type;
	d->label_names = (const char *const *)f->labels;
	d->nlabels = f->nlabels;
	d->bounds = f->bounds;
	d->nbounds = f->nbounds;
}

const struct metric_series *family_series_at(const struct metric_family *f, size_t i)
{
	return i < f->n ? f->series[i] : f->overflow;
}
