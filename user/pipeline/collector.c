// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "metrics/self_metrics.h"
#include "pipeline/collector.h"
#include "pipeline/functions.h"
#include "pipeline/red.h"
#include "pipeline/routes.h"
#include "pipeline/sinks.h"
#include "proto/http.h"

#define ROUTE_MAX 256
/* Connections of user-space parsed protocols followed at once. */
#define STREAMS_MAX 4096

/* Methods outside this set share one label value, as in the OpenTelemetry
 * conventions, so junk cannot mint series. */
static const char *const known_methods[] = { "GET",	"HEAD",	   "POST",  "PUT",  "DELETE",
					     "CONNECT", "OPTIONS", "TRACE", "PATCH" };

int collector_init(struct collector *c, const struct collector_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->peers = malloc(sizeof(*c->peers));
	if (!c->peers)
		return -ENOMEM;
	peers_init(c->peers, cfg->peers_per_service);
	c->pipelined = malloc(sizeof(*c->pipelined));
	c->callers = callers_new();
	if (!c->pipelined || !c->callers || streams_init(&c->streams, STREAMS_MAX) || known_routes_init(&c->known)) {
		collector_free(c);
		return -ENOMEM;
	}
	pipelined_init(c->pipelined);
	return 0;
}

void collector_free(struct collector *c)
{
	known_routes_free(&c->known);
	streams_free(&c->streams);
	free(c->pipelined);
	c->pipelined = NULL;
	free(c->callers);
	c->callers = NULL;
	free(c->peers);
	c->peers = NULL;
}

/* A status, never negative here, as its label: digits by hand, as snprintf
 * costs more than the rest of a label's making, once per exchange. */
static void status_text(char out[12], unsigned status)
{
	char rev[12];
	int n = 0, k = 0;

	do
		rev[n++] = (char)('0' + status % 10);
	while ((status /= 10));
	while (n)
		out[k++] = rev[--n];
	out[k] = 0;
}

static const char *method_label(const char *method)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (!strcmp(method, known_methods[i]))
			return known_methods[i];
	return "_OTHER";
}

static void count_failure(struct collector *c, const char *kind)
{
	self_metrics_parse_failure(c->cfg.self, kind);
}

/* Where an event came from: the process, its connection's peer. */
struct origin {
	uint8_t role;
	uint32_t service_id;
	uint32_t tgid;
	uint32_t tid;
	uint64_t cgroup_id;
	const char *comm; /* SONDE_COMM_LEN bytes */
	const struct sonde_peer *peer;
};

/* What an origin is called in labels. */
struct origin_labels {
	const struct identity *id;
	const char *service;
	const char *peer; /* set by label_peer */
	char comm[SONDE_COMM_LEN + 1];
	char peer_buf[PEER_LABEL_MAX];
};

static void label_origin(struct collector *c, const struct origin *o, struct origin_labels *l)
{
	_Static_assert(SERVICES_COMM_MAX == SONDE_COMM_LEN, "the event's command name fits");

	l->id = c->cfg.identity ? c->cfg.identity(c->cfg.identity_arg, o->cgroup_id, o->tgid) : NULL;
	l->service = services_label(c->cfg.services, o->service_id, l->id, o->comm, l->comm);
	if (!l->service)
		l->service = "unknown";
	l->peer = NULL;
}

/* The peer's label counts against the service's cap of peers: asked only
 * where a series names it. An inbound connection's peer is its address. */
static void label_peer(struct collector *c, const struct origin *o, struct origin_labels *l, bool inbound)
{
	l->peer = peers_label(c->peers, l->service, o->peer, inbound, l->peer_buf, sizeof(l->peer_buf));
}

void collector_expire(struct collector *c, uint32_t idle_ticks)
{
	peers_expire(c->peers, idle_ticks);
	known_routes_expire(&c->known, idle_ticks);
	callers_expire(c->callers, idle_ticks);
}

/* The route of a server request: the service's own patterns first
 * (matched says so), then the heuristics. */
static int server_route(const struct collector *c, uint32_t service_id, const char *target, char route[ROUTE_MAX],
			bool *matched)
{
	int n = -ENOENT;

	if (service_id < c->cfg.nroutes && c->cfg.routes[service_id])
		n = routes_match(c->cfg.routes[service_id], target, strlen(target), route, ROUTE_MAX);
	*matched = n >= 0;
	if (n < 0)
		n = routes_from_target(target, strlen(target), route, ROUTE_MAX);
	return n;
}

