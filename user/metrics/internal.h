/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The registry's data, shared by registry.c, family.c and series.c only. */
#ifndef SONDE_METRICS_INTERNAL_H
#define SONDE_METRICS_INTERNAL_H

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

/* Frees a family and its series. */
void family_free(struct metric_family *f);

#endif
