// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The collector on arbitrary ring buffer samples: whatever the kernel copies
 * from a socket, including lengths it should never report, is counted or
 * skipped, never a crash. Routes, function calls, spans, the service
 * graph and the exposition come along. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/collector.h"
#include "pipeline/functions.h"
#include "base/buckets.h"
#include "metrics/prom.h"
#include "pipeline/routes.h"
#include "base/strbuf.h"
#include "metrics/registry.h"
#include "metrics/self_metrics.h"
#include "otel/tracing.h"
#include "pipeline/red.h"
#include "pipeline/service_graph.h"
#include "pipeline/sinks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *name)
{
	(void)name;
	return NULL;
}

static void no_sink(void *arg, const struct span *spans, size_t n)
{
	(void)arg;
	(void)spans;
	(void)n;
}

static void to_tracing(void *arg, const struct exchange *x)
{
	tracing_exchange(arg, x);
}

static void to_graph(void *arg, const struct exchange *x)
{
	service_graph_exchange(arg, x);
}

static void calls_to_tracing(void *arg, const struct function_call *c)
{
	tracing_function(arg, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct registry *reg;
	static struct services services;
	static struct red red;
	static struct self_metrics self;
	static struct sinks sinks;
	static struct collector c;
	static struct route_set routes;
	static struct route_set *by_service[2];
	static struct tracing tracing;
	static struct service_graph graph;
	static struct functions functions;
	static int calls;
	union {
		struct sonde_http_event http;
		struct sonde_conn_event conn;
		struct sonde_func_event func;
	} ev;
	struct strbuf out = { 0 };
	uint32_t id;

	if (!reg) {
		struct red_config rc = {
			.ns = "fuzz", .buckets = buckets_default, .nbuckets = buckets_default_len, .series_cap = 50
		};
		struct collector_config cfg = { .services = &services,
						.routes = by_service,
						.nroutes = 2,
						.peers_per_service = 4,
						.sinks = &sinks,
						.red = &red,
						.self = &self,
						.functions = &functions };
		/* Ids 0x101 and 0x102: a native function and a Python one. */
		const struct function_config fns[] = {
			{ .service = "svc", .symbol = "f", .name = "f", .error_when = FUNC_ERROR_LT0 },
			{ .service = "svc", .symbol = "m.g", .name = "g", .runtime = FUNC_RUNTIME_PYTHON },
		};

		reg = registry_new();
		red_init(&red, reg, &rc);
		self_metrics_init(&self, reg, "fuzz", "fuzz");
		sinks_init(&sinks, &red);
		services_intern(&services, "svc", &id);
		functions_set(&functions, fns, 2);
		collector_init(&c, &cfg);
		routes_add(&routes, "/api/users/{id}");
		routes_add(&routes, "/a/{x}/b");
		by_service[1] = &routes;
		/* Spans too: traceparent, Host and the peer come from the bytes. */
		struct otel_config oc;
		char err[128];

		otel_config_load(&oc, no_env, "http://127.0.0.1:1", 1.0, err, sizeof(err));
		tracing_init(&tracing, &oc, no_sink, NULL);
		sinks_add(&sinks, to_tracing, &tracing);
		/* The service graph: callers from connect events, edges. */
		service_graph_init(&graph, reg, &rc);
		sinks_add(&sinks, to_graph, &graph);
		sinks_add_calls(&sinks, calls_to_tracing, &tracing);
	}
	/* The event as the ring buffer hands it over: size bytes, lengths as
	 * they come. */
	memset(&ev, 0, sizeof(ev));
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	collector_event(&c, &ev, size < sizeof(ev) ? size : sizeof(ev));
	/* Render and flush now and then so series growth, escaping and span
	 * release are exercised. */
	if (++calls % 64 == 0) {
		tracing_flush(&tracing, UINT64_MAX / 2);
		prom_render(reg, &out);
		strbuf_free(&out);
	}
	return 0;
}
