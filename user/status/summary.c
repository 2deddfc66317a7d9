// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status/expo.h"
#include "status/summary.h"

struct build {
	struct summary *out;
	char fam[6][128]; /* requests, duration bucket, duration sum, errors, client requests, prefix */
};

enum { F_REQUESTS, F_BUCKET, F_SUM, F_ERRORS, F_CLIENT };

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct summary_service *service_of(struct summary *s, const char *name)
{
	struct summary_service *v;

	if (!name)
		return NULL;
	for (size_t i = 0; i < s->nservices; i++)
		if (!strcmp(s->services[i].name, name))
			return &s->services[i];
	if (s->nservices == SUMMARY_SERVICES_MAX)
		return NULL;
	v = &s->services[s->nservices++];
	memset(v, 0, sizeof(*v));
	copy(v->name, sizeof(v->name), name);
	return v;
}

/* Adds to the route (method, name) of a table; past its room, to the
 * last entry, "(other)". */
static void route_add(struct summary_route *t, size_t *n, const char *method, const char *name, double requests,
		      double errors)
{
	struct summary_route *r = NULL;

	for (size_t i = 0; i < *n && !r; i++)
		if (!strcmp(t[i].method, method) && !strcmp(t[i].name, name))
			r = &t[i];
	if (!r && *n < SUMMARY_ROUTES_MAX) {
		r = &t[(*n)++];
		copy(r->method, sizeof(r->method), method);
		copy(r->name, sizeof(r->name), *n == SUMMARY_ROUTES_MAX ? "(other)" : name);
		if (*n == SUMMARY_ROUTES_MAX)
			r->method[0] = 0;
	}
	if (!r)
		r = &t[SUMMARY_ROUTES_MAX - 1];
	r->requests += requests;
	r->errors += errors;
}

static int is_error_status(const char *status)
{
	return status && (status[0] == '5' || !strcmp(status, "error"));
}

static void bucket_add(struct summary_service *v, const char *le_text, double count)
{
	double le;
	size_t i;

	if (!le_text)
		return;
	le = strtod(le_text, NULL);
	for (i = 0; i < v->nbuckets && v->le[i] < le; i++)
		;
	if (i < v->nbuckets && v->le[i] == le) {
		v->cum[i] += count;
		return;
	}
	if (v->nbuckets == SUMMARY_BUCKETS_MAX)
		return;
	memmove(&v->le[i + 1], &v->le[i], (v->nbuckets - i) * sizeof(v->le[0]));
	memmove(&v->cum[i + 1], &v->cum[i], (v->nbuckets - i) * sizeof(v->cum[0]));
	v->le[i] = le;
	v->cum[i] = count;
	v->nbuckets++;
}

static void on_sample(void *arg, const struct expo_sample *s)
{
	struct build *b = arg;
	struct summary *out = b->out;
	const char *service = expo_label(s, "service"), *status = expo_label(s, "status");
	struct summary_service *v;
	int f;

	if (!strcmp(s->name, "sonde_build_info")) {
		copy(out->version, sizeof(out->version), expo_label(s, "version"));
		copy(out->mode, sizeof(out->mode), expo_label(s, "mode"));
		return;
	}
	if (!strcmp(s->name, "sonde_events_total"))
		out->events = s->value;
	else if (!strcmp(s->name, "sonde_events_lost_total"))
		out->lost = s->value;
	else if (!strcmp(s->name, "sonde_targets"))
		out->targets = s->value;
	else if (!strcmp(s->name, "sonde_tls_uprobe_processes"))
		out->tls_processes = s->value;
	else if (!strcmp(s->name, "sonde_tls_unreadable_connections_total"))
		out->tls_unreadable += s->value;
	else if (!strcmp(s->name, "sonde_parse_failures_total"))
		out->parse_failures += s->value;
	else if (!strcmp(s->name, "sonde_tls_probe_sites")) {
		const char *site = expo_label(s, "site");

		if (site && !strcmp(site, "emulated"))
			out->tls_sites_emulated++;
		else
			out->tls_sites_stepped++;
	}
	for (f = F_REQUESTS; f <= F_CLIENT && strcmp(s->name, b->fam[f]); f++)
		;
	if (f > F_CLIENT || !(v = service_of(out, service)))
		return;
	switch (f) {
	case F_REQUESTS:
		v->requests += s->value;
		route_add(v->routes, &v->nroutes, expo_label(s, "method") ?: "", expo_label(s, "endpoint") ?: "",
			  s->value, is_error_status(status) ? s->value : 0);
		break;
	case F_BUCKET:
		bucket_add(v, expo_label(s, "le"), s->value);
		break;
	case F_SUM:
		v->duration_sum += s->value;
		break;
	case F_ERRORS:
		v->errors += s->value;
		break;
	default:
		v->client_requests += s->value;
		route_add(v->peers, &v->npeers, expo_label(s, "protocol") ?: "", expo_label(s, "peer") ?: "", s->value,
			  is_error_status(status) ? s->value : 0);
	}
}

