// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* OTLP metrics: the OTEL_* settings, the semantic-convention histograms
 * exchanges make, and their OTLP bodies in protobuf and JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/strbuf.h"
#include "otel/otel_config.h"
#include "otel/otel_metrics.h"
#include "otel/otlp_metrics.h"
#include "otlp.pb-c.h"

static const char *const *env_now;

static const char *lookup(const char *name)
{
	for (size_t i = 0; env_now[i]; i += 2)
		if (!strcmp(env_now[i], name))
			return env_now[i + 1];
	return NULL;
}

static int load(struct otel_metrics_config *c, const char *const *env, char *err)
{
	env_now = env;
	return otel_metrics_config_load(c, lookup, err, 256);
}

static void test_config(void **state)
{
	static const char *const none[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", NULL };
	static const char *const bare[] = { "OTEL_METRICS_EXPORTER", "otlp", NULL };
	static const char *const base[] = { "OTEL_METRICS_EXPORTER",
					    "otlp",
					    "OTEL_EXPORTER_OTLP_ENDPOINT",
					    "http://collector:4318/",
					    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
					    "http/json",
					    "OTEL_EXPORTER_OTLP_PROTOCOL",
					    "http/protobuf",
					    "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
					    "x-team=blue",
					    "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT",
					    "2500",
					    "OTEL_METRIC_EXPORT_INTERVAL",
					    "15000",
					    "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
					    "Delta",
					    NULL };
	static const char *const own[] = { "OTEL_METRICS_EXPORTER",
					   "otlp",
					   "OTEL_EXPORTER_OTLP_ENDPOINT",
					   "http://a:4318",
					   "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
					   "https://b/custom",
					   NULL };
	struct otel_metrics_config c;
	char err[256];

	(void)state;
	/* none by default: an endpoint for traces does not send metrics. */
	assert_int_equal(load(&c, none, err), 0);
	assert_string_equal(c.transport.endpoint, "");
	assert_int_equal(load(&c, bare, err), 0);
	assert_string_equal(c.transport.endpoint, "http://localhost:4318/v1/metrics");
	assert_int_equal(c.interval_ms, 60000);
	assert_int_equal(c.temporality, OTLP_CUMULATIVE);
	assert_int_equal(c.transport.protocol, OTLP_HTTP_PROTOBUF);
	assert_int_equal(load(&c, base, err), 0);
	assert_string_equal(c.transport.endpoint, "http://collector:4318/v1/metrics");
	assert_int_equal(c.transport.protocol, OTLP_HTTP_JSON);
	assert_int_equal(c.transport.nheaders, 1);
	assert_string_equal(c.transport.headers[0], "x-team: blue");
	assert_int_equal(c.transport.timeout_ms, 2500);
	assert_int_equal(c.interval_ms, 15000);
	assert_int_equal(c.temporality, OTLP_DELTA);
	assert_int_equal(load(&c, own, err), 0);
	assert_string_equal(c.transport.endpoint, "https://b/custom");
}

static void test_config_errors(void **state)
{
	static const char *const cases[][3] = {
		{ "OTEL_METRICS_EXPORTER", "statsd",
		  "OTEL_METRICS_EXPORTER=statsd: expected none, prometheus or otlp" },
		{ "OTEL_METRIC_EXPORT_INTERVAL", "0", "OTEL_METRIC_EXPORT_INTERVAL=0: expected milliseconds" },
		{ "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes",
		  "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=sometimes: expected" },
		{ "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=grpc: expected" },
		{ "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=collector" },
	};
	struct otel_metrics_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *env[] = { "OTEL_METRICS_EXPORTER", "otlp", cases[i][0], cases[i][1], NULL };

		if (!strcmp(cases[i][0], "OTEL_METRICS_EXPORTER")) {
			env[0] = cases[i][0];
			env[1] = cases[i][1];
			env[2] = NULL;
		}
		assert_int_equal(load(&c, env, err), -EINVAL);
		if (strncmp(err, cases[i][2], strlen(cases[i][2])))
			fail_msg("%s: got '%s'", cases[i][0], err);
	}
}

static const double bounds[] = { 0.01, 0.1, 1 };

/* As the exporter does: a snapshot, then the body. */
static int protobuf_of(const struct otel_metrics *m, const struct otlp_host *host, const struct otlp_metrics_window *w,
		       uint8_t **out, size_t *len, size_t *points)
{
	struct otlp_metrics_snapshot snap;
	int ret = otlp_metrics_snapshot(m, &snap);

	if (ret)
		return ret;
	ret = otlp_metrics_protobuf(&snap, host, w, out, len, points);
	otlp_metrics_snapshot_free(&snap);
	return ret;
}

