// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base/clocks.h"
#include "base/strbuf.h"
#include "metrics/family.h"
#include "metrics/series.h"
#include "pipeline/exchange.h"
#include "pipeline/red.h"
#include "pipeline/services.h"
#include "rules/business.h"
#include "rules/checks.h"
#include "rules/health.h"

const char *health_status_name(enum health_status s)
{
	static const char *const names[] = { "unknown", "healthy", "degraded", "unhealthy" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

double health_status_value(enum health_status s)
{
	return s == HEALTH_HEALTHY ? 1 : s == HEALTH_DEGRADED ? 0.5 : 0;
}

void health_exchange(struct health_recent *r, const struct exchange *x)
{
	struct recent_service *s = NULL;

	if (x->role != SONDE_ROLE_SERVER)
		return;
	for (size_t i = 0; i < r->n && !s; i++)
		if (!strcmp(r->services[i].name, x->service))
			s = &r->services[i];
	if (!s) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 8;
			struct recent_service *more;

			if (cap > SONDE_MAX_SERVICES)
				return;
			more = realloc(r->services, cap * sizeof(*more));
			if (!more)
				return;
			r->services = more;
			r->cap = cap;
		}
		s = &r->services[r->n];
		snprintf(s->name, sizeof(s->name), "%s", x->service);
		if (window_init(&s->window, HEALTH_RECENT_MS, NULL, 0))
			return;
		r->n++;
	}
	window_request(&s->window, (int64_t)(x->end_ns / 1000000), 0, exchange_server_error(x));
}

void health_recent_free(struct health_recent *r)
{
	for (size_t i = 0; i < r->n; i++)
		window_free(&r->services[i].window);
	free(r->services);
	memset(r, 0, sizeof(*r));
}

enum health_status health_overall(const struct check_result *checks, size_t n)
{
	enum health_status worst = HEALTH_HEALTHY;

	for (size_t i = 0; i < n; i++)
		if (checks[i].status > worst)
			worst = checks[i].status;
	return worst;
}

struct service_summary {
	const char *name;
	double requests, errors, duration_sum, duration_count, connections, processes;
	int has_processes, expected;
	double recent_requests, recent_errors;
	double tls_unreadable; /* TLS connections no probe reads */
};

struct summaries {
	struct service_summary *s;
	size_t n, cap;
};

static struct service_summary *summary(struct summaries *all, const char *name)
{
	for (size_t i = 0; i < all->n; i++)
		if (!strcmp(all->s[i].name, name))
			return &all->s[i];
	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 16;
		struct service_summary *more = realloc(all->s, cap * sizeof(*more));

		if (!more)
			return NULL;
		all->s = more;
		all->cap = cap;
	}
	memset(&all->s[all->n], 0, sizeof(all->s[0]));
	all->s[all->n].name = name;
	return &all->s[all->n++];
}

/* The RED families' series, summed by service. */
static int add_figures(void *arg, const char *service, const struct red_figures *f)
{
	struct service_summary *s = summary(arg, service);

	if (!s)
		return -ENOMEM;
	s->requests += f->requests;
	s->errors += f->errors;
	s->duration_sum += f->duration_sum;
	s->duration_count += f->duration_count;
	s->connections += f->connections;
	s->processes += f->processes;
	s->has_processes |= f->has_processes;
	return 0;
}

static int summarize(const struct health_inputs *in, struct summaries *all)
{
	int ret = 0;

	for (size_t i = 0; i < in->nexpected && !ret; i++) {
		struct service_summary *s = summary(all, in->expected[i]);

		if (!s)
			return -ENOMEM;
		s->expected = 1;
	}
	ret = red_each_series(in->red, add_figures, all);
	for (size_t i = 0; in->tls_unreadable && i < family_size(in->tls_unreadable) && !ret; i++) {
		const struct metric_series *m = family_series_at(in->tls_unreadable, i);
		struct service_summary *s = summary(all, series_labels(m)[0]);

		if (!s)
			return -ENOMEM;
		s->tls_unreadable += series_value(m);
	}
	for (size_t i = 0; i < in->recent->n && !ret; i++) {
		const struct recent_service *r = &in->recent->services[i];
		struct service_summary *s = summary(all, r->name);
		struct window_slot total = { 0 };

		if (!s)
			return -ENOMEM;
		window_total(&r->window, in->mono_ms, &total);
		s->recent_requests = total.count;
		s->recent_errors = total.errors;
	}
	return ret;
}

static enum health_status service_status(const struct service_summary *s, char *msg, size_t size)
{
	double ratio = s->recent_requests ? s->recent_errors / s->recent_requests : 0;

