// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/collector.h"
#include "proto/http.h"
#include "pipeline/routes.h"
#include "pipeline/streams.h"
#include "otel/tracing.h"

#define ROUTE_MAX 256
/* Connections of user-space parsed protocols followed at once. */
#define STREAMS_MAX 4096

/* Every service series ends in the identity labels, empty (and so not
 * rendered) outside containers. */
static const char *const red_labels[] = { "service", "protocol", "method", "endpoint", "status",
					  IDENTITY_LABEL_NAMES };
static const char *const client_labels[] = { "service", "protocol", "method", "peer", "status",
					     IDENTITY_LABEL_NAMES };
static const char *const error_labels[] = { "service", "type", IDENTITY_LABEL_NAMES };
static const char *const failure_labels[] = { "service", "peer", "reason", IDENTITY_LABEL_NAMES };
static const char *const peer_labels[] = { "service", "peer", IDENTITY_LABEL_NAMES };
static const char *const service_labels[] = { "service", IDENTITY_LABEL_NAMES };
static const char *const kind_labels[] = { "kind" };
#define NLABELS(names) (sizeof(names) / sizeof((names)[0]))
static const char *const build_labels[] = { "version", "mode" };
static const char *const reason_labels[] = { "reason" };

/* Methods outside this set share one label value, as in the OpenTelemetry
 * conventions, so junk cannot mint series. */
static const char *const known_methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
					     "OPTIONS", "TRACE", "PATCH" };

static struct metric_family *add(struct collector *c, const struct collector_config *cfg,
				 const char *suffix, const char *help, enum metric_type type,
				 const char *const *labels, size_t nlabels, int own)
{
	char name[160];

	snprintf(name, sizeof(name), "%s_%s", own ? "sonde" : cfg->ns, suffix);
	return registry_add(c->reg, name, help, type, labels, nlabels,
			    type == METRIC_HISTOGRAM ? cfg->buckets : NULL,
			    type == METRIC_HISTOGRAM ? cfg->nbuckets : 0, cfg->series_cap);
}

