// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buckets.h"
#include "base/hash.h"
#include "metrics/registry.h"

/* One allocation: the counts, then the label value pointers, then the
 * label values themselves. */
struct metric_series {
	const struct metric_family *family;
	uint64_t hash;
	double value; /* counter or gauge value; histogram sum */
	uint64_t count;
	char **values;
	uint64_t buckets[]; /* histograms: nbounds + 1 */
};

struct metric_family {
	struct metric_family *next;
	char *name, *help;
	enum metric_type type;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	size_t cap;
	struct metric_series **series; /* creation order */
	size_t n, alloc;
	size_t *slots; /* open addressing: series index + 1, 0 empty */
	size_t nslots; /* a power of two, at least twice n */
	struct metric_series *overflow;
};

struct registry {
	struct metric_family *first, *last;
};

struct registry *registry_new(void)
{
	return calloc(1, sizeof(struct registry));
}

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

/* Prometheus names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':'. */
static bool valid_name(const char *s, bool colon)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (colon && c == ':')))
			return false;
	}
	return true;
}

static bool valid_family(const struct registry *r, const char *name, enum metric_type type,
			 const char *const *label_names, size_t nlabels, const double *buckets,
			 size_t nbuckets, size_t series_cap)
{
	if (!series_cap || !valid_name(name, true) || (nlabels && !label_names) ||
	    (type == METRIC_HISTOGRAM && nbuckets && !buckets))
		return false;
	for (const struct metric_family *f = r->first; f; f = f->next)
		if (!strcmp(f->name, name))
			return false;
	for (size_t i = 0; i < nlabels; i++) {
		/* Names starting "__" are Prometheus's own. */
		if (!valid_name(label_names[i], false) || !strncmp(label_names[i], "__", 2) ||
		    (type == METRIC_HISTOGRAM && !strcmp(label_names[i], "le")))
			return false;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(label_names[i], label_names[j]))
				return false;
	}
	if (type != METRIC_HISTOGRAM)
		return true;
	for (size_t i = 0; i < nbuckets; i++)
		if (!isfinite(buckets[i]) || (i && buckets[i] <= buckets[i - 1]))
			return false;
	return true;
}

struct metric_family *registry_add(struct registry *r, const char *name, const char *help,
				   enum metric_type type, const char *const *label_names, size_t nlabels,
				   const double *buckets, size_t nbuckets, size_t series_cap)
{
	struct metric_family *f;

	if (!valid_family(r, name, type, label_names, nlabels, buckets, nbuckets, series_cap)) {
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->type = type;
	f->cap = series_cap;
	f->name = strdup(name);
	f->help = strdup(help);
	/* Never a zero-sized request: malloc(0) may return NULL. */
	f->labels = calloc(nlabels + 1, sizeof(*f->labels));
	if (!f->name || !f->help || !f->labels)
		goto fail;
	f->nlabels = nlabels;
	for (size_t i = 0; i < nlabels; i++) {
		f->labels[i] = strdup(label_names[i]);
		if (!f->labels[i])
			goto fail;
	}
	if (type == METRIC_HISTOGRAM) {
		f->bounds = calloc(nbuckets + 1, sizeof(*f->bounds));
		if (!f->bounds)
			goto fail;
		if (nbuckets)
			memcpy(f->bounds, buckets, nbuckets * sizeof(*f->bounds));
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
	errno = ENOMEM;
	return NULL;
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
static struct metric_series *series_new(const struct metric_family *f, const char *const *values,
					uint64_t hash)
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

struct metric_family *registry_find(struct registry *r, const char *name)
{
	for (struct metric_family *f = r->first; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const struct metric_family *registry_first(const struct registry *r)
{
	return r->first;
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
