/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A registry of metric families (family.h) and their series (series.h).
 * Single-threaded: the caller holds the pipeline's lock. */
#ifndef SONDE_REGISTRY_H
#define SONDE_REGISTRY_H

#include <stddef.h>

#include "metrics/family.h"
#include "metrics/series.h"

struct registry;

struct registry *registry_new(void);
void registry_free(struct registry *r);
/* name, help and label_names are copied; buckets too, for histograms (the
 * +Inf bucket is implied). series_cap >= 1: once a family holds series_cap
 * series, any new label set is accounted to one extra overflow series whose
 * every label value is METRIC_OVERFLOW, so totals stay exact. Returns NULL
 * with errno ENOMEM, or EINVAL for a name or label name Prometheus rejects,
 * a name already registered, a repeated label name, a histogram label "le",
 * bounds not finite and strictly increasing, or series_cap 0. */
struct metric_family *registry_add(struct registry *r, const char *name, const char *help, enum metric_type type,
				   const char *const *label_names, size_t nlabels, const double *buckets,
				   size_t nbuckets, size_t series_cap);
/* The family of that name, or NULL: what survives a configuration reload
 * is looked up rather than added twice. */
struct metric_family *registry_find(struct registry *r, const char *name);
/* One tick of the registry's clock: the series of expiring families not
 * looked up within the last idle_ticks ticks are dropped. Returns how
 * many. */
size_t registry_expire(struct registry *r, uint32_t idle_ticks);
/* Families in the order added; NULL when none (family_next goes on). */
const struct metric_family *registry_first(const struct registry *r);

#endif