int collector_init(struct collector *c, struct registry *reg, const struct services *services,
		   const struct collector_config *cfg)
{
	const char *build[2] = { cfg->version, cfg->mode };

	memset(c, 0, sizeof(*c));
	c->reg = reg;
	c->services = services;
	c->peers = malloc(sizeof(*c->peers));
	if (!c->peers)
		return -ENOMEM;
	peers_init(c->peers, cfg->peers_per_service);
	if (streams_init(&c->streams, STREAMS_MAX)) {
		free(c->peers);
		return -ENOMEM;
	}
	c->requests = add(c, cfg, "requests_total", "Total number of requests", METRIC_COUNTER,
			  red_labels, NLABELS(red_labels), 0);
	c->duration = add(c, cfg, "request_duration_seconds", "Request duration in seconds",
			  METRIC_HISTOGRAM, red_labels, NLABELS(red_labels), 0);
	c->errors = add(c, cfg, "errors_total", "Total number of server errors", METRIC_COUNTER,
			error_labels, NLABELS(error_labels), 0);
	c->client_requests = add(c, cfg, "client_requests_total", "Requests the service made",
				 METRIC_COUNTER, client_labels, NLABELS(client_labels), 0);
	c->client_duration = add(c, cfg, "client_request_duration_seconds",
				 "Duration of requests the service made, in seconds", METRIC_HISTOGRAM,
				 client_labels, NLABELS(client_labels), 0);
	c->conn_failures = add(c, cfg, "connection_failures_total",
			       "TCP connections that failed: refused, timeout, reset, unreachable",
			       METRIC_COUNTER, failure_labels, NLABELS(failure_labels), 0);
	c->connect_duration = add(c, cfg, "tcp_connect_duration_seconds",
				  "Time for outgoing TCP connects to complete, in seconds", METRIC_HISTOGRAM,
				  peer_labels, NLABELS(peer_labels), 0);
	c->retransmits = add(c, cfg, "tcp_retransmits_total", "TCP segments retransmitted", METRIC_COUNTER,
			     peer_labels, NLABELS(peer_labels), 0);
	c->sent_bytes = add(c, cfg, "tcp_sent_bytes_total", "TCP payload bytes delivered to peers, counted at close",
			    METRIC_COUNTER, peer_labels, NLABELS(peer_labels), 0);
	c->received_bytes = add(c, cfg, "tcp_received_bytes_total",
				"TCP payload bytes received from peers, counted at close", METRIC_COUNTER,
				peer_labels, NLABELS(peer_labels), 0);
	c->active_connections = add(c, cfg, "active_connections", "Server TCP connections open now",
				    METRIC_GAUGE, service_labels, NLABELS(service_labels), 0);
	c->cpu_seconds = add(c, cfg, "process_cpu_seconds_total", "CPU time of the service's processes, in seconds",
			     METRIC_COUNTER, service_labels, NLABELS(service_labels), 0);
	c->resident_memory = add(c, cfg, "process_resident_memory_bytes",
				 "Resident memory of the service's processes, in bytes", METRIC_GAUGE,
				 service_labels, NLABELS(service_labels), 0);
	c->processes = add(c, cfg, "processes", "Processes of the service observed now", METRIC_GAUGE,
			   service_labels, NLABELS(service_labels), 0);
	c->events = add(c, cfg, "events_total", "Events received from the kernel", METRIC_COUNTER, NULL, 0, 1);
	c->lost = add(c, cfg, "events_lost_total", "Events dropped because the ring buffer was full",
		      METRIC_COUNTER, NULL, 0, 1);
	c->parse_failures = add(c, cfg, "parse_failures_total",
				"Captured bytes or events that did not parse, by part", METRIC_COUNTER,
				kind_labels, 1, 1);
	c->not_http = add(c, cfg, "connections_not_http_total",
			  "Observed connections whose first bytes were no protocol sonde follows", METRIC_COUNTER, NULL,
			  0, 1);
	c->unanswered = add(c, cfg, "requests_unanswered_total",
			    "Requests whose connection closed before any response", METRIC_COUNTER, NULL, 0,
			    1);
	c->streams_evicted = add(c, cfg, "stream_evictions_total",
				 "Followed connections whose parser was dropped to make room for newer ones",
				 METRIC_COUNTER, NULL, 0, 1);
	c->streams_open = add(c, cfg, "followed_connections",
			      "HTTP/2, Redis and PostgreSQL connections whose bytes are parsed now", METRIC_GAUGE,
			      NULL, 0, 1);
	c->tls_conns = add(c, cfg, "tls_connections_total",
			   "Observed connections that spoke TLS, read through the TLS library's probes",
			   METRIC_COUNTER, NULL, 0, 1);
	c->conns = add(c, cfg, "connections_tracked_total", "Server connections accepted by targets",
		       METRIC_COUNTER, NULL, 0, 1);
	c->client_conns = add(c, cfg, "client_connections_tracked_total", "TCP connections made by targets",
			      METRIC_COUNTER, NULL, 0, 1);
	c->targets = add(c, cfg, "targets", "Processes selected for observation", METRIC_GAUGE, NULL,
			 0, 1);
	c->build_info = add(c, cfg, "build_info", "sonde build and the hook mode in use", METRIC_GAUGE,
			    build_labels, 2, 1);
	c->spans_exported = add(c, cfg, "spans_exported_total", "Spans the OTLP receiver accepted",
				METRIC_COUNTER, NULL, 0, 1);
	c->spans_dropped = add(c, cfg, "spans_dropped_total",
			       "Spans dropped: the export queue was full, or the receiver kept failing",
			       METRIC_COUNTER, reason_labels, 1, 1);
	if (!c->requests || !c->duration || !c->errors || !c->client_requests || !c->client_duration ||
	    !c->conn_failures || !c->connect_duration || !c->retransmits || !c->sent_bytes ||
	    !c->received_bytes || !c->active_connections || !c->cpu_seconds || !c->resident_memory ||
	    !c->processes || !c->events || !c->lost || !c->parse_failures || !c->not_http ||
	    !c->unanswered || !c->tls_conns || !c->streams_evicted || !c->streams_open || !c->conns || !c->client_conns || !c->targets || !c->build_info ||
	    !c->spans_exported || !c->spans_dropped)
		return -ENOMEM;
	series_set(family_series(c->build_info, build), 1);
	return 0;
}

void collector_free(struct collector *c)
{
	streams_free(&c->streams);
	free(c->peers);
	c->peers = NULL;
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
	const char *labels[1] = { kind };
	struct metric_series *s = family_series(c->parse_failures, labels);

	if (s)
		series_add(s, 1);
}

/* The status of a response from its first bytes. Only the status line
 * matters here, and the kernel keeps a prefix, so a long reason phrase cut
 * short is fine. Returns the status or -EBADMSG. */
static int status_from_prefix(const char *p, size_t n)
{
	int status = 0;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -EBADMSG;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100 || status > 599 || (n > 12 && p[12] != ' ' && p[12] != '\r'))
		return -EBADMSG;
	return status;
}

/* Method and target of a request whose line the capture cut short: the
 * target then holds its first bytes, and the route drops the cut segment. */
