// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otel/tracing.h"
#include "pipeline/exchange.h"
#include "pipeline/functions.h"
#include "pipeline/peers.h"
#include "pipeline/routes.h"

static int64_t clock_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000ll + (rt.tv_nsec - mono.tv_nsec);
}

int tracing_init(struct tracing *t, const struct otel_config *cfg, span_sink sink, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->sink = sink;
	t->sink_arg = arg;
	t->unix_offset_ns = clock_offset();
	t->ready_cap = 256;
	t->ready = malloc(t->ready_cap * sizeof(*t->ready));
	t->pending = malloc(TRACING_MAX_PENDING * sizeof(*t->pending));
	if (!t->ready || !t->pending)
		return -ENOMEM;
	return ids_init(&t->ids);
}

void tracing_free(struct tracing *t)
{
	free(t->ready);
	free(t->pending);
	memset(t, 0, sizeof(*t));
}

static void make_ready(struct tracing *t, const struct span *s)
{
	if (t->nready == t->ready_cap) {
		struct span *grown = realloc(t->ready, 2 * t->ready_cap * sizeof(*grown));

		/* Out of memory: hand over what we have and start again. */
		if (!grown) {
			t->sink(t->sink_arg, t->ready, t->nready);
			t->nready = 0;
		} else {
			t->ready = grown;
			t->ready_cap *= 2;
		}
	}
	t->ready[t->nready++] = *s;
}

/* server.address and server.port from a Host header: host, host:port,
 * [v6]:port. */
static void split_host(const char *host, char *addr, size_t size, uint16_t *port)
{
	const char *colon = strrchr(host, ':');
	size_t n = strlen(host);

	*port = 0;
	if (colon && (host[0] != '[' || colon > strchr(host, ']'))) {
		*port = (uint16_t)atoi(colon + 1);
		n = (size_t)(colon - host);
	}
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']') {
		host++;
		n -= 2;
	}
	snprintf(addr, size, "%.*s", (int)n, host);
}

/* The RPC and database conventions: a gRPC span is named for its RPC
 * (helloworld.Greeter/SayHello), a Redis or PostgreSQL one for the command
 * or verb, a DNS one for the question's type. */
static void fill_rpc(struct span *s, const struct exchange *x)
{
	snprintf(s->protocol, sizeof(s->protocol), "%s", x->protocol);
	s->path[0] = '\0';
	if (!strcmp(x->protocol, "grpc")) {
		const char *rpc = x->target[0] == '/' ? x->target + 1 : x->target, *slash = strrchr(rpc, '/');

		snprintf(s->route, sizeof(s->route), "%s", x->target);
		snprintf(s->name, sizeof(s->name), "%s", rpc);
		snprintf(s->rpc_service, sizeof(s->rpc_service), "%.*s", slash ? (int)(slash - rpc) : 0, rpc);
		snprintf(s->method, sizeof(s->method), "%s", slash ? slash + 1 : rpc);
	} else if (exchange_is_messaging(x)) {
		/* The messaging conventions: the topic as destination, named by
		 * its bounded template, which a server's endpoint already is. */
		snprintf(s->path, sizeof(s->path), "%s", x->target);
		s->route[0] = '\0';
		if (x->target[0] && x->role == SONDE_ROLE_SERVER)
			snprintf(s->route, sizeof(s->route), "%s", x->endpoint);
		else if (x->target[0] &&
			 routes_from_topic(x->target, wire_topic_sep(x->protocol), s->route, sizeof(s->route)) < 0)
			s->route[0] = '\0';
		snprintf(s->name, sizeof(s->name), "%s%s%s", x->method, s->route[0] ? " " : "", s->route);
	} else if (!strcmp(x->protocol, "dns")) {
		/* The name asked is an attribute: as a span's name it would be
		 * unbounded. */
		snprintf(s->path, sizeof(s->path), "%s", x->target);
		s->route[0] = '\0';
		snprintf(s->name, sizeof(s->name), "DNS %s", x->method);
	} else {
		s->route[0] = '\0';
		snprintf(s->name, sizeof(s->name), "%s", x->method);
	}
}

