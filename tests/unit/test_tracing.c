// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace context, samplers, OTEL_* settings, OTLP encoding and how client
 * spans find their server span. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "otel/otel_config.h"
#include "otel/otlp.h"
#include "otlp.pb-c.h"
#include "base/strbuf.h"
#include "otel/ids.h"
#include "otel/sampler.h"
#include "otel/tracing.h"
#include "pipeline/exchange.h"

static void test_traceparent(void **state)
{
	struct trace_parent tp;

	(void)state;
	assert_int_equal(traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", &tp), 0);
	assert_int_equal(tp.trace_id[0], 0x0a);
	assert_int_equal(tp.trace_id[15], 0x9c);
	assert_int_equal(tp.span_id[7], 0x31);
	assert_int_equal(tp.flags, 1);
	/* A later version may carry more fields. */
	assert_int_equal(traceparent_parse("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-extra", &tp), 0);
	assert_int_equal(tp.flags, 0);
	static const char *const bad[] = {
		"",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
		"00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
		"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
		"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(traceparent_parse(bad[i], &tp), -EINVAL);
}

static void test_samplers(void **state)
{
	uint8_t low[16] = { 0 }, high[16];
	struct trace_parent sampled = { .flags = 1 }, unsampled = { .flags = 0 };
	enum sampler s;

	(void)state;
	memset(high, 0xff, sizeof(high));
	low[15] = 1;
	assert_true(sampler_decide(SAMPLER_TRACEIDRATIO, 0.5, low, NULL));
	assert_false(sampler_decide(SAMPLER_TRACEIDRATIO, 0.5, high, NULL));
	assert_false(sampler_decide(SAMPLER_TRACEIDRATIO, 0, low, NULL));
	assert_true(sampler_decide(SAMPLER_TRACEIDRATIO, 1, high, NULL));
	assert_true(sampler_decide(SAMPLER_PARENTBASED_TRACEIDRATIO, 0, low, &sampled));
	assert_false(sampler_decide(SAMPLER_PARENTBASED_TRACEIDRATIO, 1, low, &unsampled));
	assert_true(sampler_decide(SAMPLER_PARENTBASED_ALWAYS_ON, 0, low, NULL));
	assert_false(sampler_decide(SAMPLER_PARENTBASED_ALWAYS_ON, 0, low, &unsampled));
	assert_false(sampler_decide(SAMPLER_ALWAYS_OFF, 1, low, &sampled));
	assert_int_equal(sampler_parse("parentbased_traceidratio", &s), 0);
	assert_int_equal(s, SAMPLER_PARENTBASED_TRACEIDRATIO);
	assert_int_equal(sampler_parse("jaeger_remote", &s), -EINVAL);
}

static const char *const *fake_env;

static const char *lookup(const char *name)
{
	for (size_t i = 0; fake_env[i]; i += 2)
		if (!strcmp(fake_env[i], name))
			return fake_env[i + 1];
	return NULL;
}

static int load(struct otel_config *c, const char *const *env, const char *flag, char *err)
{
	fake_env = env;
	return otel_config_load(c, lookup, flag, 1.0, err, 256);
}

static void test_otel_config(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const base[] = { "OTEL_EXPORTER_OTLP_ENDPOINT",
					    "http://collector:4318/",
					    "OTEL_EXPORTER_OTLP_PROTOCOL",
					    "http/json",
					    "OTEL_EXPORTER_OTLP_HEADERS",
					    "api-key=a%20b%2Cc, x-team = blue",
					    "OTEL_TRACES_SAMPLER",
					    "traceidratio",
					    "OTEL_TRACES_SAMPLER_ARG",
					    "0.25",
					    "OTEL_BSP_MAX_QUEUE_SIZE",
					    "100",
					    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
					    "500",
					    "OTEL_BSP_SCHEDULE_DELAY",
					    "250",
					    NULL };
	static const char *const traces[] = { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318",
					      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://b/custom/path", NULL };
	struct otel_config c;
	char err[256];

	(void)state;
	assert_int_equal(load(&c, none, NULL, err), 0);
	assert_string_equal(c.transport.endpoint, "");
	assert_int_equal(c.sampler, SAMPLER_PARENTBASED_ALWAYS_ON);
	assert_int_equal(load(&c, base, NULL, err), 0);
	assert_string_equal(c.transport.endpoint, "http://collector:4318/v1/traces");
	assert_int_equal(c.transport.protocol, OTLP_HTTP_JSON);
	assert_int_equal(c.transport.nheaders, 2);
	assert_string_equal(c.transport.headers[0], "api-key: a b,c");
	assert_string_equal(c.transport.headers[1], "x-team: blue");
	assert_int_equal(c.sampler, SAMPLER_TRACEIDRATIO);
	assert_true(c.ratio == 0.25);
	assert_int_equal(c.max_queue, 100);
	assert_int_equal(c.max_batch, 100); /* never more than the queue */
	assert_int_equal(c.delay_ms, 250);
	assert_int_equal(load(&c, traces, NULL, err), 0);
	assert_string_equal(c.transport.endpoint, "https://b/custom/path");
	/* The flag wins over the variables. */
	assert_int_equal(load(&c, traces, "http://flag:9999", err), 0);
	assert_string_equal(c.transport.endpoint, "http://flag:9999/v1/traces");
}

static void test_otel_config_errors(void **state)
{
	static const char *const cases[][3] = {
		{ "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: expected" },
		{ "OTEL_TRACES_SAMPLER", "sometimes", "OTEL_TRACES_SAMPLER=sometimes: expected" },
		{ "OTEL_TRACES_SAMPLER_ARG", "1.5", "OTEL_TRACES_SAMPLER_ARG=1.5: expected a ratio" },
		{ "OTEL_BSP_MAX_QUEUE_SIZE", "-4", "OTEL_BSP_MAX_QUEUE_SIZE=-4: expected" },
		{ "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318",
		  "OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318: expected" },
		{ "OTEL_EXPORTER_OTLP_HEADERS", "novalue", "OTEL_EXPORTER_OTLP_HEADERS=novalue: expected" },
		{ "OTEL_EXPORTER_OTLP_HEADERS", "k=%zz", "OTEL_EXPORTER_OTLP_HEADERS=k=%zz: expected" },
	};
	struct otel_config c;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *env[] = { cases[i][0], cases[i][1], NULL };

		assert_int_equal(load(&c, env, NULL, err), -EINVAL);
		if (strncmp(err, cases[i][2], strlen(cases[i][2])))
			fail_msg("%s: got '%s'", cases[i][0], err);
	}
}

static struct span sample_span(int kind, const char *service, uint32_t pid)
{
	struct span s;

	memset(&s, 0, sizeof(s));
	memset(s.trace_id, 0xab, sizeof(s.trace_id));
	memset(s.span_id, 0xcd, sizeof(s.span_id));
	s.kind = (uint8_t)kind;
	s.start_unix_ns = 1700000000000000000ull;
	s.end_unix_ns = s.start_unix_ns + 1500;
	strcpy(s.name, "GET /api/users/{id}");
	strcpy(s.method, "GET");
	strcpy(s.route, "/api/users/{id}");
	strcpy(s.path, "/api/users/42");
	s.status = 503;
	s.error = true;
	strcpy(s.service, service);
	s.pid = pid;
	strcpy(s.id.container_id, "c0ffee");
	return s;
}

static void test_otlp_protobuf(void **state)
{
	struct span spans[3] = { sample_span(SPAN_KIND_SERVER, "web", 10), sample_span(SPAN_KIND_CLIENT, "api", 11),
				 sample_span(SPAN_KIND_SERVER, "web", 10) };
	struct otlp_host host = { .host_name = "node-1", .version = "test" };
	Sonde__Otlp__ExportTraceServiceRequest *req;
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(spans[2].parent_id, 0x11, sizeof(spans[2].parent_id));
	assert_int_equal(otlp_encode_protobuf(spans, 3, &host, &buf, &len), 0);
	req = sonde__otlp__export_trace_service_request__unpack(NULL, len, buf);
	assert_non_null(req);
	/* One ResourceSpans per process. */
	assert_int_equal(req->n_resource_spans, 2);
	assert_int_equal(req->resource_spans[0]->scope_spans[0]->n_spans, 2);
	Sonde__Otlp__Span *s = req->resource_spans[0]->scope_spans[0]->spans[1];
	assert_int_equal(s->kind, SONDE__OTLP__SPAN__SPAN_KIND__SPAN_KIND_SERVER);
	assert_int_equal(s->parent_span_id.len, 8);
	assert_int_equal(s->parent_span_id.data[0], 0x11);
	assert_int_equal(req->resource_spans[0]->scope_spans[0]->spans[0]->parent_span_id.len, 0);
	assert_int_equal(s->status->code, SONDE__OTLP__STATUS__STATUS_CODE__STATUS_CODE_ERROR);
	assert_int_equal(s->end_time_unix_nano - s->start_time_unix_nano, 1500);
	assert_string_equal(s->attributes[0]->key, "http.request.method");
	assert_string_equal(req->resource_spans[0]->resource->attributes[0]->value->string_value, "web");
	assert_string_equal(req->resource_spans[1]->resource->attributes[0]->value->string_value, "api");
	sonde__otlp__export_trace_service_request__free_unpacked(req, NULL);
	free(buf);
}

static void test_otlp_json(void **state)
{
	struct span s = sample_span(SPAN_KIND_SERVER, "we\"b", 10);
	struct otlp_host host = { .host_name = "node-1", .version = "test" };
	struct strbuf out = { 0 };

	(void)state;
	assert_int_equal(otlp_encode_json(&s, 1, &host, &out), 0);
	assert_non_null(strstr(out.data, "\"traceId\":\"abababababababababababababababab\""));
	assert_non_null(strstr(out.data, "\"spanId\":\"cdcdcdcdcdcdcdcd\""));
	assert_null(strstr(out.data, "parentSpanId"));
	assert_non_null(strstr(out.data, "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"we\\\"b\"}}"));
	assert_non_null(strstr(out.data, "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}}"));
	assert_non_null(strstr(out.data, "\"kind\":2,\"startTimeUnixNano\":\"1700000000000000000\""));
	assert_non_null(strstr(out.data, "\"status\":{\"code\":2}"));
	strbuf_free(&out);
}

struct sunk {
	struct span spans[16];
	size_t n;
};

static void sink(void *arg, const struct span *spans, size_t n)
{
	struct sunk *k = arg;

	for (size_t i = 0; i < n && k->n < 16; i++)
		k->spans[k->n++] = spans[i];
}

static struct exchange exchange(uint8_t role, uint32_t tid, uint64_t start, uint64_t end, int status,
				const struct sonde_peer *peer)
{
	/* As the collector makes an HTTP exchange. */
	return (struct exchange){ .role = role,
				  .service = "svc",
				  .tgid = 7,
				  .tid = tid,
				  .protocol = "http",
				  .method = "GET",
				  .endpoint = "/r/{id}",
				  .status_label = "",
				  .target = "/r/1?token=x",
				  .host = "example.org:8080",
				  .status = status,
				  .start_ns = start,
				  .end_ns = end,
				  .traceparent = "",
				  .peer = peer,
				  .fault = status >= 500 ? "http_5xx" : NULL,
				  .call_error = status >= 400 };
}

/* Tracing with every trace sampled, its spans into k. */
static struct tracing *tracing_sampling_all(struct sunk *k)
{
	struct tracing *t = calloc(1, sizeof(*t));
	struct otel_config cfg;
	char err[256];

	fake_env = (const char *const[]){ NULL };
	assert_non_null(t);
	assert_int_equal(otel_config_load(&cfg, lookup, "http://x", 1.0, err, sizeof(err)), 0);
	assert_int_equal(tracing_init(t, &cfg, sink, k), 0);
	return t;
}

static void test_client_spans_join_their_server(void **state)
{
	struct sonde_peer peer = { .family = AF_INET, .port = 80, .addr = { 10, 0, 0, 9 } };
	struct sunk *k = calloc(1, sizeof(*k));
	struct tracing *t = tracing_sampling_all(k);
	struct exchange x;

	(void)state;
	/* Thread 1 calls out twice while serving; thread 2 calls out on its own. */
	x = exchange(SONDE_ROLE_CLIENT, 1, 1100, 1200, 200, &peer);
	tracing_exchange(t, &x);
	x = exchange(SONDE_ROLE_CLIENT, 1, 1300, 1400, 404, &peer);
	tracing_exchange(t, &x);
	x = exchange(SONDE_ROLE_CLIENT, 2, 1300, 1400, 200, &peer);
	tracing_exchange(t, &x);
	x = exchange(SONDE_ROLE_SERVER, 1, 1000, 2000, 200, &peer);
	tracing_exchange(t, &x);
	tracing_flush(t, 3000);
	assert_int_equal(k->n, 3);
	assert_int_equal(k->spans[0].kind, SPAN_KIND_SERVER);
	assert_string_equal(k->spans[0].name, "GET /r/{id}");
	assert_string_equal(k->spans[0].path, "/r/1");
	assert_string_equal(k->spans[0].server_address, "example.org");
	assert_int_equal(k->spans[0].server_port, 8080);
	for (int i = 1; i < 3; i++) {
		assert_memory_equal(k->spans[i].trace_id, k->spans[0].trace_id, 16);
		assert_memory_equal(k->spans[i].parent_id, k->spans[0].span_id, 8);
		assert_string_equal(k->spans[i].server_address, "10.0.0.9");
	}
	/* A 4xx is an error on a client span. */
	assert_true(k->spans[2].error);
	/* Thread 2's span waits out the hold time, then leaves as a root. */
	tracing_flush(t, 1400 + TRACING_HOLD_NS + 1);
	assert_int_equal(k->n, 4);
	assert_memory_equal(k->spans[3].parent_id, "\0\0\0\0\0\0\0\0", 8);
	/* A client sending its own traceparent joins that trace at once. */
	x = exchange(SONDE_ROLE_CLIENT, 3, 5000, 5100, 200, &peer);
	x.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	tracing_exchange(t, &x);
	tracing_flush(t, 5100);
	assert_int_equal(k->n, 5);
	assert_memory_equal(k->spans[4].trace_id, "\x4b\xf9\x2f\x35\x77\xb3\x4d\xa6\xa3\xce\x92\x9d\x0e\x0e\x47\x36",
			    16);
	assert_memory_equal(k->spans[4].parent_id, "\x00\xf0\x67\xaa\x0b\xa9\x02\xb7", 8);
	assert_int_equal(k->spans[4].kind, SPAN_KIND_CLIENT);
	tracing_free(t);
	free(t);
	free(k);
}

/* A client request sonde wrote a traceparent into: its span has the id
 * it named, and the server span that covers it, with no caller's trace,
 * takes the trace the callee already joined; one no server span covers
 * leaves as a root in that trace. */
static void test_injected_client_spans(void **state)
{
	static const uint8_t trace[16] = { 0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const uint8_t span[8] = { 0xcd, 1, 2, 3, 4, 5, 6, 7 }, lone[8] = { 0xef, 1, 2, 3, 4, 5, 6, 7 };
	struct sonde_peer peer = { .family = AF_INET, .port = 80, .addr = { 127, 0, 0, 1 } };
	struct sunk *k = calloc(1, sizeof(*k));
	struct tracing *t = tracing_sampling_all(k);
	struct exchange x;

	(void)state;
	x = exchange(SONDE_ROLE_CLIENT, 1, 1100, 1200, 200, &peer);
	x.injected_trace = trace;
	x.injected_span = span;
	tracing_exchange(t, &x);
	x = exchange(SONDE_ROLE_SERVER, 1, 1000, 2000, 200, &peer);
	tracing_exchange(t, &x);
	tracing_flush(t, 3000);
	assert_int_equal(k->n, 2);
	assert_int_equal(k->spans[0].kind, SPAN_KIND_SERVER);
	assert_memory_equal(k->spans[0].trace_id, trace, 16);
	assert_memory_equal(k->spans[0].parent_id, "\0\0\0\0\0\0\0\0", 8);
	assert_memory_equal(k->spans[1].span_id, span, 8);
	assert_memory_equal(k->spans[1].trace_id, trace, 16);
	assert_memory_equal(k->spans[1].parent_id, k->spans[0].span_id, 8);
	x = exchange(SONDE_ROLE_CLIENT, 2, 5000, 5100, 200, &peer);
	x.injected_trace = trace;
	x.injected_span = lone;
	tracing_exchange(t, &x);
	tracing_flush(t, 5100 + TRACING_HOLD_NS + 1);
	assert_int_equal(k->n, 3);
	assert_memory_equal(k->spans[2].trace_id, trace, 16);
	assert_memory_equal(k->spans[2].span_id, lone, 8);
	tracing_free(t);
	free(t);
	free(k);
}

/* gRPC and Redis exchanges: named for the RPC or command, their errors by
 * the protocol's rules rather than an HTTP status. */
static void test_wire_call_spans(void **state)
{
	struct sonde_peer peer = { .family = AF_INET, .port = 6379, .addr = { 10, 0, 0, 9 } };
	struct otlp_host host = { .host_name = "node-1", .version = "test" };
	struct strbuf out = { 0 };
	struct sunk *k = calloc(1, sizeof(*k));
	struct tracing *t = tracing_sampling_all(k);
	struct exchange x;

	(void)state;
	x = exchange(SONDE_ROLE_SERVER, 1, 1000, 2000, 0, &peer);
	x.protocol = "grpc";
	x.method = x.endpoint = x.target = "/helloworld.Greeter/SayHello";
	tracing_exchange(t, &x);
	/* INVALID_ARGUMENT: the caller's mistake, not the server's fault. */
	x.status = 3;
	x.call_error = true;
	tracing_exchange(t, &x);
	/* A Redis error reply: an error for the caller only. */
	x = exchange(SONDE_ROLE_SERVER, 1, 3000, 3100, 0, &peer);
	x.protocol = "redis";
	x.method = x.endpoint = "INCR";
	x.target = "";
	x.call_error = true;
	tracing_exchange(t, &x);
	x.role = SONDE_ROLE_CLIENT;
	x.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	x.peer_service = "cache";
	tracing_exchange(t, &x);
	tracing_flush(t, 4000);
	assert_int_equal(k->n, 4);
	assert_string_equal(k->spans[0].name, "helloworld.Greeter/SayHello");
	assert_string_equal(k->spans[0].rpc_service, "helloworld.Greeter");
	assert_string_equal(k->spans[0].method, "SayHello");
	assert_int_equal(k->spans[0].status, 0);
	assert_false(k->spans[0].error);
	assert_string_equal(k->spans[0].path, "");
	assert_false(k->spans[1].error);
	assert_string_equal(k->spans[2].name, "INCR");
	assert_false(k->spans[2].error);
	assert_true(k->spans[3].error);
	assert_int_equal(otlp_encode_json(k->spans, 4, &host, &out), 0);
	assert_non_null(strstr(out.data, "{\"key\":\"rpc.system\",\"value\":{\"stringValue\":\"grpc\"}}"));
	assert_non_null(strstr(out.data, "{\"key\":\"rpc.grpc.status_code\",\"value\":{\"intValue\":\"0\"}}"));
	assert_non_null(strstr(out.data, "{\"key\":\"rpc.method\",\"value\":{\"stringValue\":\"SayHello\"}}"));
	assert_non_null(strstr(out.data, "{\"key\":\"db.system.name\",\"value\":{\"stringValue\":\"redis\"}}"));
	assert_non_null(strstr(out.data, "{\"key\":\"db.operation.name\",\"value\":{\"stringValue\":\"INCR\"}}"));
	assert_null(strstr(out.data, "http.request.method"));
	assert_null(strstr(out.data, "http.route"));
	/* The callee sonde named, on the client span only. */
	assert_non_null(strstr(out.data, "{\"key\":\"peer.service\",\"value\":{\"stringValue\":\"cache\"}}"));
	assert_null(strstr(strstr(out.data, "peer.service") + 1, "peer.service"));
	strbuf_free(&out);
	tracing_free(t);
	free(t);
	free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traceparent),
		cmocka_unit_test(test_wire_call_spans),
		cmocka_unit_test(test_samplers),
		cmocka_unit_test(test_otel_config),
		cmocka_unit_test(test_otel_config_errors),
		cmocka_unit_test(test_otlp_protobuf),
		cmocka_unit_test(test_otlp_json),
		cmocka_unit_test(test_client_spans_join_their_server),
		cmocka_unit_test(test_injected_client_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
