// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "identity/identity.h"
#include "metrics/registry.h"
#include "otel/otlp_attrs.h"
#include "otel/otlp_metrics.h"

#define MAX_POINT_ATTRS 5
#define MAX_RESOURCE_ATTRS (2 + IDENTITY_NLABELS + 3)

/* A series with observations, copied: encoded after the pipeline's lock
 * is let go, while the series may change or go. */
struct point {
	const char *const *labels;
	size_t nlabels;
	enum otel_metric which;
	uint64_t count;
	double sum;
	int64_t created_ms;
	const uint64_t *buckets; /* nbounds + 1 */
	const double *bounds; /* the family's, which outlives any snapshot */
	size_t nbounds;
	void *copy; /* labels, their text and buckets, one allocation */
};

/* The identity label names as resource attribute keys: container_id is
 * container.id, k8s_pod_name k8s.pod.name, as spans name them. */
struct identity_keys {
	char key[IDENTITY_NLABELS][40];
};

static void identity_keys_init(struct identity_keys *k)
{
	static const char *const names[] = { IDENTITY_LABEL_NAMES };

	for (size_t i = 0; i < IDENTITY_NLABELS; i++) {
		size_t j = 0;

		for (; names[i][j] && j + 1 < sizeof(k->key[i]); j++)
			k->key[i][j] = names[i][j] == '_' ? '.' : names[i][j];
		k->key[i][j] = '\0';
	}
}

static const char *const *identity_of(const struct point *p)
{
	return p->labels + p->nlabels - IDENTITY_NLABELS;
}

/* 0 for points of one resource. */
static int resource_cmp(const struct point *a, const struct point *b)
{
	int c = strcmp(a->labels[0], b->labels[0]);

	for (size_t i = 0; !c && i < IDENTITY_NLABELS; i++)
		c = strcmp(identity_of(a)[i], identity_of(b)[i]);
	return c;
}

static int point_order(const void *x, const void *y)
{
	const struct point *a = x, *b = y;
	int c = resource_cmp(a, b);

	return c ? c : (int)a->which - (int)b->which;
}

/* One allocation: the label pointers, the bucket counts, the text. */
static int point_copy(struct point *p, const struct metric_series *s, const struct family_desc *d,
		      enum otel_metric which)
{
	const char *const *values = series_labels(s);
	size_t size = d->nlabels * sizeof(char *) + (d->nbounds + 1) * sizeof(uint64_t);
	char **labels, *text;
	uint64_t *buckets;

	for (size_t i = 0; i < d->nlabels; i++)
		size += strlen(values[i]) + 1;
	p->copy = malloc(size);
	if (!p->copy)
		return -ENOMEM;
	labels = p->copy;
	buckets = (uint64_t *)(labels + d->nlabels);
	text = (char *)(buckets + d->nbounds + 1);
	memcpy(buckets, series_buckets(s), (d->nbounds + 1) * sizeof(uint64_t));
	for (size_t i = 0; i < d->nlabels; i++) {
		size_t n = strlen(values[i]) + 1;

		labels[i] = memcpy(text, values[i], n);
		text += n;
	}
	p->labels = (const char *const *)labels;
	p->nlabels = d->nlabels;
	p->which = which;
	p->count = (uint64_t)series_value(s);
	p->sum = series_sum(s);
	p->created_ms = series_created_ms(s);
	p->buckets = buckets;
	p->bounds = d->bounds;
	p->nbounds = d->nbounds;
	return 0;
}

void otlp_metrics_snapshot_free(struct otlp_metrics_snapshot *snap)
{
	for (size_t i = 0; i < snap->n; i++)
		free(snap->points[i].copy);
	free(snap->points);
	snap->points = NULL;
	snap->n = 0;
}

