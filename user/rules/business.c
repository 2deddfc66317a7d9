// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/business.h"
#include "metrics/registry.h"
#include "pipeline/exchange.h"

#define SLA_SERIES_CAP 1000

int business_matches(const struct request_match *m, const struct exchange *x)
{
	if (x->role != SONDE_ROLE_SERVER)
		return 0;
	if ((m->service[0] && strcmp(m->service, x->service)) || (m->method[0] && strcmp(m->method, x->method)) ||
	    (m->endpoint[0] && strcmp(m->endpoint, x->endpoint)))
		return 0;
	return !m->status_lo || (x->status >= m->status_lo && x->status <= m->status_hi);
}

static struct metric_family *find_or_add(struct registry *reg, const char *name, const char *help,
					 enum metric_type type, const char *const *labels, size_t nlabels,
					 const double *buckets, size_t nbuckets, size_t cap)
{
	struct metric_family *f = registry_find(reg, name);
	struct family_desc d;

	if (!f)
		return registry_add(reg, name, help, type, labels, nlabels, buckets, nbuckets, cap);
	family_describe(f, &d);
	if (d.type != type || d.nlabels != nlabels) {
		errno = EEXIST;
		return NULL;
	}
	return f;
}

int business_init(struct business *b, const struct business_config *cfg, size_t n, struct registry *reg, const char *ns,
		  const double *buckets, size_t nbuckets, char *err, size_t errlen)
{
	static const char *const sla_label[] = { "sla" };
	char name[2 * SONDE_NAME_MAX + 32];
	int ret = -ENOMEM;

	memset(b, 0, sizeof(*b));
	snprintf(name, sizeof(name), "%s_sla_met", ns);
	b->sla_met = find_or_add(reg, name, "1 when the SLA is met over its window, else 0", METRIC_GAUGE, sla_label, 1,
				 NULL, 0, SLA_SERIES_CAP);
	snprintf(name, sizeof(name), "%s_sla_compliance_ratio", ns);
	b->sla_ratio = find_or_add(reg, name, "Share of the SLA's window that complied with its target", METRIC_GAUGE,
				   sla_label, 1, NULL, 0, SLA_SERIES_CAP);
	b->m = calloc(n ? n : 1, sizeof(*b->m));
	if (!b->sla_met || !b->sla_ratio || !b->m)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct business_metric *m = &b->m[i];
		struct metric_family *f;

		m->cfg = cfg[i];
		b->n++;
		snprintf(name, sizeof(name), "%s_%s", ns, cfg[i].name);
		f = find_or_add(reg, name, cfg[i].description[0] ? cfg[i].description : cfg[i].name,
				cfg[i].value_duration ? METRIC_HISTOGRAM : METRIC_COUNTER, NULL, 0, buckets, nbuckets,
				1);
		if (!f) {
			snprintf(err, errlen, "business metric %s: the name %s is taken by another metric", cfg[i].name,
				 name);
			ret = -EEXIST;
			goto fail;
		}
		m->series = family_series(f, NULL);
		m->sla_ratio = 1;
		m->sla_met = 1;
		if (!m->series || (cfg[i].has_sla && window_init(&m->sla, cfg[i].sla_window_ms, NULL, 0)))
			goto fail;
	}
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	business_free(b);
	return ret;
}

void business_free(struct business *b)
{
	for (size_t i = 0; i < b->n; i++)
		window_free(&b->m[i].sla);
	free(b->m);
	b->m = NULL;
	b->n = 0;
}

void business_carry_over(struct business *next, struct business *old)
{
	for (size_t i = 0; i < next->n; i++) {
		for (size_t j = 0; j < old->n; j++) {
			struct business_metric *o = &old->m[j], *n = &next->m[i];
			struct window w;

			if (memcmp(&o->cfg, &n->cfg, sizeof(n->cfg)))
				continue;
			w = n->sla;
			n->sla = o->sla;
			o->sla = w;
		}
	}
}

void business_exchange(struct business *b, const struct exchange *x)
{
	double seconds = exchange_seconds(x);
	int64_t now_ms = (int64_t)(x->end_ns / 1000000);

	for (size_t i = 0; i < b->n; i++) {
		struct business_metric *m = &b->m[i];

		if (!business_matches(&m->cfg.match, x))
			continue;
		if (m->cfg.value_duration)
			series_observe(m->series, seconds);
		else
			series_add(m->series, 1);
		/* A timed SLA judges each request; a counted one, the rate. */
		if (m->cfg.has_sla)
			window_request(&m->sla, now_ms, seconds,
				       m->cfg.value_duration &&
					       !config_op_holds(m->cfg.sla_op, seconds, m->cfg.sla_target));
	}
}

static void refresh_one(struct business_metric *m, int64_t now_ms)
{
	struct window_slot total = { 0 };

	window_total(&m->sla, now_ms, &total);
	if (m->cfg.value_duration) {
		/* An empty window has broken nothing. */
		m->sla_ratio = total.count ? (total.count - total.errors) / total.count : 1;
		m->sla_met = m->sla_ratio >= m->cfg.sla_objective;
	} else {
		m->sla_value = total.count * 1000.0 / (double)m->sla.span_ms;
		m->sla_met = config_op_holds(m->cfg.sla_op, m->sla_value, m->cfg.sla_target);
		m->sla_ratio = m->sla_met;
	}
}

void business_refresh(struct business *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->n; i++) {
		struct business_metric *m = &b->m[i];
		const char *label[] = { m->cfg.name };

		if (!m->cfg.has_sla)
			continue;
		refresh_one(m, now_ms);
		series_set(family_series(b->sla_met, label), m->sla_met);
		series_set(family_series(b->sla_ratio, label), m->sla_ratio);
	}
}

const struct business_metric *business_find(const struct business *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->m[i].cfg.name, name))
			return &b->m[i];
	return NULL;
}
