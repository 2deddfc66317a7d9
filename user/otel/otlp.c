// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otel/otlp.h"
#include "proto/wire.h"
#include "otel/otlp_attrs.h"
#include "otlp.pb-c.h"
#include "base/strbuf.h"

#define MAX_SPAN_ATTRS 11
#define MAX_RESOURCE_ATTRS 14

static bool same_resource(const struct span *a, const struct span *b)
{
	return a->pid == b->pid && !strcmp(a->service, b->service) && !memcmp(&a->id, &b->id, sizeof(a->id));
}

static size_t resource_attrs(const struct span *s, const struct otlp_host *host, struct otlp_attr *a)
{
	size_t n = 0;

	a[n++] = (struct otlp_attr){ .key = "service.name", .str = s->service };
	a[n++] = (struct otlp_attr){ .key = "host.name", .str = host->host_name };
	a[n++] = (struct otlp_attr){ .key = "process.pid", .num = s->pid };
	if (s->id.container_id[0])
		a[n++] = (struct otlp_attr){ .key = "container.id", .str = s->id.container_id };
	/* The OpenTelemetry Kubernetes resource conventions. */
	const char *k8s[][2] = {
		{ "k8s.pod.uid", s->id.pod_uid },
		{ "k8s.namespace.name", s->id.k8s.ns },
		{ "k8s.pod.name", s->id.k8s.pod },
		{ "k8s.container.name", s->id.k8s.container },
		{ "k8s.deployment.name", s->id.k8s.deployment },
		{ "k8s.statefulset.name", s->id.k8s.statefulset },
		{ "k8s.daemonset.name", s->id.k8s.daemonset },
	};

	for (size_t i = 0; i < sizeof(k8s) / sizeof(k8s[0]); i++)
		if (k8s[i][1][0])
			a[n++] = (struct otlp_attr){ .key = k8s[i][0], .str = k8s[i][1] };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.name", .str = "sonde" };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.language", .str = "c" };
	a[n++] = (struct otlp_attr){ .key = "telemetry.sdk.version", .str = host->version };
	return n;
}

static size_t http_attrs(const struct span *s, struct otlp_attr *a)
{
	size_t n = 0;

	if (s->method[0])
		a[n++] = (struct otlp_attr){ .key = "http.request.method", .str = s->method };
	if (s->kind == SPAN_KIND_SERVER && s->route[0])
		a[n++] = (struct otlp_attr){ .key = "http.route", .str = s->route };
	if (s->path[0])
		a[n++] = (struct otlp_attr){ .key = "url.path", .str = s->path };
	if (s->status)
		a[n++] = (struct otlp_attr){ .key = "http.response.status_code", .num = s->status };
	return n;
}

/* A broker's operation as the messaging conventions type it: a publish
 * sends, a delivery receives; NULL for the others (connects, pings). */
static const char *operation_type(const char *method)
{
	if (!strcmp(method, "PUBLISH") || !strcmp(method, "PUB") || !strcmp(method, "HPUB") ||
	    !strcmp(method, "basic.publish"))
		return "send";
	if (!strcmp(method, "DELIVER") || !strcmp(method, "MSG") || !strcmp(method, "HMSG") ||
	    !strcmp(method, "basic.deliver") || !strcmp(method, "basic.get"))
		return "receive";
	if (!strcmp(method, "basic.ack") || !strcmp(method, "basic.nack") || !strcmp(method, "basic.reject"))
		return "settle";
	return NULL;
}

/* The OpenTelemetry RPC, database, messaging and DNS conventions: what
 * was called, and gRPC's status, which 0 (OK) carries too. */
static size_t rpc_attrs(const struct span *s, struct otlp_attr *a)
{
	size_t n = 0;

	if (!strcmp(s->protocol, "grpc")) {
		a[n++] = (struct otlp_attr){ .key = "rpc.system", .str = "grpc" };
		if (s->rpc_service[0])
			a[n++] = (struct otlp_attr){ .key = "rpc.service", .str = s->rpc_service };
		a[n++] = (struct otlp_attr){ .key = "rpc.method", .str = s->method };
		if (s->status >= 0)
			a[n++] = (struct otlp_attr){ .key = "rpc.grpc.status_code", .num = s->status };
	} else if (wire_topic_sep(s->protocol)) {
		/* The conventions name AMQP 0-9-1's system after its broker. */
		a[n++] = (struct otlp_attr){ .key = "messaging.system",
					     .str = s->protocol[0] == 'a' ? "rabbitmq" : s->protocol };
		a[n++] = (struct otlp_attr){ .key = "messaging.operation.name", .str = s->method };
		if (operation_type(s->method))
			a[n++] = (struct otlp_attr){ .key = "messaging.operation.type",
						     .str = operation_type(s->method) };
		if (s->path[0])
			a[n++] = (struct otlp_attr){ .key = "messaging.destination.name", .str = s->path };
	} else if (!strcmp(s->protocol, "dns")) {
		if (s->path[0])
			a[n++] = (struct otlp_attr){ .key = "dns.question.name", .str = s->path };
	} else {
		a[n++] = (struct otlp_attr){ .key = "db.system.name", .str = s->protocol };
		a[n++] = (struct otlp_attr){ .key = "db.operation.name", .str = s->method };
	}
	return n;
}