static int json_of(const struct otel_metrics *m, const struct otlp_host *host, const struct otlp_metrics_window *w,
		   struct strbuf *out, size_t *points)
{
	struct otlp_metrics_snapshot snap;
	int ret = otlp_metrics_snapshot(m, &snap);

	if (ret)
		return ret;
	ret = otlp_metrics_json(&snap, host, w, out, points);
	otlp_metrics_snapshot_free(&snap);
	return ret;
}

static void feed(struct otel_metrics *m)
{
	struct exchange x = {
		.role = SONDE_ROLE_SERVER,
		.service = "web",
		.protocol = "http",
		.method = "GET",
		.endpoint = "/api/users/{id}",
		.status = 201,
		.http_version = 11,
		.tls = true,
		.start_ns = 1000,
		.end_ns = 1000 + 50000000, /* 50 ms */
	};

	for (int i = 0; i < 3; i++)
		otel_metrics_exchange(m, &x);
	x.tls = false;
	x.status = 0; /* no status line: no status attribute */
	otel_metrics_exchange(m, &x);
	x = (struct exchange){ .role = SONDE_ROLE_SERVER,
			       .service = "rpc",
			       .protocol = "grpc",
			       .method = "/shop.Cart/Add",
			       .status = 0,
			       .http_version = 20,
			       .start_ns = 0,
			       .end_ns = 2000000000 };
	otel_metrics_exchange(m, &x);
	x = (struct exchange){ .role = SONDE_ROLE_CLIENT,
			       .service = "web",
			       .protocol = "redis",
			       .method = "GET",
			       .endpoint = "cache:6379",
			       .call_error = true,
			       .end_ns = 10 };
	otel_metrics_exchange(m, &x);
	/* A database's own side: no convention, no point. */
	x.role = SONDE_ROLE_SERVER;
	otel_metrics_exchange(m, &x);
}

static const Sonde__Otlp__AnyValue *attr(Sonde__Otlp__KeyValue **kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i]->key, key))
			return kv[i]->value;
	return NULL;
}

static void test_protobuf(void **state)
{
	const struct otel_metrics_limits limits = { bounds, 3, 100, 1000, false };
	const struct otlp_host host = { "node-1", "1.2.3" };
	const struct otlp_metrics_window w = { OTLP_CUMULATIVE, 5000000000000000000ull, 0 };
	Sonde__Otlp__ExportMetricsServiceRequest *req;
	struct otel_metrics m;
	size_t len, points, seen = 0;
	uint8_t *body;

	(void)state;
	assert_int_equal(otel_metrics_init(&m, &limits), 0);
	feed(&m);
	assert_int_equal(protobuf_of(&m, &host, &w, &body, &len, &points), 0);
	assert_int_equal(points, 4);
	req = sonde__otlp__export_metrics_service_request__unpack(NULL, len, body);
	assert_non_null(req);
	/* One resource per service: rpc, then web. */
	assert_int_equal(req->n_resource_metrics, 2);
	for (size_t r = 0; r < req->n_resource_metrics; r++) {
		Sonde__Otlp__ResourceMetrics *rm = req->resource_metrics[r];
		const char *service =
			attr(rm->resource->attributes, rm->resource->n_attributes, "service.name")->string_value;

		assert_string_equal(
			attr(rm->resource->attributes, rm->resource->n_attributes, "host.name")->string_value,
			"node-1");
		assert_int_equal(rm->n_scope_metrics, 1);
		for (size_t i = 0; i < rm->scope_metrics[0]->n_metrics; i++) {
			Sonde__Otlp__Metric *metric = rm->scope_metrics[0]->metrics[i];
			Sonde__Otlp__Histogram *h = metric->histogram;

			assert_string_equal(metric->unit, "s");
			assert_int_equal(h->aggregation_temporality,
					 SONDE__OTLP__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE);
			for (size_t p = 0; p < h->n_data_points; p++, seen++) {
				Sonde__Otlp__HistogramDataPoint *dp = h->data_points[p];
				const Sonde__Otlp__AnyValue *status;

				assert_int_equal(dp->n_bucket_counts, 4);
				assert_int_equal(dp->n_explicit_bounds, 3);
				assert_true(dp->start_time_unix_nano > 1700000000000000000ull);
				assert_true(dp->time_unix_nano == w.now_ns);
				if (!strcmp(metric->name, "http.server.request.duration")) {
					assert_string_equal(service, "web");
					status = attr(dp->attributes, dp->n_attributes, "http.response.status_code");
					assert_string_equal(
						attr(dp->attributes, dp->n_attributes, "http.route")->string_value,
						"/api/users/{id}");
					assert_string_equal(attr(dp->attributes, dp->n_attributes,
								 "network.protocol.version")
								    ->string_value,
							    "1.1");
					if (status) {
						assert_int_equal(status->int_value, 201);
						assert_int_equal(dp->count, 3);
						assert_int_equal(dp->bucket_counts[1], 3);
						assert_string_equal(attr(dp->attributes, dp->n_attributes, "url.scheme")
									    ->string_value,
								    "https");
					} else {
						assert_int_equal(dp->count, 1);
					}
				} else if (!strcmp(metric->name, "rpc.server.duration")) {
					assert_string_equal(service, "rpc");
					assert_string_equal(
						attr(dp->attributes, dp->n_attributes, "rpc.service")->string_value,
						"shop.Cart");
					assert_string_equal(
						attr(dp->attributes, dp->n_attributes, "rpc.method")->string_value,
						"Add");
					assert_int_equal(attr(dp->attributes, dp->n_attributes, "rpc.grpc.status_code")
								 ->int_value,
							 0);
					assert_int_equal(dp->bucket_counts[3], 1);
				} else {
					assert_string_equal(metric->name, "db.client.operation.duration");
					assert_string_equal(
						attr(dp->attributes, dp->n_attributes, "db.system.name")->string_value,
						"redis");
					assert_string_equal(
						attr(dp->attributes, dp->n_attributes, "error.type")->string_value,
						"error");
				}
			}
		}
	}
	assert_int_equal(seen, 4);
	sonde__otlp__export_metrics_service_request__free_unpacked(req, NULL);
	free(body);
	otel_metrics_free(&m);
}