static int by_requests(const void *a, const void *b)
{
	const struct summary_route *x = a, *y = b;

	return (x->requests < y->requests) - (x->requests > y->requests);
}

void summary_build(const char *text, size_t len, const char *ns, struct summary *out)
{
	static const char *const suffix[] = { "_requests_total", "_request_duration_seconds_bucket",
					      "_request_duration_seconds_sum", "_errors_total",
					      "_client_requests_total" };
	struct build b = { .out = out };

	memset(out, 0, sizeof(*out));
	for (int f = F_REQUESTS; f <= F_CLIENT; f++)
		snprintf(b.fam[f], sizeof(b.fam[f]), "%s%s", ns, suffix[f]);
	out->bad_lines = expo_parse(text, len, on_sample, &b);
	for (size_t i = 0; i < out->nservices; i++) {
		struct summary_service *v = &out->services[i];

		qsort(v->routes, v->nroutes, sizeof(v->routes[0]), by_requests);
		qsort(v->peers, v->npeers, sizeof(v->peers[0]), by_requests);
	}
}

struct ns_find {
	char *ns;
	size_t size;
	int found;
};

static void on_name(void *arg, const struct expo_sample *s)
{
	static const char suffix[] = "_request_duration_seconds_bucket";
	struct ns_find *f = arg;
	size_t n = strlen(s->name), k = sizeof(suffix) - 1;

	if (f->found || n <= k || strcmp(s->name + n - k, suffix) || strstr(s->name, "_client_") || n - k >= f->size)
		return;
	memcpy(f->ns, s->name, n - k);
	f->ns[n - k] = 0;
	f->found = 1;
}

void summary_namespace(const char *text, size_t len, char *ns, size_t size)
{
	struct ns_find f = { ns, size, 0 };

	expo_parse(text, len, on_name, &f);
	if (!f.found)
		snprintf(ns, size, "microservice");
}

double summary_quantile(const double *le, const double *cum, size_t n, double q)
{
	double total, rank, lo = 0, below = 0;

	if (!n || !(cum[n - 1] > 0))
		return -1;
	total = cum[n - 1];
	rank = q * total;
	for (size_t i = 0; i < n; i++) {
		if (cum[i] >= rank) {
			/* In +Inf: the highest finite bound, as Prometheus says. */
			if (isinf(le[i]))
				return i ? le[i - 1] : 0;
			if (cum[i] == below)
				return le[i];
			return lo + (le[i] - lo) * (rank - below) / (cum[i] - below);
		}
		lo = le[i];
		below = cum[i];
	}
	return lo;
}

const struct summary_service *summary_service(const struct summary *s, const char *name)
{
	for (size_t i = 0; i < s->nservices; i++)
		if (!strcmp(s->services[i].name, name))
			return &s->services[i];
	return NULL;
}