static void fill(struct tracing *t, struct span *s, const struct exchange *x)
{
	const char *q;
	size_t n;

	memset(s, 0, sizeof(*s));
	ids_random(&t->ids, s->span_id, sizeof(s->span_id));
	s->kind = x->role == SONDE_ROLE_SERVER ? SPAN_KIND_SERVER : SPAN_KIND_CLIENT;
	s->start_unix_ns = x->start_ns + (uint64_t)t->unix_offset_ns;
	s->end_unix_ns = (x->end_ns >= x->start_ns ? x->end_ns : x->start_ns) + (uint64_t)t->unix_offset_ns;
	snprintf(s->method, sizeof(s->method), "%s", x->method);
	/* url.path: never the query string, matrix parameters or
	 * credential-like segments, which hold secrets. */
	if (routes_redact_path(x->target, strlen(x->target), s->path, sizeof(s->path)) < 0) {
		q = strpbrk(x->target, "?#;");
		n = q ? (size_t)(q - x->target) : strlen(x->target);
		snprintf(s->path, sizeof(s->path), "%.*s", (int)n, x->target);
	}
	s->status = x->status;
	snprintf(s->service, sizeof(s->service), "%s", x->service);
	s->pid = x->tgid;
	if (x->id)
		s->id = *x->id;
	peers_format(x->peer, false, s->peer_address, sizeof(s->peer_address));
	s->peer_port = x->peer->port;
	if (x->role == SONDE_ROLE_SERVER) {
		snprintf(s->route, sizeof(s->route), "%s", x->endpoint);
		snprintf(s->name, sizeof(s->name), "%s %s", x->method, x->endpoint);
		split_host(x->host, s->server_address, sizeof(s->server_address), &s->server_port);
		s->error = exchange_server_error(x);
		/* The client's ephemeral port says nothing. */
		s->peer_port = 0;
	} else {
		/* A connect that failed sent no request: the span is the attempt. */
		snprintf(s->name, sizeof(s->name), "%s", x->connect_error ? "connect" : x->method);
		snprintf(s->server_address, sizeof(s->server_address), "%s", s->peer_address);
		s->server_port = x->peer->port;
		snprintf(s->peer_service, sizeof(s->peer_service), "%s", x->peer_service ? x->peer_service : "");
		s->error = x->call_error;
		if (x->connect_error)
			snprintf(s->error_type, sizeof(s->error_type), "%s", x->connect_error);
	}
	if (exchange_is_rpc(x))
		fill_rpc(s, x);
}

static int slow(const struct tracing *t, const struct exchange *x)
{
	return t->cfg.slow_ns && x->end_ns - x->start_ns >= t->cfg.slow_ns;
}

static int waiting_clients(const struct tracing *t, const struct exchange *x)
{
	for (size_t i = 0; i < t->npending; i++)
		if (t->pending[i].tgid == x->tgid && t->pending[i].tid == x->tid)
			return 1;
	return 0;
}

/* The covered client span's request the trace sonde wrote into, if any:
 * the server's own trace then, as the callee already joined it. */
static const struct pending_client *injected_client(const struct tracing *t, const struct exchange *x)
{
	for (size_t i = 0; i < t->npending; i++) {
		const struct pending_client *p = &t->pending[i];

		if (p->injected && p->tgid == x->tgid && p->tid == x->tid && p->start_ns >= x->start_ns &&
		    p->end_ns <= x->end_ns)
			return p;
	}
	return NULL;
}

static void server_exchange(struct tracing *t, const struct exchange *x)
{
	struct trace_parent parent;
	int has_parent = x->traceparent[0] && !traceparent_parse(x->traceparent, &parent);
	uint8_t trace_id[16];
	struct span s;
	int keep;
	size_t i;

	const struct pending_client *injected = has_parent ? NULL : injected_client(t, x);

	if (has_parent)
		memcpy(trace_id, parent.trace_id, sizeof(trace_id));
	else if (injected)
		memcpy(trace_id, injected->injected_trace, sizeof(trace_id));
	else
		ids_random(&t->ids, trace_id, sizeof(trace_id));
	keep = sampler_decide(t->cfg.sampler, t->cfg.ratio, trace_id, has_parent ? &parent : NULL) ||
	       exchange_server_error(x) || slow(t, x);
	/* Decided before anything is formatted: a span nobody keeps, with no
	 * client spans to adopt, costs nothing more. */
	if (!keep && !waiting_clients(t, x))
		return;
	fill(t, &s, x);
	memcpy(s.trace_id, trace_id, sizeof(trace_id));
	if (has_parent)
		memcpy(s.parent_id, parent.span_id, sizeof(s.parent_id));
	if (keep) {
		make_ready(t, &s);
		t->last.kept = true;
		memcpy(t->last.trace_id, s.trace_id, sizeof(s.trace_id));
		memcpy(t->last.span_id, s.span_id, sizeof(s.span_id));
	}
	/* Adopt the client spans this request made on its thread. */
	for (i = 0; i < t->npending;) {
		struct pending_client *p = &t->pending[i];

		if (p->tgid != x->tgid || p->tid != x->tid || p->start_ns < x->start_ns || p->end_ns > x->end_ns) {
			i++;
			continue;
		}
		memcpy(p->span.trace_id, s.trace_id, sizeof(s.trace_id));
		memcpy(p->span.parent_id, s.span_id, sizeof(s.span_id));
		if (keep || p->error_or_slow)
			make_ready(t, &p->span);
		t->pending[i] = t->pending[--t->npending];
	}
}