	if (s->expected && (!s->has_processes || !s->processes)) {
		snprintf(msg, size, "no process of the service is running");
		return HEALTH_UNHEALTHY;
	}
	/* Not healthy for want of errors: sonde does not see its traffic. */
	if (s->tls_unreadable && !s->recent_requests) {
		snprintf(msg, size, "traffic not visible: %.0f TLS connections through a library sonde does not read",
			 s->tls_unreadable);
		return HEALTH_UNKNOWN;
	}
	snprintf(msg, size, "%.0f of %.0f requests failed in the last %d s", s->recent_errors, s->recent_requests,
		 HEALTH_RECENT_MS / 1000);
	if (ratio >= HEALTH_UNHEALTHY_ERROR_RATIO)
		return HEALTH_UNHEALTHY;
	return ratio >= HEALTH_DEGRADED_ERROR_RATIO ? HEALTH_DEGRADED : HEALTH_HEALTHY;
}

static json_object *services_json(const struct summaries *all)
{
	json_object *services = json_object_new_object();
	char msg[128];

	for (size_t i = 0; i < all->n; i++) {
		const struct service_summary *s = &all->s[i];
		json_object *o = json_object_new_object(), *m = json_object_new_object();
		enum health_status st = service_status(s, msg, sizeof(msg));

		json_object_object_add(o, "status", json_object_new_string(health_status_name(st)));
		json_object_object_add(o, "message", json_object_new_string(msg));
		json_object_object_add(m, "request_count", json_object_new_int64((int64_t)s->requests));
		json_object_object_add(m, "error_count", json_object_new_int64((int64_t)s->errors));
		json_object_object_add(m, "active_connections", json_object_new_int64((int64_t)s->connections));
		json_object_object_add(m, "avg_request_duration",
				       json_object_new_double(s->duration_count ? s->duration_sum / s->duration_count :
										  0));
		if (s->has_processes)
			json_object_object_add(m, "processes", json_object_new_int64((int64_t)s->processes));
		json_object_object_add(o, "metrics", m);
		json_object_object_add(services, s->name, o);
	}
	return services;
}

static json_object *checks_json(const struct check_result *checks, size_t n)
{
	json_object *all = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "status", json_object_new_string(health_status_name(checks[i].status)));
		json_object_object_add(o, "message", json_object_new_string(checks[i].message));
		json_object_object_add(o, "duration_ms", json_object_new_double(checks[i].duration_ms));
		if (checks[i].checked_at_ms) {
			char t[CLOCKS_RFC3339_LEN];

			clocks_rfc3339(checks[i].checked_at_ms, t);
			json_object_object_add(o, "checked_at", json_object_new_string(t));
		}
		json_object_object_add(all, checks[i].name, o);
	}
	return all;
}

static json_object *sla_json(const struct business *b)
{
	json_object *all = json_object_new_object();

	for (size_t i = 0; b && i < b->n; i++) {
		const struct business_metric *m = &b->m[i];
		json_object *o;

		if (!m->cfg.has_sla)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "met", json_object_new_boolean(m->sla_met));
		json_object_object_add(o, "compliance_ratio", json_object_new_double(m->sla_ratio));
		json_object_object_add(o, "target", json_object_new_double(m->cfg.sla_target));
		json_object_object_add(o, "operator", json_object_new_string(config_op_name(m->cfg.sla_op)));
		if (m->cfg.value_duration)
			json_object_object_add(o, "objective", json_object_new_double(m->cfg.sla_objective));
		else
			json_object_object_add(o, "value", json_object_new_double(m->sla_value));
		json_object_object_add(o, "window_seconds",
				       json_object_new_double((double)m->cfg.sla_window_ms / 1000));
		json_object_object_add(all, m->cfg.name, o);
	}
	return all;
}

int health_detailed_json(const struct health_inputs *in, struct strbuf *out)
{
	struct summaries all = { 0 };
	json_object *doc = NULL;
	char t[CLOCKS_RFC3339_LEN];
	int ret;

	ret = summarize(in, &all);
	if (ret)
		goto out;
	doc = json_object_new_object();
	if (!doc) {
		ret = -ENOMEM;
		goto out;
	}
	clocks_rfc3339(in->unix_ms, t);
	json_object_object_add(doc, "service", json_object_new_string("sonde"));
	json_object_object_add(doc, "status",
			       json_object_new_string(health_status_name(health_overall(in->checks, in->nchecks))));
	json_object_object_add(doc, "timestamp", json_object_new_string(t));
	json_object_object_add(doc, "checks", checks_json(in->checks, in->nchecks));
	json_object_object_add(doc, "services", services_json(&all));
	json_object_object_add(doc, "sla", sla_json(in->business));
	ret = strbuf_printf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
out:
	json_object_put(doc);
	free(all.s);
	return ret;
}