/* The service at the exchange's other end: on this host from the callers'
 * connections, else from the cluster's addresses. */
static void label_peer_service(struct collector *c, const struct origin *o, const char *service, struct exchange *x,
			       char *buf, size_t size)
{
	bool this_node = false;

	if (o->role == SONDE_ROLE_CLIENT)
		x->peer_service = callers_callee(c->callers, o->peer);
	else
		x->peer_service = callers_caller(c->callers, o->peer, service);
	x->peer_counts = o->role == SONDE_ROLE_SERVER && x->peer_service;
	if (x->peer_service || !c->cfg.address)
		return;
	x->peer_service = c->cfg.address(c->cfg.address_arg, o->peer, buf, size, &this_node);
	x->peer_counts = o->role == SONDE_ROLE_SERVER && x->peer_service && !this_node;
}

/* The one way out: the origin's part of the exchange, then the sinks. A
 * client exchange's endpoint is its peer. */
static void emit(struct collector *c, const struct origin *o, struct exchange *x)
{
	char peer_service[CALLERS_NAME_MAX];
	struct origin_labels l;

	label_origin(c, o, &l);
	label_peer_service(c, o, l.service, x, peer_service, sizeof(peer_service));
	x->role = o->role;
	x->tgid = o->tgid;
	x->tid = o->tid;
	x->service = l.service;
	x->id = l.id;
	x->peer = o->peer;
	if (o->role == SONDE_ROLE_CLIENT) {
		label_peer(c, o, &l, false);
		x->endpoint = l.peer;
	} else if (!strcmp(x->protocol, "http") && !x->endpoint_matched) {
		x->endpoint = known_routes_endpoint(&c->known, l.service, x->endpoint, x->status);
	}
	sinks_emit(c->cfg.sinks, x);
}

static void count_failures(struct collector *c, const char *kind, unsigned n)
{
	while (n--)
		count_failure(c, kind);
}

/* The request an exchange's response answers, parsed into req: the
 * oldest one a client pipelined on its connection, when any waits; else
 * the first in its own bytes, parsed once, and the requests after it wait
 * for the responses to come. -ENOENT for a response whose request was not
 * captured, -EBADMSG for bytes that are no request. */
static int exchange_request(struct collector *c, const struct sonde_http_event *ev, struct pipelined_taken *taken,
			    struct http_head *req, uint64_t *start_ns)
{
	const char *buf = ev->req;
	bool cut = ev->req_len == SONDE_REQ_CAP;
	size_t len = ev->req_len, next;
	int n;

	if (ev->req_len && !pipelined_waiting(c->pipelined, ev->tgid, ev->conn_id)) {
		*start_ns = ev->start_ns;
		n = http_parse_head(HTTP_REQUEST, buf, len, req);
		next = http_request_after(buf, len, req, n);
		if (next) {
			count_failures(c, "pipeline",
				       pipelined_push(c->pipelined, ev->tgid, ev->conn_id, buf + next, len - next, cut,
						      ev->start_ns));
			cut = false;
		}
	} else {
		count_failures(c, "pipeline",
			       pipelined_push(c->pipelined, ev->tgid, ev->conn_id, buf, len, cut, ev->start_ns));
		if (pipelined_take(c->pipelined, ev->tgid, ev->conn_id, taken))
			return -ENOENT;
		buf = taken->buf;
		len = taken->len;
		cut = taken->cut;
		*start_ns = taken->start_ns;
		http_parse_head(HTTP_REQUEST, buf, len, req);
	}
	if (!req->start_line_ok && (!cut || http_parse_request_prefix(buf, len, req)))
		return -EBADMSG;
	return 0;
}

/* The traceparent written into a client request of connection conn_id
 * that ended at end_ns, taken; NULL if none was. */
static const struct injection *injection_take(struct collector *c, uint32_t tgid, uint64_t conn_id, uint64_t end_ns)
{
	for (size_t i = 0; i < COLLECTOR_INJECTIONS; i++) {
		struct injection *in = &c->injections[i];

		if (in->conn_id == conn_id && in->tgid == tgid && in->ts_ns <= end_ns) {
			in->conn_id = 0;
			return in;
		}
	}
	return NULL;
}