/* The OpenTelemetry HTTP semantic conventions, or RPC and database ones
 * for the protocols that are not HTTP; the network attributes for all. */
static size_t span_attrs(const struct span *s, struct otlp_attr *a)
{
	size_t n = 0;

	if (s->kind == SPAN_KIND_INTERNAL) {
		a[n++] = (struct otlp_attr){ .key = "code.function.name", .str = s->code_function };
		if (s->code_file[0])
			a[n++] = (struct otlp_attr){ .key = "code.file.path", .str = s->code_file };
		return n;
	}
	n = s->protocol[0] ? rpc_attrs(s, a) : http_attrs(s, a);
	if (s->server_address[0])
		a[n++] = (struct otlp_attr){ .key = "server.address", .str = s->server_address };
	if (s->server_port)
		a[n++] = (struct otlp_attr){ .key = "server.port", .num = s->server_port };
	if (s->kind == SPAN_KIND_SERVER && s->peer_address[0])
		a[n++] = (struct otlp_attr){ .key = "client.address", .str = s->peer_address };
	if (s->peer_address[0])
		a[n++] = (struct otlp_attr){ .key = "network.peer.address", .str = s->peer_address };
	if (s->peer_port)
		a[n++] = (struct otlp_attr){ .key = "network.peer.port", .num = s->peer_port };
	if (s->error_type[0])
		a[n++] = (struct otlp_attr){ .key = "error.type", .str = s->error_type };
	/* What service graph connectors and Tempo name a client's callee by. */
	if (s->kind == SPAN_KIND_CLIENT && s->peer_service[0])
		a[n++] = (struct otlp_attr){ .key = "peer.service", .str = s->peer_service };
	return n;
}

int otlp_encode_protobuf(const struct span *spans, size_t n, const struct otlp_host *host, uint8_t **out, size_t *len)
{
	size_t nattrs = n * (MAX_SPAN_ATTRS + MAX_RESOURCE_ATTRS), ngroups = 0;
	Sonde__Otlp__ExportTraceServiceRequest req = SONDE__OTLP__EXPORT_TRACE_SERVICE_REQUEST__INIT;
	Sonde__Otlp__InstrumentationScope scope = SONDE__OTLP__INSTRUMENTATION_SCOPE__INIT;
	Sonde__Otlp__ResourceSpans *rs = calloc(n ? n : 1, sizeof(*rs));
	Sonde__Otlp__ResourceSpans **rsp = calloc(n ? n : 1, sizeof(*rsp));
	Sonde__Otlp__Resource *res = calloc(n ? n : 1, sizeof(*res));
	Sonde__Otlp__ScopeSpans *ss = calloc(n ? n : 1, sizeof(*ss));
	Sonde__Otlp__ScopeSpans **ssp = calloc(n ? n : 1, sizeof(*ssp));
	Sonde__Otlp__Span *sp = calloc(n ? n : 1, sizeof(*sp));
	Sonde__Otlp__Span **spp = calloc(n ? n : 1, sizeof(*spp));
	Sonde__Otlp__Status *st = calloc(n ? n : 1, sizeof(*st));
	bool *done = calloc(n ? n : 1, sizeof(*done));
	struct otlp_pb_arena ar;
	int arena = otlp_pb_arena_init(&ar, nattrs);
	size_t nspans = 0;
	int ret = -ENOMEM;

	if (!rs || !rsp || !res || !ss || !ssp || !sp || !spp || !st || !done || arena)
		goto out;
	scope.name = "sonde";
	scope.version = (char *)host->version;
	for (size_t i = 0; i < n; i++) {
		struct otlp_attr a[MAX_RESOURCE_ATTRS];
		size_t first = nspans;

		if (done[i])
			continue;
		sonde__otlp__resource_spans__init(&rs[ngroups]);
		sonde__otlp__resource__init(&res[ngroups]);
		sonde__otlp__scope_spans__init(&ss[ngroups]);
		res[ngroups].n_attributes = resource_attrs(&spans[i], host, a);
		res[ngroups].attributes = otlp_pb_attrs(&ar, a, res[ngroups].n_attributes);
		for (size_t j = i; j < n; j++) {
			const struct span *s = &spans[j];
			Sonde__Otlp__Span *p = &sp[nspans];
			struct otlp_attr sa[MAX_SPAN_ATTRS];

			if (done[j] || !same_resource(&spans[i], s))
				continue;
			done[j] = true;
			sonde__otlp__span__init(p);
			sonde__otlp__status__init(&st[nspans]);
			p->trace_id = (ProtobufCBinaryData){ 16, (uint8_t *)s->trace_id };
			p->span_id = (ProtobufCBinaryData){ 8, (uint8_t *)s->span_id };
			if (memcmp(s->parent_id, "\0\0\0\0\0\0\0\0", 8))
				p->parent_span_id = (ProtobufCBinaryData){ 8, (uint8_t *)s->parent_id };
			p->name = (char *)s->name;
			p->kind = s->kind == SPAN_KIND_SERVER	? SONDE__OTLP__SPAN__SPAN_KIND__SPAN_KIND_SERVER :
				  s->kind == SPAN_KIND_INTERNAL ? SONDE__OTLP__SPAN__SPAN_KIND__SPAN_KIND_INTERNAL :
								  SONDE__OTLP__SPAN__SPAN_KIND__SPAN_KIND_CLIENT;
			p->start_time_unix_nano = s->start_unix_ns;
			p->end_time_unix_nano = s->end_unix_ns;
			p->n_attributes = span_attrs(s, sa);
			p->attributes = otlp_pb_attrs(&ar, sa, p->n_attributes);
			st[nspans].code = s->error ? SONDE__OTLP__STATUS__STATUS_CODE__STATUS_CODE_ERROR :
						     SONDE__OTLP__STATUS__STATUS_CODE__STATUS_CODE_UNSET;
			p->status = &st[nspans];
			p->flags = 1; /* sampled */
			spp[nspans++] = p;
		}
		ss[ngroups].scope = &scope;
		ss[ngroups].n_spans = nspans - first;
		ss[ngroups].spans = spp + first;
		ssp[ngroups] = &ss[ngroups];
		rs[ngroups].resource = &res[ngroups];
		rs[ngroups].n_scope_spans = 1;
		rs[ngroups].scope_spans = &ssp[ngroups];
		rsp[ngroups] = &rs[ngroups];
		ngroups++;
	}
	req.n_resource_spans = ngroups;
	req.resource_spans = rsp;
	*len = sonde__otlp__export_trace_service_request__get_packed_size(&req);
	*out = malloc(*len ? *len : 1);
	if (!*out)
		goto out;
	sonde__otlp__export_trace_service_request__pack(&req, *out);
	ret = 0;
out:
	free(rs);
	free(rsp);
	free(res);
	free(ss);
	free(ssp);
	free(sp);
	free(spp);
	free(st);
	free(done);
	if (!arena)
		otlp_pb_arena_free(&ar);
	return ret;
}

