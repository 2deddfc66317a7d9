/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A registry of metric families and their series. Single-threaded: the
 * caller holds a lock. Looking up an existing series never allocates. */
#ifndef SONDE_METRICS_H
#define SONDE_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* The label value of every label of the overflow series. */
#define METRIC_OVERFLOW "__overflow__"

struct metric_series {
	char **values;
	uint64_t hash;
	double value;       /* counter or gauge */
	uint64_t *buckets;  /* histogram: count per bucket, not cumulative; last is +Inf */
	double sum;
	uint64_t count;
};

struct metric_family {
	char *name;
	char *help;
	enum metric_type type;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	size_t cap;
	struct metric_series **series; /* in creation order */
	size_t n, alloc;
	size_t *slots;                 /* open addressing: index + 1, 0 empty */
	size_t nslots;
	struct metric_series *overflow;
	struct metric_family *next;
};

struct registry {
	struct metric_family *first, *last;
};

struct registry *registry_new(void);
void registry_free(struct registry *r);
/* label_names and buckets are copied. Once a family holds series_cap
 * series, every new label set is accounted to one overflow series whose
 * labels are all METRIC_OVERFLOW, so totals stay exact. */
struct metric_family *registry_add(struct registry *r, const char *name, const char *help,
				   enum metric_type type, const char *const *label_names, size_t nlabels,
				   const double *buckets, size_t nbuckets, size_t series_cap);
/* The series for these label values (NULL for a family without labels),
 * created on first use. NULL only when out of memory. */
struct metric_series *family_series(struct metric_family *f, const char *const *label_values);
void family_reset(struct metric_family *f);
size_t family_size(const struct metric_family *f);

/* All accept NULL (a series that could not be allocated) and do nothing. */
void series_add(struct metric_series *s, double v);
void series_set(struct metric_series *s, double v);
void series_observe(struct metric_series *s, const struct metric_family *f, double v);
double series_value(const struct metric_series *s);

#endif