static void release_root(struct tracing *t, struct pending_client *p)
{
	if (p->injected)
		memcpy(p->span.trace_id, p->injected_trace, sizeof(p->span.trace_id));
	else
		ids_random(&t->ids, p->span.trace_id, sizeof(p->span.trace_id));
	if (p->error_or_slow || sampler_decide(t->cfg.sampler, t->cfg.ratio, p->span.trace_id, NULL))
		make_ready(t, &p->span);
}

/* A request that carries its own traceparent: the client propagates a
 * context itself, so its span joins that trace, a child of the span the
 * header names, as the callee's span will be. */
static int client_in_context(struct tracing *t, const struct exchange *x)
{
	struct trace_parent parent;
	struct span s;

	if (!x->traceparent[0] || traceparent_parse(x->traceparent, &parent))
		return 0;
	fill(t, &s, x);
	memcpy(s.trace_id, parent.trace_id, sizeof(s.trace_id));
	memcpy(s.parent_id, parent.span_id, sizeof(s.parent_id));
	if (sampler_decide(t->cfg.sampler, t->cfg.ratio, s.trace_id, &parent) || s.error || slow(t, x))
		make_ready(t, &s);
	return 1;
}

/* A span waiting for the server exchange that covers it; full, the
 * oldest leaves as a root. */
static struct pending_client *pending_add(struct tracing *t, uint32_t tgid, uint32_t tid, uint64_t start_ns,
					  uint64_t end_ns)
{
	struct pending_client *p;

	if (t->npending == TRACING_MAX_PENDING) {
		release_root(t, &t->pending[0]);
		t->pending[0] = t->pending[--t->npending];
	}
	p = &t->pending[t->npending++];
	p->tgid = tgid;
	p->tid = tid;
	p->start_ns = start_ns;
	p->end_ns = end_ns;
	p->injected = false;
	return p;
}

void tracing_exchange(struct tracing *t, const struct exchange *x)
{
	struct pending_client *p;

	t->last.kept = false;
	if (x->role == SONDE_ROLE_SERVER) {
		server_exchange(t, x);
		return;
	}
	if (client_in_context(t, x))
		return;
	p = pending_add(t, x->tgid, x->tid, x->start_ns, x->end_ns);
	fill(t, &p->span, x);
	p->error_or_slow = p->span.error || slow(t, x);
	p->injected = x->injected_trace != NULL;
	if (p->injected) {
		memcpy(p->injected_trace, x->injected_trace, sizeof(p->injected_trace));
		memcpy(p->span.span_id, x->injected_span, sizeof(p->span.span_id));
	}
}

void tracing_function(struct tracing *t, const struct function_call *c)
{
	struct pending_client *p = pending_add(t, c->tgid, c->tid, c->start_ns, c->end_ns);
	struct span *s = &p->span;

	memset(s, 0, sizeof(*s));
	ids_random(&t->ids, s->span_id, sizeof(s->span_id));
	s->kind = SPAN_KIND_INTERNAL;
	s->error = c->error;
	s->start_unix_ns = c->start_ns + (uint64_t)t->unix_offset_ns;
	s->end_unix_ns = (c->end_ns >= c->start_ns ? c->end_ns : c->start_ns) + (uint64_t)t->unix_offset_ns;
	snprintf(s->name, sizeof(s->name), "%s", c->fn->cfg.name);
	snprintf(s->code_function, sizeof(s->code_function), "%s", c->fn->cfg.symbol);
	snprintf(s->code_file, sizeof(s->code_file), "%s", c->file);
	snprintf(s->service, sizeof(s->service), "%s", c->fn->cfg.service);
	s->pid = c->tgid;
	if (c->id)
		s->id = *c->id;
	p->error_or_slow = s->error || (t->cfg.slow_ns && c->end_ns - c->start_ns >= t->cfg.slow_ns);
}

void tracing_flush(struct tracing *t, uint64_t now_ns)
{
	for (size_t i = 0; i < t->npending;) {
		struct pending_client *p = &t->pending[i];

		if (p->end_ns + TRACING_HOLD_NS > now_ns) {
			i++;
			continue;
		}
		release_root(t, p);
		t->pending[i] = t->pending[--t->npending];
	}
	if (t->nready)
		t->sink(t->sink_arg, t->ready, t->nready);
	t->nready = 0;
}