/* Kept until its exchange comes; the oldest go to make room. */
static void collector_propagation(struct collector *c, const struct sonde_propagation_event *ev)
{
	struct injection *in = &c->injections[c->next_injection++ % COLLECTOR_INJECTIONS];

	if (!ev->conn_id)
		return;
	in->conn_id = ev->conn_id;
	in->ts_ns = ev->ts_ns;
	in->tgid = ev->tgid;
	memcpy(in->trace_id, ev->trace_id, sizeof(in->trace_id));
	memcpy(in->span_id, ev->span_id, sizeof(in->span_id));
}

static void collector_http(struct collector *c, const struct sonde_http_event *ev, size_t size)
{
	const struct origin o = { ev->role, ev->service_id, ev->tgid, ev->tid, ev->cgroup_id, ev->comm, &ev->peer };
	char route[ROUTE_MAX], status_label[12];
	int client = ev->role == SONDE_ROLE_CLIENT;
	struct pipelined_taken taken;
	struct http_head req;
	bool matched = false;
	uint64_t start_ns;
	int status, ret;

	if (size < SONDE_EVENT_SIZE(0) || ev->req_len > SONDE_REQ_CAP || ev->resp_len > SONDE_RESP_CAP ||
	    SONDE_EVENT_SIZE(ev->req_len) > size) {
		count_failure(c, "event");
		return;
	}
	ret = exchange_request(c, ev, &taken, &req, &start_ns);
	if (ret) {
		count_failure(c, ret == -ENOENT ? "pipeline" : "request");
		return;
	}
	if (!client && server_route(c, ev->service_id, req.target, route, &matched) < 0) {
		count_failure(c, "target");
		return;
	}
	status = http_parse_status_prefix(ev->resp, ev->resp_len);
	if (status < 0) {
		count_failure(c, "response");
		strcpy(status_label, "unknown");
	} else {
		status_text(status_label, (unsigned)status);
	}
	struct exchange x = {
		.protocol = "http",
		.method = method_label(req.method),
		.endpoint = client ? NULL : route,
		.endpoint_matched = matched,
		.status_label = status_label,
		.status = status < 0 ? 0 : status,
		.target = req.target,
		.host = req.host,
		.traceparent = req.traceparent,
		.tls = ev->flags & SONDE_HTTP_TLS,
		.http_version = (uint8_t)req.version,
		.start_ns = start_ns,
		.end_ns = ev->end_ns,
		.fault = client || (status >= 0 && status < 500) ? NULL :
			 status < 0				 ? "malformed_response" :
								   "http_5xx",
		.call_error = status < 0 || status >= 400,
	};
	const struct injection *in = client ? injection_take(c, ev->tgid, ev->conn_id, ev->end_ns) : NULL;

	if (in) {
		x.injected_trace = in->trace_id;
		x.injected_span = in->span_id;
	}
	emit(c, &o, &x);
}

static const char *failure_reason(int error)
{
	switch (error) {
	case ECONNREFUSED:
		return "refused";
	case ETIMEDOUT:
		return "timeout";
	case ECONNRESET:
		return "reset";
	case EHOSTUNREACH:
	case ENETUNREACH:
		return "unreachable";
	default:
		return "other";
	}
}