static int request_line_prefix(const char *p, size_t n, struct http_head *h)
{
	size_t m = 0, t;

	while (m < n && m < HTTP_METHOD_MAX - 1 && p[m] >= 'A' && p[m] <= 'Z')
		m++;
	if (!m || m >= n || p[m] != ' ')
		return -EBADMSG;
	memcpy(h->method, p, m);
	h->method[m] = 0;
	for (t = m + 1; t < n && p[t] != ' ' && p[t] != '\r' && p[t] != '\n'; t++) {
		if ((unsigned char)p[t] < 0x21 || (unsigned char)p[t] == 0x7f)
			return -EBADMSG;
	}
	if (t != n)
		return -EBADMSG;
	t -= m + 1;
	if (t >= sizeof(h->target))
		t = sizeof(h->target) - 1;
	memcpy(h->target, p + m + 1, t);
	h->target[t] = 0;
	/* Cut mid-segment: the route must not show a partial id. */
	char *slash = strrchr(h->target, '/');
	if (slash && slash != h->target)
		*slash = 0;
	return 0;
}

/* The service label of an event: the selector's name, the workload owning
 * its pod, or the command. */
static const char *service_label(const struct collector *c, uint32_t service_id, const struct identity *id,
				 const char *comm, char buf[SONDE_COMM_LEN + 1])
{
	const char *name = services_name(c->services, service_id);

	if (name || (name = identity_workload(id)))
		return name;
	memcpy(buf, comm, SONDE_COMM_LEN);
	buf[SONDE_COMM_LEN] = 0;
	return buf[0] ? buf : "unknown";
}

static const struct identity *identity_of(const struct collector *c, uint64_t cgroup_id, uint32_t tgid)
{
	return c->identity ? c->identity(c->identity_arg, cgroup_id, tgid) : NULL;
}

static void bump(struct metric_family *f, const char *const *labels, double v)
{
	series_add(family_series(f, labels), v);
}

/* The route of a server request: the service's own patterns first, then
 * the heuristics. */
static int server_route(const struct collector *c, uint32_t service_id, const char *target, char route[ROUTE_MAX])
{
	int n = -ENOENT;

	if (service_id < c->nroutes && c->routes[service_id])
		n = route_set_match(c->routes[service_id], target, strlen(target), route, ROUTE_MAX);
	if (n < 0)
		n = route_from_target(target, strlen(target), route, ROUTE_MAX);
	return n;
}

/* One request, server or client side: its count and duration, and a
 * server error of error_type unless that is NULL. labels are service,
 * protocol, method, endpoint or peer, status, then the identity. */
static void record_request(struct collector *c, int client, const char *const *labels, uint64_t start_ns,
			   uint64_t end_ns, const char *error_type)
{
	struct metric_series *s;

	bump(client ? c->client_requests : c->requests, labels, 1);
	s = family_series(client ? c->client_duration : c->duration, labels);
	if (end_ns >= start_ns)
		series_observe(s, (double)(end_ns - start_ns) / 1e9);
	if (error_type) {
		const char *err[2 + IDENTITY_NLABELS] = { labels[0], error_type };

		memcpy(err + 2, labels + 5, IDENTITY_NLABELS * sizeof(*err));
		bump(c->errors, err, 1);
	}
}

