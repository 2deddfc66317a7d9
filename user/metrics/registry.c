// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/internal.h"

struct registry *registry_new(void)
{
	return calloc(1, sizeof(struct registry));
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
			 const char *const *label_names, size_t nlabels, const double *buckets, size_t nbuckets,
			 size_t series_cap)
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

struct metric_family *registry_add(struct registry *r, const char *name, const char *help, enum metric_type type,
				   const char *const *label_names, size_t nlabels, const double *buckets,
				   size_t nbuckets, size_t series_cap)
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
	f->tick = &r->tick;
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

struct metric_family *registry_find(struct registry *r, const char *name)
{
	for (struct metric_family *f = r->first; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

size_t registry_expire(struct registry *r, uint32_t idle_ticks)
{
	size_t gone = 0;

	r->tick++;
	for (struct metric_family *f = r->first; f; f = f->next)
		if (f->expires)
			gone += family_expire(f, r->tick - idle_ticks);
	return gone;
}

const struct metric_family *registry_first(const struct registry *r)
{
	return r->first;
}