static void collector_conn(struct collector *c, const struct sonde_conn_event *ev)
{
	const struct origin o = { ev->role, ev->service_id, ev->tgid, ev->tid, ev->cgroup_id, ev->comm, &ev->peer };
	struct origin_labels l;
	struct red_conn rc;

	label_origin(c, &o, &l);
	label_peer(c, &o, &l, ev->role == SONDE_ROLE_SERVER);
	rc = (struct red_conn){ .service = l.service, .peer = l.peer, .id = l.id };
	switch (ev->what) {
	case SONDE_CONN_CONNECTED:
		red_connect_time(c->cfg.red, &rc, (double)ev->duration_ns / 1e9);
		callers_connected(c->callers, l.service, &ev->local, &ev->peer);
		break;
	case SONDE_CONN_FAILED:
		red_connection_failure(c->cfg.red, &rc, failure_reason(ev->error));
		/* A failed outgoing connect is a CLIENT span in error. */
		if (ev->role == SONDE_ROLE_CLIENT && ev->duration_ns && ev->duration_ns <= ev->ts_ns) {
			struct exchange x = {
				.protocol = "",
				.method = "",
				.status_label = "",
				.target = "",
				.host = "",
				.traceparent = "",
				.start_ns = ev->ts_ns - ev->duration_ns,
				.end_ns = ev->ts_ns,
				.call_error = true,
				.connect_error = failure_reason(ev->error),
			};

			emit(c, &o, &x);
		}
		break;
	case SONDE_CONN_RETRANSMIT:
		red_retransmit(c->cfg.red, &rc);
		break;
	case SONDE_CONN_PROGRESS:
		red_rtt(c->cfg.red, &rc, (double)ev->duration_ns / 1e9);
		red_connection_bytes(c->cfg.red, &rc, ev->bytes_sent, ev->bytes_received);
		break;
	case SONDE_CONN_CLOSED:
		red_connection_bytes(c->cfg.red, &rc, ev->bytes_sent, ev->bytes_received);
		if (ev->role == SONDE_ROLE_CLIENT)
			callers_closed(c->callers, &ev->local);
		break;
	case SONDE_CONN_ACCEPTED:
		/* Learns the callee before a caller's exchange can name it. */
		callers_caller(c->callers, &ev->peer, l.service);
		break;
	case SONDE_CONN_LEFT_ALONE:
		self_metrics_conn_left(c->cfg.self, l.service, "unknown_protocol");
		break;
	case SONDE_CONN_TLS_UNREADABLE:
		/* Said once a service: its traffic is not seen. */
		if (self_metrics_tls_unreadable(c->cfg.self, l.service) == 1)
			log_warn("tls",
				 "service %s (pid %u, %.*s) speaks TLS through a library sonde does not read: "
				 "its traffic is not visible",
				 l.service, ev->tgid, SONDE_COMM_LEN, ev->comm);
		break;
	default:
		count_failure(c, "event");
	}
}

struct call_context {
	struct collector *c;
	const struct sonde_data_event *ev;
};

/* A call of a protocol parsed in user space: gRPC and HTTP/2 label like
 * HTTP (the RPC path or the route as endpoint, the status number); Redis
 * and PostgreSQL take the command or verb as endpoint too, and ok|error
 * as status. */
static void collector_call(void *arg, const struct wire_call *w)
{
	const struct call_context *ctx = arg;
	const struct sonde_data_event *ev = ctx->ev;
	const struct origin o = { ev->role, ev->service_id, ev->tgid, ev->tid, ev->cgroup_id, ev->comm, &ev->peer };
	struct collector *c = ctx->c;
	int client = ev->role == SONDE_ROLE_CLIENT;
	int grpc = !strcmp(w->protocol, "grpc"), http = !strcmp(w->protocol, "http");
	char sep = wire_topic_sep(w->protocol);
	char route[ROUTE_MAX], status_label[12], fault[32];
	const char *endpoint = NULL;
	bool matched = false;

	if (!client && http) {
		if (server_route(c, ev->service_id, w->target, route, &matched) < 0) {
			count_failure(c, "target");
			return;
		}
		endpoint = route;
	} else if (!client && sep && w->target[0]) {
		endpoint = routes_from_topic(w->target, sep, route, ROUTE_MAX) < 0 ? "_OTHER" : route;
	} else if (!client) {
		endpoint = grpc ? w->target : w->method;
	}
	/* An HTTP/2 stream reset before its response has no status, as a gRPC
	 * one without grpc-status. */
	if ((grpc && w->status >= 0) || (http && w->status > 0))
		status_text(status_label, (unsigned)w->status);
	else
		snprintf(status_label, sizeof(status_label), "%s",
			 grpc || http ? "unknown" :
			 w->outcome   ? w->outcome :
			 w->error     ? "error" :
					"ok");
	/* Named only when it counts: most calls are no server fault. */
	if (!client && w->server_fault)
		snprintf(fault, sizeof(fault), "%s%s", http ? "http_5xx" : w->protocol, http ? "" : "_error");
	struct exchange x = {
		.protocol = w->protocol,
		.method = http ? method_label(w->method) : w->method,
		.endpoint = endpoint,
		.endpoint_matched = matched,
		.status_label = status_label,
		.status = http && w->status < 0 ? 0 : w->status,
		.target = w->target,
		.host = w->authority,
		.traceparent = w->traceparent,
		.tls = ev->flags & SONDE_DATA_TLS,
		.http_version = grpc || http ? 20 : 0,
		.start_ns = w->start_ns,
		.end_ns = w->end_ns,
		.fault = !client && w->server_fault ? fault : NULL,
		.call_error = http ? w->status <= 0 || w->status >= 400 : w->error,
		.unpaired = w->unpaired,
	};
	emit(c, &o, &x);
}