static void test_json_delta(void **state)
{
	const struct otel_metrics_limits limits = { bounds, 3, 100, 1000, false };
	const struct otlp_host host = { "node-1", "1.2.3" };
	const struct otlp_metrics_window w = { OTLP_DELTA, 2000, 1000 };
	struct strbuf out = { 0 };
	struct otel_metrics m;
	size_t points;

	(void)state;
	assert_int_equal(otel_metrics_init(&m, &limits), 0);
	feed(&m);
	assert_int_equal(json_of(&m, &host, &w, &out, &points), 0);
	assert_int_equal(points, 4);
	assert_non_null(strstr(out.data, "\"name\":\"http.server.request.duration\""));
	assert_non_null(strstr(out.data, "\"aggregationTemporality\":1"));
	assert_non_null(strstr(out.data, "\"startTimeUnixNano\":\"1000\",\"timeUnixNano\":\"2000\",\"count\":\"3\""));
	assert_non_null(strstr(out.data, "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"201\"}}"));
	assert_non_null(strstr(out.data, "\"bucketCounts\":[\"0\",\"3\",\"0\",\"0\"]"));
	/* After a delta export the next window starts empty. */
	otel_metrics_reset(&m);
	strbuf_free(&out);
	memset(&out, 0, sizeof(out));
	assert_int_equal(json_of(&m, &host, &w, &out, &points), 0);
	assert_int_equal(points, 0);
	assert_string_equal(out.data, "{\"resourceMetrics\":[]}");
	strbuf_free(&out);
	otel_metrics_free(&m);
}

/* A service over its budget lands in its own overflow point; another
 * service keeps its room. */
static void test_budget(void **state)
{
	const struct otel_metrics_limits limits = { bounds, 3, 2, 100, false };
	const struct otlp_host host = { "node-1", "1.2.3" };
	const struct otlp_metrics_window w = { OTLP_CUMULATIVE, 2000, 0 };
	struct strbuf out = { 0 };
	struct otel_metrics m;
	size_t points;
	char route[32];

	(void)state;
	assert_int_equal(otel_metrics_init(&m, &limits), 0);
	for (int i = 0; i < 10; i++) {
		struct exchange x = { .role = SONDE_ROLE_SERVER,
				      .service = "noisy",
				      .protocol = "http",
				      .method = "GET",
				      .endpoint = route,
				      .status = 404,
				      .end_ns = 1 };

		snprintf(route, sizeof(route), "/made/up/%d", i);
		otel_metrics_exchange(&m, &x);
	}
	struct exchange quiet = { .role = SONDE_ROLE_SERVER,
				  .service = "quiet",
				  .protocol = "http",
				  .method = "POST",
				  .endpoint = "/orders",
				  .status = 200,
				  .end_ns = 1 };
	otel_metrics_exchange(&m, &quiet);
	assert_int_equal(json_of(&m, &host, &w, &out, &points), 0);
	assert_int_equal(points, 4); /* noisy's two, its overflow, quiet's */
	assert_non_null(strstr(out.data, "\"http.route\",\"value\":{\"stringValue\":\"/orders\"}"));
	assert_non_null(strstr(out.data,
			       "{\"key\":\"http.response.status_code\",\"value\":{\"stringValue\":\"__overflow__\"}}"));
	strbuf_free(&out);
	otel_metrics_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),	 cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_protobuf), cmocka_unit_test(test_json_delta),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
