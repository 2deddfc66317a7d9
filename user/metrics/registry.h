/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A registry of metric families and their series. Single-threaded: the
 * caller holds a lock. Looking up an existing series never allocates. */
#ifndef SONDE_REGISTRY_H
#define SONDE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* Every label value of a family's overflow series. */
#define METRIC_OVERFLOW "__overflow__"

struct registry;
struct metric_family;
struct metric_series;

struct registry *registry_new(void);
void registry_free(struct registry *r);
/* name, help and label_names are copied; buckets too, for histograms (the
 * +Inf bucket is implied). series_cap >= 1: once a family holds series_cap
 * series, any new label set is accounted to one extra overflow series whose
 * every label value is METRIC_OVERFLOW, so totals stay exact. Returns NULL
 * with errno ENOMEM, or EINVAL for a name or label name Prometheus rejects,
 * a name already registered, a repeated label name, a histogram label "le",
 * bounds not finite and strictly increasing, or series_cap 0. */
struct metric_family *registry_add(struct registry *r, const char *name, const char *help,
				   enum metric_type type, const char *const *label_names, size_t nlabels,
				   const double *buckets, size_t nbuckets, size_t series_cap);
/* The family of that name, or NULL: what survives a configuration reload
 * is looked up rather than added twice. */
struct metric_family *registry_find(struct registry *r, const char *name);
/* The series for these label values (one per label name; NULL when there
 * are none), created on first use. All-METRIC_OVERFLOW values name the
 * overflow series. NULL only on ENOMEM. */
struct metric_series *family_series(struct metric_family *f, const char *const *label_values);
/* Removes every series of a family, for gauges recomputed at scrape time. */
void family_reset(struct metric_family *f);
/* The number of series, the overflow series included. */
size_t family_size(const struct metric_family *f);

/* These accept NULL, a series that could not be allocated, and ignore a
 * series of the wrong type. */
void series_add(struct metric_series *s, double v);     /* counter, gauge: += v */
void series_set(struct metric_series *s, double v);     /* gauge, or a counter kept elsewhere: = v */
void series_observe(struct metric_series *s, double v); /* histogram */
/* A counter's or gauge's value; a histogram's count; 0 for NULL. */
double series_value(const struct metric_series *s);

/* Read-only access, for renderers. */
struct family_desc {
	const char *name, *help;
	enum metric_type type;
	const char *const *label_names;
	size_t nlabels;
	const double *bounds; /* histograms */
	size_t nbounds;
};

/* Families in the order added; NULL after the last. */
const struct metric_family *registry_first(const struct registry *r);
const struct metric_family *family_next(const struct metric_family *f);
void family_describe(const struct metric_family *f, struct family_desc *d);
/* Series in creation order, the overflow series last; i < family_size(f). */
const struct metric_series *family_series_at(const struct metric_family *f, size_t i);
/* nlabels values, in label name order. */
const char *const *series_labels(const struct metric_series *s);
/* Histograms: nbounds + 1 counts, one per bucket and not cumulative, +Inf
 * last; and the sum of observations. */
const uint64_t *series_buckets(const struct metric_series *s);
double series_sum(const struct metric_series *s);

#endif
