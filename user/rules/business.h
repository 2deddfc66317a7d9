/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Business metrics (business_metrics[] in the configuration): requests
 * matched by service, method, endpoint and status, counted or timed under
 * the namespace, and their SLAs over a sliding window. The caller holds the
 * pipeline's lock. */
#ifndef SONDE_BUSINESS_H
#define SONDE_BUSINESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "metrics/window.h"

struct registry;
struct metric_family;
struct metric_series;
struct exchange;

struct business_metric {
	struct business_config cfg;
	struct metric_series *series; /* the counter, or the histogram of durations */
	struct window sla; /* observations and violations, when cfg.has_sla */
	double sla_value; /* counters: matched requests per second over the window */
	double sla_ratio; /* the share of the window that complied, 0..1 */
	int sla_met;
};

struct business {
	struct business_metric *m;
	size_t n;
	struct metric_family *sla_met; /* <ns>_sla_met{sla} */
	struct metric_family *sla_ratio; /* <ns>_sla_compliance_ratio{sla} */
};

/* A server exchange that parsed: its status is 0 when the response did not. */
int business_matches(const struct request_match *m, const struct exchange *x);
/* Registers (or, after a reload, finds) each metric's family. A name taken
 * by another family, or by this one with another type, is refused with a
 * reason in err. 0 or a negative errno. */
int business_init(struct business *b, const struct business_config *cfg, size_t n, struct registry *reg, const char *ns,
		  const double *buckets, size_t nbuckets, char *err, size_t errlen);
void business_free(struct business *b);
/* After a reload: each metric of next whose definition is unchanged in
 * old takes over its SLA window. */
void business_carry_over(struct business *next, struct business *old);
void business_exchange(struct business *b, const struct exchange *x);
/* Recomputes every SLA over its window ending at now_ms (CLOCK_MONOTONIC)
 * and sets the gauges. */
void business_refresh(struct business *b, int64_t now_ms);
const struct business_metric *business_find(const struct business *b, const char *name);

#endif