static void collector_data(struct collector *c, const struct sonde_data_event *ev, size_t size)
{
	struct call_context ctx = { .c = c, .ev = ev };
	int ret;

	if (size >= SONDE_DATA_EVENT_SIZE(0) && ev->flags & SONDE_DATA_EXIT) {
		streams_forget(&c->streams, ev->tgid);
		return;
	}
	if (size < SONDE_DATA_EVENT_SIZE(0) || ev->len > SONDE_DATA_CAP || ev->len > ev->total ||
	    SONDE_DATA_EVENT_SIZE(ev->len) > size) {
		count_failure(c, "event");
		return;
	}
	ret = streams_feed(&c->streams, ev, collector_call, &ctx);
	if (ret)
		count_failure(c, streams_protocol(ev->proto));
	if (ret == -EPROTO) {
		const struct origin o = { ev->role,	 ev->service_id, ev->tgid, ev->tid,
					  ev->cgroup_id, ev->comm,	 &ev->peer };
		struct origin_labels l;

		label_origin(c, &o, &l);
		self_metrics_conn_left(c->cfg.self, l.service, streams_protocol(ev->proto));
	}
}

/* A function's call: its entry's service, not the process's label. A
 * Python name matched in the kernel whose file is another module's is
 * not the function, and is no loss. */
static void collector_func(struct collector *c, const struct sonde_func_event *ev)
{
	const struct function_entry *fn = c->cfg.functions ? functions_find(c->cfg.functions, ev->func_id) : NULL;
	size_t len = ev->file_len < SONDE_PY_FILE_MAX ? ev->file_len : SONDE_PY_FILE_MAX - 1;
	char file[SONDE_PY_FILE_MAX];
	struct function_call call;

	/* A function a reload dropped, its calls still in the ring. */
	if (!fn)
		return;
	memcpy(file, ev->file, len);
	file[len] = '\0';
	if (fn->cfg.runtime == FUNC_RUNTIME_PYTHON &&
	    !functions_module_matches(fn, file, len, ev->file_len >= SONDE_PY_FILE_MAX - 1))
		return;
	call = (struct function_call){
		.fn = fn,
		.tgid = ev->tgid,
		.tid = ev->tid,
		.id = c->cfg.identity ? c->cfg.identity(c->cfg.identity_arg, ev->cgroup_id, ev->tgid) : NULL,
		.start_ns = ev->start_ns,
		.end_ns = ev->end_ns,
		.error = config_func_failed(fn->cfg.error_when, ev->ret),
		.file = file,
	};
	sinks_call(c->cfg.sinks, &call);
}

void collector_event(struct collector *c, const void *sample, size_t size)
{
	uint32_t type;

	self_metrics_event(c->cfg.self);
	if (size < sizeof(type)) {
		count_failure(c, "event");
		return;
	}
	memcpy(&type, sample, sizeof(type));
	if (type == SONDE_EVENT_HTTP)
		collector_http(c, sample, size);
	else if (type == SONDE_EVENT_CONN && size == sizeof(struct sonde_conn_event))
		collector_conn(c, sample);
	else if (type == SONDE_EVENT_DATA)
		collector_data(c, sample, size);
	else if (type == SONDE_EVENT_FUNC && size == sizeof(struct sonde_func_event))
		collector_func(c, sample);
	else if (type == SONDE_EVENT_PROPAGATION && size == sizeof(struct sonde_propagation_event))
		collector_propagation(c, sample);
	else
		count_failure(c, "event");
}
