// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/clocks.h"
#include "metrics/internal.h"

static void services_clear(struct metric_family *f)
{
	for (size_t i = 0; i < f->service_slots; i++) {
		free(f->services[i].name);
		f->services[i].name = NULL;
		f->services[i].n = 0;
	}
	f->nservices = 0;
}

void family_reset(struct metric_family *f)
{
	for (size_t i = 0; i < f->n; i++)
		series_free(f->series[i]);
	series_free(f->overflow);
	f->overflow = NULL;
	f->last = NULL;
	f->n = 0;
	if (f->slots)
		memset(f->slots, 0, f->nslots * sizeof(*f->slots));
	services_clear(f);
}

void family_free(struct metric_family *f)
{
	family_reset(f);
	free(f->services);
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

/* Label values are short: a loop inline beats a call to strcmp, and this
 * runs for every series an exchange touches. */
static bool same_string(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static bool same_values(const struct metric_series *s, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!same_string(s->values[i], values[i]))
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
	s->created_ms = clocks_unix_ms();
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

int family_limit_per_service(struct metric_family *f, size_t cap)
{
	if (!f->nlabels || (strcmp(f->labels[0], "service") && strcmp(f->labels[0], "client")) || !cap)
		return -EINVAL;
	f->service_cap = cap;
	return 0;
}

void family_expire_when_idle(struct metric_family *f)
{
	f->expires = true;
}

/* The count of a service's series, made at 0 if new; NULL on ENOMEM. */
static struct family_service *service_of(struct metric_family *f, const char *name)
{
	uint64_t h = hash_string(HASH_INIT, name);
	size_t i;

	if ((f->nservices + 1) * 2 > f->service_slots) {
		size_t n = f->service_slots ? 2 * f->service_slots : 16;
		struct family_service *grown = calloc(n, sizeof(*grown));

		if (!grown)
			return NULL;
		for (size_t k = 0; k < f->service_slots; k++) {
			if (!f->services[k].name)
				continue;
			for (i = f->services[k].hash & (n - 1); grown[i].name; i = (i + 1) & (n - 1))
				;
			grown[i] = f->services[k];
		}
		free(f->services);
		f->services = grown;
		f->service_slots = n;
	}
	for (i = h & (f->service_slots - 1); f->services[i].name; i = (i + 1) & (f->service_slots - 1))
		if (f->services[i].hash == h && !strcmp(f->services[i].name, name))
			return &f->services[i];
	f->services[i].name = strdup(name);
	if (!f->services[i].name)
		return NULL;
	f->services[i].hash = h;
	f->services[i].n = 0;
	f->nservices++;
	return &f->services[i];
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

/* A new regular series, in the table. */
static struct metric_series *add_series(struct metric_family *f, const char *const *values, uint64_t hash)
{
	struct metric_series *s;

	if (grow(f))
		return NULL;
	s = series_new(f, values, hash);
	if (!s)
		return NULL;
	s->touched = *f->tick;
	f->series[f->n] = s;
	slot_insert(f->slots, f->nslots, hash, f->n);
	f->n++;
	return s;
}

/* A service over its budget: its own overflow series, a regular one that
 * the budget does not count. */
static struct metric_series *service_overflow(struct metric_family *f, const char *service)
{
	const char *values[f->nlabels];
	struct metric_series *s;
	uint64_t hash;

	values[0] = service;
	for (size_t i = 1; i < f->nlabels; i++)
		values[i] = METRIC_OVERFLOW;
	hash = hash_values(values, f->nlabels);
	s = lookup(f, values, hash);
	if (s)
		return s->touched = *f->tick, s;
	if (f->n >= f->cap)
		return overflow_series(f);
	s = add_series(f, values, hash);
	if (s)
		s->service_overflow = true;
	return s;
}

struct metric_series *family_series(struct metric_family *f, const char *const *label_values)
{
	struct family_service *svc = NULL;
	struct metric_series *s;
	uint64_t hash;

	if (f->last && same_values(f->last, label_values, f->nlabels)) {
		f->last->touched = *f->tick;
		return f->last;
	}
	hash = hash_values(label_values, f->nlabels);
	s = lookup(f, label_values, hash);
	if (s) {
		s->touched = *f->tick;
		return f->last = s;
	}
	/* A regular series with the overflow's labels would duplicate it. */
	if (f->n >= f->cap || overflow_values(f, label_values))
		return overflow_series(f);
	if (f->service_cap) {
		svc = service_of(f, label_values[0]);
		if (!svc)
			return NULL;
		if (svc->n >= f->service_cap)
			return service_overflow(f, label_values[0]);
	}
	s = add_series(f, label_values, hash);
	if (s && svc)
		svc->n++;
	return s;
}

size_t family_expire(struct metric_family *f, uint32_t oldest)
{
	size_t kept = 0, gone;

	for (size_t i = 0; i < f->n; i++) {
		/* Ticks wrap: older is a negative distance. */
		if ((int32_t)(f->series[i]->touched - oldest) < 0)
			series_free(f->series[i]);
		else
			f->series[kept++] = f->series[i];
	}
	gone = f->n - kept;
	if (!gone)
		return 0;
	f->n = kept;
	f->last = NULL;
	memset(f->slots, 0, f->nslots * sizeof(*f->slots));
	services_clear(f);
	for (size_t i = 0; i < f->n; i++) {
		struct metric_series *s = f->series[i];
		struct family_service *svc;

		slot_insert(f->slots, f->nslots, s->hash, i);
		/* Out of memory, a service is counted short until it is again. */
		if (f->service_cap && !s->service_overflow && (svc = service_of(f, s->values[0])))
			svc->n++;
	}
	return gone;
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