int otlp_metrics_snapshot(const struct otel_metrics *m, struct otlp_metrics_snapshot *snap)
{
	size_t total = 0;

	snap->n = 0;
	for (size_t i = 0; i < OTEL_METRICS; i++)
		total += family_size(m->fam[i]);
	snap->points = calloc(total ? total : 1, sizeof(*snap->points));
	if (!snap->points)
		return -ENOMEM;
	for (size_t i = 0; i < OTEL_METRICS; i++) {
		struct family_desc d;

		family_describe(m->fam[i], &d);
		for (size_t j = 0; j < family_size(m->fam[i]); j++) {
			const struct metric_series *s = family_series_at(m->fam[i], j);

			if (!series_value(s))
				continue;
			if (point_copy(&snap->points[snap->n], s, &d, (enum otel_metric)i)) {
				otlp_metrics_snapshot_free(snap);
				return -ENOMEM;
			}
			snap->n++;
		}
	}
	qsort(snap->points, snap->n, sizeof(*snap->points), point_order);
	return 0;
}

static size_t resource_attrs(const struct point *p, const struct otlp_host *host, const struct identity_keys *keys,
			     struct otlp_attr *a)
{
	size_t n = 0;

	a[n++] = (struct otlp_attr){ .key = "service.name", .str = p->labels[0] };
	a[n++] = (struct otlp_attr){ .key = "host.name", .str = host->host_name };
	for (size_t i = 0; i < IDENTITY_NLABELS; i++)
		if (identity_of(p)[i][0])
			a[n++] = (struct otlp_attr){ .key = keys->key[i], .str = identity_of(p)[i] };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.name", .str = "sonde" };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.language", .str = "c" };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.version", .str = host->version };
	return n;
}

/* A label that is empty is no attribute; an integer one that does not
 * read as an integer (the overflow series') stays a string. */
static size_t point_attrs(const struct point *p, struct otlp_attr *a)
{
	const struct otel_metric_desc *d = otel_metrics_desc(p->which);
	size_t n = 0;

	for (size_t i = 0; i < d->nattrs; i++) {
		const char *v = p->labels[1 + i];
		char *end;

		if (!v[0])
			continue;
		a[n] = (struct otlp_attr){ .key = d->attrs[i].key, .str = v };
		if (d->attrs[i].integer) {
			long long num = strtoll(v, &end, 10);

			if (!*end)
				a[n] = (struct otlp_attr){ .key = d->attrs[i].key, .num = num };
		}
		n++;
	}
	return n;
}

static uint64_t point_start(const struct point *p, const struct otlp_metrics_window *w)
{
	return w->temporality == OTLP_DELTA ? w->start_ns : (uint64_t)p->created_ms * 1000000u;
}

static Sonde__Otlp__AggregationTemporality temporality_pb(const struct otlp_metrics_window *w)
{
	return w->temporality == OTLP_DELTA ? SONDE__OTLP__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_DELTA :
					      SONDE__OTLP__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE;
}

/* Every message of one request, allocated together. */
struct pb_request {
	Sonde__Otlp__ResourceMetrics *rm, **rmp;
	Sonde__Otlp__Resource *res;
	Sonde__Otlp__ScopeMetrics *sm, **smp;
	Sonde__Otlp__Metric *metric, **metricp;
	Sonde__Otlp__Histogram *hist;
	Sonde__Otlp__HistogramDataPoint *dp, **dpp;
	struct otlp_pb_arena ar;
	bool arena;
};

static int pb_request_alloc(struct pb_request *r, size_t n)
{
	size_t k = n ? n : 1;

	memset(r, 0, sizeof(*r));
	r->rm = calloc(k, sizeof(*r->rm));
	r->rmp = calloc(k, sizeof(*r->rmp));
	r->res = calloc(k, sizeof(*r->res));
	r->sm = calloc(k, sizeof(*r->sm));
	r->smp = calloc(k, sizeof(*r->smp));
	r->metric = calloc(k, sizeof(*r->metric));
	r->metricp = calloc(k, sizeof(*r->metricp));
	r->hist = calloc(k, sizeof(*r->hist));
	r->dp = calloc(k, sizeof(*r->dp));
	r->dpp = calloc(k, sizeof(*r->dpp));
	r->arena = !otlp_pb_arena_init(&r->ar, k * (MAX_POINT_ATTRS + MAX_RESOURCE_ATTRS));
	return r->rm && r->rmp && r->res && r->sm && r->smp && r->metric && r->metricp && r->hist && r->dp && r->dpp &&
			       r->arena ?
		       0 :
		       -ENOMEM;
}

