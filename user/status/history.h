/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The last minutes of each service, for the status page's charts: a
 * bounded ring of samples of the summary's cumulative counts, taken every
 * HISTORY_STEP_MS, from which rates, error ratios and quantiles follow
 * per step. Its own lock: the sampler writes, the HTTP thread reads. */
#ifndef SONDE_HISTORY_H
#define SONDE_HISTORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status/summary.h"

#define HISTORY_POINTS 90 /* 15 minutes */
#define HISTORY_STEP_MS 10000

struct history_sample {
	bool present;
	double requests, errors;
	double cum[SUMMARY_BUCKETS_MAX];
};

struct history {
	pthread_mutex_t lock;
	size_t head, n; /* the oldest point, and how many */
	uint64_t t_ms[HISTORY_POINTS]; /* CLOCK_REALTIME */
	size_t nnames;
	char names[SUMMARY_SERVICES_MAX][SUMMARY_NAME_MAX]; /* a service keeps its column */
	size_t nle;
	double le[SUMMARY_BUCKETS_MAX];
	struct history_sample s[HISTORY_POINTS][SUMMARY_SERVICES_MAX];
};

/* One step of a service: what happened between two samples. */
struct history_step {
	uint64_t t_ms; /* its end */
	double rate; /* requests a second */
	double error_ratio; /* -1 with no requests */
	double p50, p95, p99; /* seconds, -1 with no requests */
};

/* Readies a history in zeroed memory: from calloc, its pages stay out of
 * the resident set until services fill them. */
void history_init(struct history *h);
void history_free(struct history *h);
/* Adds a sample of every service in sum, taken at t_ms. */
void history_add(struct history *h, const struct summary *sum, uint64_t t_ms);
/* The steps of the service called name, oldest first, into out (room for
 * HISTORY_POINTS): how many. With now (the service as it is at now_ms), a
 * last step runs from the latest sample to now, once a second has passed. */
size_t history_steps(struct history *h, const char *name, const struct summary_service *now, uint64_t now_ms,
		     struct history_step *out);

#endif
