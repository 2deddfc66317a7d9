/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The registry's data, shared by registry.c, family.c and series.c only. */
#ifndef SONDE_METRICS_INTERNAL_H
#define SONDE_METRICS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/registry.h"

/* One allocation: the counts, then the label value pointers, then the
 * label values themselves. */
struct metric_series {
	const struct metric_family *family;
	uint64_t hash;
	double value; /* counter or gauge value; histogram sum */
	uint64_t count;
	uint32_t touched; /* the registry's tick when last looked up */
	int64_t created_ms; /* CLOCK_REALTIME: a cumulative series' start */
	bool service_overflow; /* a service's overflow: not in its budget */
	char **values;
	struct series_exemplar *exemplars; /* histograms: nbounds + 1 once one is set */
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
	/* The regular series found last: the next exchange most often has the
	 * same labels, and then costs no hash. NULL once series go. */
	struct metric_series *last;
	/* Per service (label 0), at most service_cap series (0: no budget):
	 * each service's count, by hash of its name, open addressing. */
	size_t service_cap;
	struct family_service {
		uint64_t hash;
		char *name; /* NULL: empty slot */
		size_t n;
	} * services;
	size_t nservices, service_slots;
	bool expires; /* series idle past the registry's bound are dropped */
	const uint32_t *tick; /* the registry's */
};

struct registry {
	struct metric_family *first, *last;
	uint32_t tick;
};

void series_free(struct metric_series *s);
/* Frees a family and its series. */
void family_free(struct metric_family *f);
/* Drops the series last looked up before tick oldest (wrapping);
 * returns how many. */
size_t family_expire(struct metric_family *f, uint32_t oldest);

#endif