int otlp_encode_json(const struct span *spans, size_t n, const struct otlp_host *host, struct strbuf *out)
{
	bool *done = calloc(n ? n : 1, sizeof(*done));
	size_t groups = 0;

	if (!done)
		return -ENOMEM;
	strbuf_printf(out, "{\"resourceSpans\":[");
	for (size_t i = 0; i < n; i++) {
		struct otlp_attr a[MAX_RESOURCE_ATTRS];
		size_t count = 0;

		if (done[i])
			continue;
		strbuf_printf(out, "%s{\"resource\":{\"attributes\":", groups++ ? "," : "");
		otlp_json_attrs(out, a, resource_attrs(&spans[i], host, a));
		strbuf_printf(out, "},\"scopeSpans\":[{\"scope\":{\"name\":\"sonde\",\"version\":");
		otlp_json_string(out, host->version);
		strbuf_printf(out, "},\"spans\":[");
		for (size_t j = i; j < n; j++) {
			const struct span *s = &spans[j];
			struct otlp_attr sa[MAX_SPAN_ATTRS];

			if (done[j] || !same_resource(&spans[i], s))
				continue;
			done[j] = true;
			strbuf_printf(out, "%s{\"traceId\":", count++ ? "," : "");
			otlp_json_hex(out, s->trace_id, 16);
			strbuf_printf(out, ",\"spanId\":");
			otlp_json_hex(out, s->span_id, 8);
			if (memcmp(s->parent_id, "\0\0\0\0\0\0\0\0", 8)) {
				strbuf_printf(out, ",\"parentSpanId\":");
				otlp_json_hex(out, s->parent_id, 8);
			}
			strbuf_printf(out, ",\"name\":");
			otlp_json_string(out, s->name);
			strbuf_printf(
				out,
				",\"kind\":%d,\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\",\"attributes\":",
				s->kind, (unsigned long long)s->start_unix_ns, (unsigned long long)s->end_unix_ns);
			otlp_json_attrs(out, sa, span_attrs(s, sa));
			strbuf_printf(out, ",\"status\":{\"code\":%d},\"flags\":1}", s->error ? 2 : 0);
		}
		strbuf_printf(out, "]}]}");
	}
	strbuf_printf(out, "]}");
	free(done);
	return out->err;
}