static void pb_request_free(struct pb_request *r)
{
	free(r->rm);
	free(r->rmp);
	free(r->res);
	free(r->sm);
	free(r->smp);
	free(r->metric);
	free(r->metricp);
	free(r->hist);
	free(r->dp);
	free(r->dpp);
	if (r->arena)
		otlp_pb_arena_free(&r->ar);
}

/* One histogram's message and its points, those of p[0..] with its
 * resource and metric; returns how many. */
static size_t pb_metric(struct pb_request *r, const struct point *p, size_t n, size_t *used_points, size_t nm,
			const struct otlp_metrics_window *w)
{
	const struct otel_metric_desc *d = otel_metrics_desc(p[0].which);
	Sonde__Otlp__Metric *metric = &r->metric[nm];
	Sonde__Otlp__Histogram *h = &r->hist[nm];
	size_t k = 0, first = *used_points;

	sonde__otlp__metric__init(metric);
	sonde__otlp__histogram__init(h);
	for (; k < n && p[k].which == p[0].which && !resource_cmp(&p[k], &p[0]); k++) {
		Sonde__Otlp__HistogramDataPoint *dp = &r->dp[*used_points];
		struct otlp_attr a[MAX_POINT_ATTRS];

		sonde__otlp__histogram_data_point__init(dp);
		dp->start_time_unix_nano = point_start(&p[k], w);
		dp->time_unix_nano = w->now_ns;
		dp->count = p[k].count;
		dp->sum = p[k].sum;
		dp->n_bucket_counts = p[k].nbounds + 1;
		dp->bucket_counts = (uint64_t *)p[k].buckets;
		dp->n_explicit_bounds = p[k].nbounds;
		dp->explicit_bounds = (double *)p[k].bounds;
		dp->n_attributes = point_attrs(&p[k], a);
		dp->attributes = otlp_pb_attrs(&r->ar, a, dp->n_attributes);
		r->dpp[(*used_points)++] = dp;
	}
	h->aggregation_temporality = temporality_pb(w);
	h->n_data_points = *used_points - first;
	h->data_points = r->dpp + first;
	metric->name = (char *)d->name;
	metric->description = (char *)d->description;
	metric->unit = "s";
	metric->data_case = SONDE__OTLP__METRIC__DATA_HISTOGRAM;
	metric->histogram = h;
	r->metricp[nm] = metric;
	return k;
}

int otlp_metrics_protobuf(const struct otlp_metrics_snapshot *snap, const struct otlp_host *host,
			  const struct otlp_metrics_window *w, uint8_t **out, size_t *len, size_t *points)
{
	Sonde__Otlp__ExportMetricsServiceRequest req = SONDE__OTLP__EXPORT_METRICS_SERVICE_REQUEST__INIT;
	Sonde__Otlp__InstrumentationScope scope = SONDE__OTLP__INSTRUMENTATION_SCOPE__INIT;
	struct identity_keys keys;
	struct pb_request r;
	const struct point *p = snap->points;
	size_t n = snap->n, ng = 0, nm = 0, np = 0;
	int ret;

	identity_keys_init(&keys);
	memset(&r, 0, sizeof(r));
	ret = pb_request_alloc(&r, n);
	if (ret)
		goto out;
	scope.name = "sonde";
	scope.version = (char *)host->version;
	for (size_t i = 0; i < n;) {
		struct otlp_attr a[MAX_RESOURCE_ATTRS];
		size_t first_metric = nm;

		sonde__otlp__resource_metrics__init(&r.rm[ng]);
		sonde__otlp__resource__init(&r.res[ng]);
		sonde__otlp__scope_metrics__init(&r.sm[ng]);
		r.res[ng].n_attributes = resource_attrs(&p[i], host, &keys, a);
		r.res[ng].attributes = otlp_pb_attrs(&r.ar, a, r.res[ng].n_attributes);
		for (size_t start = i; i < n && !resource_cmp(&p[i], &p[start]);)
			i += pb_metric(&r, p + i, n - i, &np, nm++, w);
		r.sm[ng].scope = &scope;
		r.sm[ng].n_metrics = nm - first_metric;
		r.sm[ng].metrics = r.metricp + first_metric;
		r.smp[ng] = &r.sm[ng];
		r.rm[ng].resource = &r.res[ng];
		r.rm[ng].n_scope_metrics = 1;
		r.rm[ng].scope_metrics = &r.smp[ng];
		r.rmp[ng] = &r.rm[ng];
		ng++;
	}
	req.n_resource_metrics = ng;
	req.resource_metrics = r.rmp;
	*len = sonde__otlp__export_metrics_service_request__get_packed_size(&req);
	*out = malloc(*len ? *len : 1);
	ret = *out ? 0 : -ENOMEM;
	if (*out)
		sonde__otlp__export_metrics_service_request__pack(&req, *out);
	*points = np;
out:
	pb_request_free(&r);
	return ret;
}

