// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rules/alerts.h"
#include "rules/business.h"
#include "base/log.h"
#include "sonde.h"
#include "base/strbuf.h"
#include "base/clocks.h"
#include "pipeline/exchange.h"

int alerts_init(struct alerts *al, const struct alert_rule_config *rules, size_t n, const double *bounds,
		size_t nbounds)
{
	memset(al, 0, sizeof(*al));
	al->a = calloc(n ? n : 1, sizeof(*al->a));
	if (!al->a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		al->a[i].cfg = rules[i];
		al->a[i].started_ms = -1;
		al->n++;
		if (window_init(&al->a[i].window, rules[i].window_ms, bounds, nbounds)) {
			alerts_free(al);
			return -ENOMEM;
		}
	}
	return 0;
}

void alerts_free(struct alerts *al)
{
	for (size_t i = 0; i < al->n; i++)
		window_free(&al->a[i].window);
	free(al->a);
	al->a = NULL;
	al->n = 0;
}

void alerts_metric_name(const struct alert_rule_config *r, char *out, size_t size)
{
	static const char *const builtin[] = { "error_rate", "request_rate", "latency_p50", "latency_p95",
					       "latency_p99" };

	switch (r->metric) {
	case AM_HEALTH:
		snprintf(out, size, "health:%s", r->metric_arg);
		break;
	case AM_SLA:
		snprintf(out, size, "sla:%s", r->metric_arg);
		break;
	case AM_BUSINESS:
		snprintf(out, size, "%s", r->metric_arg);
		break;
	default:
		snprintf(out, size, "%s", builtin[r->metric]);
	}
}

void alerts_exchange(struct alerts *al, const struct exchange *x, const struct business *b)
{
	double seconds = exchange_seconds(x);
	int64_t now_ms = (int64_t)(x->end_ns / 1000000);

	if (x->role != SONDE_ROLE_SERVER)
		return;
	for (size_t i = 0; i < al->n; i++) {
		struct alert *a = &al->a[i];

		if (a->cfg.metric == AM_HEALTH || a->cfg.metric == AM_SLA)
			continue;
		if (a->cfg.metric == AM_BUSINESS) {
			const struct business_metric *m = business_find(b, a->cfg.metric_arg);

			if (!m || !business_matches(&m->cfg.match, x))
				continue;
		} else if (a->cfg.service[0] && strcmp(a->cfg.service, x->service)) {
			continue;
		}
		window_request(&a->window, now_ms, seconds, exchange_server_error(x));
	}
}

/* A slot's value of the rule's metric; 0 when the slot has none. */
static int slot_value(const struct alert *a, const struct window_slot *s, const struct business *b, double *v)
{
	const struct window *w = &a->window;
	double width_s = (double)w->width_ms / 1000;
	const struct business_metric *m;

	switch (a->cfg.metric) {
	case AM_ERROR_RATE:
		*v = s->count ? 100 * s->errors / s->count : 0;
		return s->count > 0;
	case AM_REQUEST_RATE:
		*v = s->count / width_s;
		return 1;
	case AM_LATENCY_P50:
	case AM_LATENCY_P95:
	case AM_LATENCY_P99: {
		static const double q[] = { 0.5, 0.95, 0.99 };

		*v = window_quantile(w->bounds, w->nbounds, s->hist, q[a->cfg.metric - AM_LATENCY_P50]);
		return s->count > 0;
	}
	case AM_HEALTH:
	case AM_SLA:
		*v = s->samples ? s->sample_sum / s->samples : 0;
		return s->samples > 0;
	case AM_BUSINESS:
		m = business_find(b, a->cfg.metric_arg);
		if (m && m->cfg.value_duration) {
			*v = s->count ? s->sum / s->count : 0;
			return s->count > 0;
		}
		*v = s->count / width_s;
		return 1;
	}
	return 0;
}

/* Rates count the slots without requests as zero, from when the rule began. */
static int counts_empty_slots(const struct alert *a, const struct business *b)
{
	const struct business_metric *m;

	if (a->cfg.metric == AM_REQUEST_RATE)
		return 1;
	if (a->cfg.metric != AM_BUSINESS)
		return 0;
	m = business_find(b, a->cfg.metric_arg);
	return m && !m->cfg.value_duration;
}

