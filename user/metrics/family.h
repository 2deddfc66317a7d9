/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A metric family: its series by label values, bounded by the family's
 * series cap. Looking up an existing series never allocates. */
#ifndef SONDE_FAMILY_H
#define SONDE_FAMILY_H

#include <stddef.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

/* Every label value of a family's overflow series. */
#define METRIC_OVERFLOW "__overflow__"

struct metric_family;
struct metric_series;

/* The series for these label values (one per label name; NULL when there
 * are none), created on first use. All-METRIC_OVERFLOW values name the
 * overflow series. NULL only on ENOMEM. */
struct metric_series *family_series(struct metric_family *f, const char *const *label_values);
/* A budget of series per service for a family whose first label is
 * service (or client, the service graph's calling service): once a service holds cap series, its new label sets are
 * accounted to its own overflow series (the service's name, every other
 * label METRIC_OVERFLOW), so no service takes another's room; the
 * family's cap still bounds the total. 0 or -EINVAL. */
int family_limit_per_service(struct metric_family *f, size_t cap);
/* Series of the family not looked up for a while are dropped
 * (registry_expire), as a target's series end in Prometheus. */
void family_expire_when_idle(struct metric_family *f);
/* Removes every series of a family, for gauges recomputed at scrape time. */
void family_reset(struct metric_family *f);
/* The number of series, the overflow series included. */
size_t family_size(const struct metric_family *f);

/* Read-only access, for renderers. */
struct family_desc {
	const char *name, *help;
	enum metric_type type;
	const char *const *label_names;
	size_t nlabels;
	const double *bounds; /* histograms */
	size_t nbounds;
};

/* The family added after f, or NULL. */
const struct metric_family *family_next(const struct metric_family *f);
void family_describe(const struct metric_family *f, struct family_desc *d);
/* Series in creation order, the overflow series last; i < family_size(f). */
const struct metric_series *family_series_at(const struct metric_family *f, size_t i);

#endif
