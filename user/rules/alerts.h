/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Alert rules (alert_rules[] in the configuration): each keeps a window of
 * what it measures, evaluates on its interval, and moves inactive → pending
 * (while "for" has not passed) → firing → resolved, handing every transition
 * (and, while firing, a re-send for Alertmanager) to a callback. The caller
 * holds the pipeline's lock. */
#ifndef SONDE_ALERTS_H
#define SONDE_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "rules/checks.h"
#include "base/config.h"
#include "rules/notify.h"
#include "metrics/window.h"

struct business;
struct exchange;
struct strbuf;

enum alert_phase { PHASE_INACTIVE, PHASE_PENDING, PHASE_FIRING };

struct alert {
	struct alert_rule_config cfg;
	struct window window;
	enum alert_phase phase;
	int64_t started_ms; /* monotonic: when the rule began measuring */
	int64_t next_eval_ms;
	int64_t active_since_ms; /* monotonic: when the condition began to hold */
	int64_t active_at_unix_ms, fired_at_unix_ms;
	int has_value;
	double value;
};

struct alerts {
	struct alert *a;
	size_t n;
};

/* What evaluation reads besides the rules' own windows. */
struct alert_inputs {
	const struct business *business;
	const struct check_result *checks;
	size_t nchecks;
};

typedef void (*alert_notice_fn)(void *arg, const struct alert_notice *n);

/* The bounds are the request duration buckets, borrowed. 0 or -ENOMEM. */
int alerts_init(struct alerts *al, const struct alert_rule_config *rules, size_t n, const double *bounds,
		size_t nbounds);
void alerts_free(struct alerts *al);
/* Feeds every rule that measures this exchange; the business metrics
 * name what their match is. */
void alerts_exchange(struct alerts *al, const struct exchange *x, const struct business *b);
/* Evaluates the rules whose interval has come at mono_ms; unix_ms stamps
 * the notices. */
void alerts_evaluate(struct alerts *al, int64_t mono_ms, int64_t unix_ms, const struct alert_inputs *in,
		     alert_notice_fn fn, void *arg);
/* After a reload: each rule of next whose definition is unchanged in old
 * takes over its state; a rule that went away is resolved if it was
 * firing, through fn. */
void alerts_carry_over(struct alerts *next, struct alerts *old, int64_t unix_ms, alert_notice_fn fn, void *arg);
/* The metric a rule reads, as its configuration names it. */
void alerts_metric_name(const struct alert_rule_config *r, char *out, size_t size);
/* GET /alerts: the pending and firing alerts as a JSON array. */
int alerts_json(const struct alerts *al, struct strbuf *out);

#endif