/* The rule's metric over its window, aggregated across the slots that
 * have a value; 0 when none has. */
static int aggregate(const struct alert *a, int64_t now_ms, const struct business *b, double *out)
{
	const struct window_slot *live[WINDOW_SLOTS];
	size_t n = window_live(&a->window, now_ms, live), values = 0;
	double sum = 0, lo = INFINITY, hi = -INFINITY, v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!slot_value(a, live[i], b, &v) || isnan(v))
			continue;
		values++;
		sum += v;
		lo = fmin(lo, (a->cfg.metric == AM_HEALTH || a->cfg.metric == AM_SLA) ? live[i]->sample_min : v);
		hi = fmax(hi, (a->cfg.metric == AM_HEALTH || a->cfg.metric == AM_SLA) ? live[i]->sample_max : v);
	}
	if (counts_empty_slots(a, b)) {
		int64_t elapsed = (now_ms - a->started_ms) / a->window.width_ms + 1;
		size_t slots = elapsed < (int64_t)a->window.nslots ? (size_t)elapsed : a->window.nslots;

		if (slots > values) {
			lo = fmin(lo, 0);
			hi = fmax(hi, 0);
			values = slots;
		}
	}
	if (!values)
		return 0;
	switch (a->cfg.aggregation) {
	case AGG_AVERAGE:
		*out = sum / (double)values;
		break;
	case AGG_MAX:
		*out = hi;
		break;
	case AGG_MIN:
		*out = lo;
		break;
	case AGG_SUM:
		*out = sum;
		break;
	case AGG_COUNT:
		*out = (double)values;
		break;
	}
	return 1;
}

/* Health and SLAs are sampled at each evaluation into the window. */
static void sample_inputs(struct alert *a, int64_t now_ms, const struct alert_inputs *in)
{
	if (a->cfg.metric == AM_HEALTH) {
		for (size_t i = 0; i < in->nchecks; i++)
			if (!strcmp(in->checks[i].name, a->cfg.metric_arg) && in->checks[i].status != HEALTH_UNKNOWN)
				window_sample(&a->window, now_ms, health_status_value(in->checks[i].status));
	} else if (a->cfg.metric == AM_SLA) {
		const struct business_metric *m = business_find(in->business, a->cfg.metric_arg);

		if (m)
			window_sample(&a->window, now_ms, 100 * m->sla_ratio);
	}
}

static void notify(const struct alert *a, enum alert_state state, int repeat, int64_t unix_ms, alert_notice_fn fn,
		   void *arg)
{
	struct alert_notice n = {
		.level = a->cfg.level,
		.state = state,
		.value = a->has_value ? a->value : NAN,
		.threshold = a->cfg.threshold,
		.condition = a->cfg.condition,
		.starts_at_ms = a->fired_at_unix_ms,
		.ends_at_ms = state == ALERT_RESOLVED ? unix_ms : 0,
		.repeat = repeat,
	};

	snprintf(n.rule, sizeof(n.rule), "%s", a->cfg.name);
	snprintf(n.service, sizeof(n.service), "%s", a->cfg.service);
	alerts_metric_name(&a->cfg, n.metric, sizeof(n.metric));
	snprintf(n.description, sizeof(n.description), "%s", a->cfg.description);
	snprintf(n.summary, sizeof(n.summary), "%s %s %g (threshold %g)", n.metric, config_op_name(a->cfg.condition),
		 n.value, a->cfg.threshold);
	fn(arg, &n);
}

void alerts_carry_over(struct alerts *next, struct alerts *old, int64_t unix_ms, alert_notice_fn fn, void *arg)
{
	for (size_t j = 0; j < old->n; j++) {
		struct alert *o = &old->a[j];
		int kept = 0;

		for (size_t i = 0; i < next->n && !kept; i++) {
			struct alert swap;

			if (memcmp(&o->cfg, &next->a[i].cfg, sizeof(o->cfg)))
				continue;
			swap = next->a[i];
			next->a[i] = *o;
			*o = swap;
			kept = 1;
		}
		/* Gone: resolved if it was firing. */
		if (!kept && o->phase == PHASE_FIRING)
			notify(o, ALERT_RESOLVED, 0, unix_ms, fn, arg);
		if (!kept)
			o->phase = PHASE_INACTIVE;
	}
}