static void collector_http(struct collector *c, const struct sonde_http_event *ev, size_t size)
{
	char route[ROUTE_MAX], status_buf[12], comm[SONDE_COMM_LEN + 1], peer[PEER_LABEL_MAX];
	int client = ev->role == SONDE_ROLE_CLIENT;
	const struct identity *id;
	const char *labels[5 + IDENTITY_NLABELS];
	struct http_head req;
	size_t req_len, resp_len;
	int status;

	if (size < SONDE_EVENT_SIZE(0) || ev->req_len > SONDE_REQ_CAP || ev->resp_len > SONDE_RESP_CAP ||
	    SONDE_EVENT_SIZE(ev->req_len) > size) {
		count_failure(c, "event");
		return;
	}
	req_len = ev->req_len;
	resp_len = ev->resp_len;
	memset(&req, 0, sizeof(req));
	http_parse_head(HTTP_REQUEST, ev->req, req_len, &req);
	if (!req.start_line_ok &&
	    (req_len < SONDE_REQ_CAP || request_line_prefix(ev->req, req_len, &req))) {
		count_failure(c, "request");
		return;
	}
	id = identity_of(c, ev->cgroup_id, ev->tgid);
	labels[0] = service_label(c, ev->service_id, id, ev->comm, comm);
	labels[1] = "http";
	labels[2] = method_label(req.method);
	if (client) {
		labels[3] = peers_label(c->peers, labels[0], &ev->peer, false, peer, sizeof(peer));
	} else {
		if (server_route(c, ev->service_id, req.target, route) < 0) {
			count_failure(c, "target");
			return;
		}
		labels[3] = route;
	}
	status = status_from_prefix(ev->resp, resp_len);
	if (status < 0) {
		count_failure(c, "response");
		strcpy(status_buf, "unknown");
	} else {
		snprintf(status_buf, sizeof(status_buf), "%d", status);
	}
	labels[4] = status_buf;
	identity_labels(id, labels + 5);
	record_request(c, client, labels, ev->start_ns, ev->end_ns,
		       client || (status >= 0 && status < 500) ? NULL
		       : status < 0				 ? "malformed_response"
								 : "http_5xx");
	if (c->on_exchange) {
		struct exchange x = {
			.role = ev->role,
			.service = labels[0],
			.id = id,
			.tgid = ev->tgid,
			.tid = ev->tid,
			.method = labels[2],
			.route = client ? "" : route,
			.target = req.target,
			.host = req.host,
			.status = status < 0 ? 0 : status,
			.start_ns = ev->start_ns,
			.end_ns = ev->end_ns,
			.traceparent = req.traceparent,
			.peer = &ev->peer,
		};

		c->on_exchange(c->exchange_arg, &x);
	}
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
	char comm[SONDE_COMM_LEN + 1], peer[PEER_LABEL_MAX];
	const struct identity *id = identity_of(c, ev->cgroup_id, ev->tgid);
	const char *labels[2 + IDENTITY_NLABELS];

	labels[0] = service_label(c, ev->service_id, id, ev->comm, comm);
	labels[1] = peers_label(c->peers, labels[0], &ev->peer, ev->role == SONDE_ROLE_SERVER, peer, sizeof(peer));
	identity_labels(id, labels + 2);
	switch (ev->what) {
	case SONDE_CONN_CONNECTED:
		series_observe(family_series(c->connect_duration, labels), (double)ev->duration_ns / 1e9);
		break;
	case SONDE_CONN_FAILED: {
		const char *f[3 + IDENTITY_NLABELS] = { labels[0], labels[1], failure_reason(ev->error) };

		memcpy(f + 3, labels + 2, IDENTITY_NLABELS * sizeof(*f));
		bump(c->conn_failures, f, 1);
		/* A failed outgoing connect is a CLIENT span in error. */
		if (c->on_exchange && ev->role == SONDE_ROLE_CLIENT && ev->duration_ns &&
		    ev->duration_ns <= ev->ts_ns) {
			struct exchange x = {
				.role = SONDE_ROLE_CLIENT,
				.service = labels[0],
				.id = id,
				.tgid = ev->tgid,
				.tid = ev->tid,
				.method = "",
				.route = "",
				.target = "",
				.host = "",
				.start_ns = ev->ts_ns - ev->duration_ns,
				.end_ns = ev->ts_ns,
				.traceparent = "",
				.peer = &ev->peer,
				.error_type = f[2],
			};

			c->on_exchange(c->exchange_arg, &x);
		}
		break;
	}
	case SONDE_CONN_RETRANSMIT:
		bump(c->retransmits, labels, 1);
		break;
	case SONDE_CONN_CLOSED:
		bump(c->sent_bytes, labels, (double)ev->bytes_sent);
		bump(c->received_bytes, labels, (double)ev->bytes_received);
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
	char route[ROUTE_MAX], status_buf[12], comm[SONDE_COMM_LEN + 1], peer[PEER_LABEL_MAX], error_type[32];
	const struct call_context *ctx = arg;
	const struct sonde_data_event *ev = ctx->ev;
	struct collector *c = ctx->c;
	int client = ev->role == SONDE_ROLE_CLIENT;
	int grpc = !strcmp(w->protocol, "grpc"), http = !strcmp(w->protocol, "http");
	const char *labels[5 + IDENTITY_NLABELS];
	const struct identity *id;

	id = identity_of(c, ev->cgroup_id, ev->tgid);
	labels[0] = service_label(c, ev->service_id, id, ev->comm, comm);
	labels[1] = w->protocol;
	labels[2] = http ? method_label(w->method) : w->method;
	if (client) {
		labels[3] = peers_label(c->peers, labels[0], &ev->peer, false, peer, sizeof(peer));
	} else if (http) {
		if (server_route(c, ev->service_id, w->target, route) < 0) {
			count_failure(c, "target");
			return;
		}
		labels[3] = route;
	} else {
		labels[3] = grpc ? w->target : w->method;
	}
	/* An HTTP/2 stream reset before its response has no status, as a gRPC
	 * one without grpc-status. */
	if ((grpc && w->status >= 0) || (http && w->status > 0))
		snprintf(status_buf, sizeof(status_buf), "%d", w->status);
	else
		snprintf(status_buf, sizeof(status_buf), "%s", grpc || http ? "unknown" : w->error ? "error" : "ok");
	labels[4] = status_buf;
	identity_labels(id, labels + 5);
	/* Named only when it counts: most calls are no server fault. */
	if (!client && w->server_fault)
		snprintf(error_type, sizeof(error_type), "%s%s", http ? "http_5xx" : w->protocol, http ? "" : "_error");
	record_request(c, client, labels, w->start_ns, w->end_ns, !client && w->server_fault ? error_type : NULL);
	if (c->on_exchange) {
		struct exchange x = {
			.role = ev->role,
			.service = labels[0],
			.id = id,
			.tgid = ev->tgid,
			.tid = ev->tid,
			.method = labels[2],
			.route = client ? "" : labels[3],
			.target = w->target,
			.host = w->authority,
			.status = http && w->status < 0 ? 0 : w->status,
			.start_ns = w->start_ns,
			.end_ns = w->end_ns,
			.traceparent = w->traceparent,
			.peer = &ev->peer,
			.protocol = w->protocol,
			.call_error = w->error,
			.server_fault = w->server_fault,
		};

		c->on_exchange(c->exchange_arg, &x);
	}
}

static void collector_data(struct collector *c, const struct sonde_data_event *ev, size_t size)
{
	struct call_context ctx = { .c = c, .ev = ev };

	if (size >= SONDE_DATA_EVENT_SIZE(0) && ev->flags & SONDE_DATA_EXIT) {
		streams_forget(&c->streams, ev->tgid);
		return;
	}
	if (size < SONDE_DATA_EVENT_SIZE(0) || ev->len > SONDE_DATA_CAP || ev->len > ev->total ||
	    SONDE_DATA_EVENT_SIZE(ev->len) > size) {
		count_failure(c, "event");
		return;
	}
	if (streams_feed(&c->streams, ev, collector_call, &ctx))
		count_failure(c, streams_protocol(ev->proto));
}

void collector_event(struct collector *c, const void *sample, size_t size)
{
	uint32_t type;

	series_add(family_series(c->events, NULL), 1);
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
	else
		count_failure(c, "event");
}

void collector_span_stats(struct collector *c, uint64_t exported, uint64_t dropped_queue_full,
			  uint64_t dropped_export_failed)
{
	const char *full[1] = { "queue_full" }, *failed[1] = { "export_failed" };

	series_set(family_series(c->spans_exported, NULL), (double)exported);
	series_set(family_series(c->spans_dropped, full), (double)dropped_queue_full);
	series_set(family_series(c->spans_dropped, failed), (double)dropped_export_failed);
}

void collector_processes(struct collector *c, const struct process_sample *samples, size_t n)
{
	family_reset(c->active_connections);
	family_reset(c->resident_memory);
	family_reset(c->processes);
	for (size_t i = 0; i < n; i++) {
		const struct process_sample *p = &samples[i];
		const char *labels[1 + IDENTITY_NLABELS] = { p->service };

		identity_labels(p->id, labels + 1);
		bump(c->active_connections, labels, (double)p->server_connections);
		if (!p->has_usage)
			continue;
		bump(c->processes, labels, 1);
		bump(c->resident_memory, labels, p->resident_bytes);
		bump(c->cpu_seconds, labels, p->cpu_seconds_delta);
	}
}

void collector_kernel_stats(struct collector *c, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets)
{
	series_set(family_series(c->lost, NULL), (double)stats[SONDE_STAT_LOST]);
	series_set(family_series(c->not_http, NULL), (double)stats[SONDE_STAT_NOT_HTTP]);
	series_set(family_series(c->unanswered, NULL), (double)stats[SONDE_STAT_UNANSWERED]);
	series_set(family_series(c->conns, NULL), (double)stats[SONDE_STAT_CONNS]);
	series_set(family_series(c->tls_conns, NULL), (double)stats[SONDE_STAT_TLS_CONNS]);
	series_set(family_series(c->streams_evicted, NULL), (double)c->streams.evicted);
	series_set(family_series(c->streams_open, NULL), (double)c->streams.used);
	series_set(family_series(c->client_conns, NULL), (double)stats[SONDE_STAT_CLIENT_CONNS]);
	series_set(family_series(c->targets, NULL), (double)targets);
}