static void json_point(struct strbuf *out, const struct point *p, const struct otlp_metrics_window *w)
{
	struct otlp_attr a[MAX_POINT_ATTRS];

	strbuf_printf(out, "{\"attributes\":");
	otlp_json_attrs(out, a, point_attrs(p, a));
	strbuf_printf(out, ",\"startTimeUnixNano\":\"%llu\",\"timeUnixNano\":\"%llu\",\"count\":\"%llu\",\"sum\":%.17g",
		      (unsigned long long)point_start(p, w), (unsigned long long)w->now_ns,
		      (unsigned long long)p->count, p->sum);
	strbuf_printf(out, ",\"bucketCounts\":[");
	for (size_t i = 0; i <= p->nbounds; i++)
		strbuf_printf(out, "%s\"%llu\"", i ? "," : "", (unsigned long long)p->buckets[i]);
	strbuf_printf(out, "],\"explicitBounds\":[");
	for (size_t i = 0; i < p->nbounds; i++)
		strbuf_printf(out, "%s%.17g", i ? "," : "", p->bounds[i]);
	strbuf_printf(out, "]}");
}

int otlp_metrics_json(const struct otlp_metrics_snapshot *snap, const struct otlp_host *host,
		      const struct otlp_metrics_window *w, struct strbuf *out, size_t *points)
{
	const struct point *p = snap->points;
	struct identity_keys keys;
	size_t n = snap->n;

	identity_keys_init(&keys);
	strbuf_printf(out, "{\"resourceMetrics\":[");
	for (size_t i = 0; i < n;) {
		struct otlp_attr a[MAX_RESOURCE_ATTRS];
		size_t start = i;

		strbuf_printf(out, "%s{\"resource\":{\"attributes\":", i ? "," : "");
		otlp_json_attrs(out, a, resource_attrs(&p[i], host, &keys, a));
		strbuf_printf(out, "},\"scopeMetrics\":[{\"scope\":{\"name\":\"sonde\",\"version\":");
		otlp_json_string(out, host->version);
		strbuf_printf(out, "},\"metrics\":[");
		while (i < n && !resource_cmp(&p[i], &p[start])) {
			const struct otel_metric_desc *d = otel_metrics_desc(p[i].which);
			size_t first = i;

			strbuf_printf(out, "%s{\"name\":\"%s\",\"description\":\"%s\",\"unit\":\"s\",",
				      i > start ? "," : "", d->name, d->description);
			strbuf_printf(out, "\"histogram\":{\"aggregationTemporality\":%d,\"dataPoints\":[",
				      (int)temporality_pb(w));
			for (; i < n && p[i].which == p[first].which && !resource_cmp(&p[i], &p[start]); i++) {
				if (i > first)
					strbuf_append(out, ",", 1);
				json_point(out, &p[i], w);
			}
			strbuf_printf(out, "]}}");
		}
		strbuf_printf(out, "]}]}");
	}
	strbuf_printf(out, "]}");
	*points = n;
	return out->err;
}