static void evaluate_one(struct alert *a, int64_t mono_ms, int64_t unix_ms, const struct alert_inputs *in,
			 alert_notice_fn fn, void *arg)
{
	int holds;

	sample_inputs(a, mono_ms, in);
	a->has_value = aggregate(a, mono_ms, in->business, &a->value);
	holds = a->has_value && config_op_holds(a->cfg.condition, a->value, a->cfg.threshold);
	if (!holds) {
		if (a->phase == PHASE_FIRING) {
			log_info("alerts", "%s resolved (%s %g)", a->cfg.name, a->has_value ? "value" : "no data",
				 a->has_value ? a->value : 0);
			notify(a, ALERT_RESOLVED, 0, unix_ms, fn, arg);
		}
		a->phase = PHASE_INACTIVE;
		return;
	}
	if (a->phase == PHASE_INACTIVE) {
		a->phase = PHASE_PENDING;
		a->active_since_ms = mono_ms;
		a->active_at_unix_ms = unix_ms;
	}
	if (a->phase == PHASE_PENDING && mono_ms - a->active_since_ms >= (int64_t)a->cfg.for_ms) {
		a->phase = PHASE_FIRING;
		a->fired_at_unix_ms = unix_ms;
		log_warn("alerts", "%s firing: %g %s %g", a->cfg.name, a->value, config_op_name(a->cfg.condition),
			 a->cfg.threshold);
		notify(a, ALERT_FIRING, 0, unix_ms, fn, arg);
	} else if (a->phase == PHASE_FIRING) {
		notify(a, ALERT_FIRING, 1, unix_ms, fn, arg);
	}
}

void alerts_evaluate(struct alerts *al, int64_t mono_ms, int64_t unix_ms, const struct alert_inputs *in,
		     alert_notice_fn fn, void *arg)
{
	for (size_t i = 0; i < al->n; i++) {
		struct alert *a = &al->a[i];

		if (a->started_ms < 0) {
			a->started_ms = mono_ms;
			a->next_eval_ms = mono_ms + (int64_t)a->cfg.interval_ms;
		}
		if (mono_ms < a->next_eval_ms)
			continue;
		a->next_eval_ms = mono_ms + (int64_t)a->cfg.interval_ms;
		evaluate_one(a, mono_ms, unix_ms, in, fn, arg);
	}
}

static void add_time(json_object *o, const char *key, int64_t unix_ms)
{
	char t[CLOCKS_RFC3339_LEN];

	clocks_rfc3339(unix_ms, t);
	json_object_object_add(o, key, json_object_new_string(t));
}

int alerts_json(const struct alerts *al, struct strbuf *out)
{
	static const char *const levels[] = { "info", "warning", "critical" };
	json_object *list = json_object_new_array();
	char metric[96];
	int ret;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < al->n; i++) {
		const struct alert *a = &al->a[i];
		json_object *o;

		if (a->phase == PHASE_INACTIVE)
			continue;
		o = json_object_new_object();
		alerts_metric_name(&a->cfg, metric, sizeof(metric));
		json_object_object_add(o, "rule", json_object_new_string(a->cfg.name));
		json_object_object_add(o, "service", json_object_new_string(a->cfg.service));
		json_object_object_add(o, "state",
				       json_object_new_string(a->phase == PHASE_FIRING ? "firing" : "pending"));
		json_object_object_add(o, "level", json_object_new_string(levels[a->cfg.level]));
		json_object_object_add(o, "metric", json_object_new_string(metric));
		json_object_object_add(o, "condition", json_object_new_string(config_op_name(a->cfg.condition)));
		json_object_object_add(o, "value",
				       a->has_value && isfinite(a->value) ? json_object_new_double(a->value) : NULL);
		json_object_object_add(o, "threshold", json_object_new_double(a->cfg.threshold));
		json_object_object_add(o, "description", json_object_new_string(a->cfg.description));
		add_time(o, "active_at", a->active_at_unix_ms);
		if (a->phase == PHASE_FIRING)
			add_time(o, "fired_at", a->fired_at_unix_ms);
		json_object_array_add(list, o);
	}
	ret = strbuf_printf(out, "%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN));
	json_object_put(list);
	return ret;
}
