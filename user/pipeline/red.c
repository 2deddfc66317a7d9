// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metrics/registry.h"
#include "pipeline/functions.h"
#include "pipeline/red.h"

#define NLABELS(names) (sizeof(names) / sizeof((names)[0]))

/* Every service series ends in the identity labels, empty (and so not
 * rendered) outside containers. */
static const char *const red_labels[] = { "service", "protocol", "method", "endpoint", "status", IDENTITY_LABEL_NAMES };
static const char *const client_labels[] = { "service", "protocol", "method", "peer", "status", IDENTITY_LABEL_NAMES };
static const char *const error_labels[] = { "service", "type", IDENTITY_LABEL_NAMES };
static const char *const failure_labels[] = { "service", "peer", "reason", IDENTITY_LABEL_NAMES };
static const char *const peer_labels[] = { "service", "peer", IDENTITY_LABEL_NAMES };
static const char *const service_labels[] = { "service", IDENTITY_LABEL_NAMES };
static const char *const function_labels[] = { "service", "function", IDENTITY_LABEL_NAMES };
static const char *const call_labels[] = { "service", "function", "status", IDENTITY_LABEL_NAMES };

static struct metric_family *add(struct registry *reg, const struct red_config *cfg, const char *suffix,
				 const char *help, enum metric_type type, const char *const *labels, size_t nlabels)
{
	char name[160];

	struct metric_family *f;

	snprintf(name, sizeof(name), "%s_%s", cfg->ns, suffix);
	f = registry_add(reg, name, help, type, labels, nlabels, type == METRIC_HISTOGRAM ? cfg->buckets : NULL,
			 type == METRIC_HISTOGRAM ? cfg->nbuckets : 0,
			 cfg->family_cap ? cfg->family_cap : cfg->series_cap);
	/* Every family here is by service first: no service takes another's
	 * room, and a service's series end when it stops. */
	if (f && family_limit_per_service(f, cfg->series_cap)) {
		errno = EINVAL;
		return NULL;
	}
	if (f && cfg->expire)
		family_expire_when_idle(f);
	return f;
}

/* Round-trip times span loopback's tens of microseconds to a WAN's
 * hundreds of milliseconds, below the request buckets. */
static const double rtt_buckets[] = { 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
				      0.01,	0.025,	 0.05,	 0.1,	  0.25,	  0.5,	 1 };

static struct metric_family *add_rtt(struct registry *reg, const struct red_config *cfg)
{
	struct red_config rc = *cfg;

	rc.buckets = rtt_buckets;
	rc.nbuckets = NLABELS(rtt_buckets);
	return add(reg, &rc, "tcp_rtt_seconds",
		   "Smoothed TCP round-trip time of live connections, sampled at most once a second per connection",
		   METRIC_HISTOGRAM, peer_labels, NLABELS(peer_labels));
}

int red_init(struct red *r, struct registry *reg, const struct red_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->requests = add(reg, cfg, "requests_total", "Total number of requests", METRIC_COUNTER, red_labels,
			  NLABELS(red_labels));
	r->duration = add(reg, cfg, "request_duration_seconds", "Request duration in seconds", METRIC_HISTOGRAM,
			  red_labels, NLABELS(red_labels));
	r->errors = add(reg, cfg, "errors_total", "Total number of server errors", METRIC_COUNTER, error_labels,
			NLABELS(error_labels));
	r->client_requests = add(reg, cfg, "client_requests_total", "Requests the service made", METRIC_COUNTER,
				 client_labels, NLABELS(client_labels));
	r->client_duration = add(reg, cfg, "client_request_duration_seconds",
				 "Duration of requests the service made, in seconds", METRIC_HISTOGRAM, client_labels,
				 NLABELS(client_labels));
	r->conn_failures = add(reg, cfg, "connection_failures_total",
			       "TCP connections that failed: refused, timeout, reset, unreachable", METRIC_COUNTER,
			       failure_labels, NLABELS(failure_labels));
	r->connect_duration = add(reg, cfg, "tcp_connect_duration_seconds",
				  "Time for outgoing TCP connects to complete, in seconds", METRIC_HISTOGRAM,
				  peer_labels, NLABELS(peer_labels));
	r->retransmits = add(reg, cfg, "tcp_retransmits_total", "TCP segments retransmitted", METRIC_COUNTER,
			     peer_labels, NLABELS(peer_labels));
	r->rtt = add_rtt(reg, cfg);
	r->sent_bytes = add(reg, cfg, "tcp_sent_bytes_total",
			    "TCP payload bytes delivered to peers, counted as they flow (at most once a second per "
			    "connection) where sockops runs, else at close",
			    METRIC_COUNTER, peer_labels, NLABELS(peer_labels));
	r->received_bytes = add(reg, cfg, "tcp_received_bytes_total",
				"TCP payload bytes received from peers, counted as they flow (at most once a second "
				"per connection) where sockops runs, else at close",
				METRIC_COUNTER, peer_labels, NLABELS(peer_labels));
	r->active_connections = add(reg, cfg, "active_connections", "Server TCP connections open now", METRIC_GAUGE,
				    service_labels, NLABELS(service_labels));
	r->cpu_seconds = add(reg, cfg, "process_cpu_seconds_total", "CPU time of the service's processes, in seconds",
			     METRIC_COUNTER, service_labels, NLABELS(service_labels));
	r->resident_memory = add(reg, cfg, "process_resident_memory_bytes",
				 "Resident memory of the service's processes, in bytes", METRIC_GAUGE, service_labels,
				 NLABELS(service_labels));
	r->processes = add(reg, cfg, "processes", "Processes of the service observed now", METRIC_GAUGE, service_labels,
			   NLABELS(service_labels));
	r->function_calls = add(reg, cfg, "function_calls_total", "Calls of the functions named in the configuration",
				METRIC_COUNTER, call_labels, NLABELS(call_labels));
	r->function_duration = add(reg, cfg, "function_duration_seconds",
				   "Duration of calls of the functions named in the configuration, in seconds",
				   METRIC_HISTOGRAM, function_labels, NLABELS(function_labels));
	if (!r->function_calls || !r->function_duration)
		return -ENOMEM;
	if (!r->requests || !r->duration || !r->errors || !r->client_requests || !r->client_duration ||
	    !r->conn_failures || !r->connect_duration || !r->retransmits || !r->rtt || !r->sent_bytes ||
	    !r->received_bytes || !r->active_connections || !r->cpu_seconds || !r->resident_memory || !r->processes)
		return -ENOMEM;
	return 0;
}

static void bump(struct metric_family *f, const char *const *labels, double v)
{
	series_add(family_series(f, labels), v);
}

void red_exchange(struct red *r, const struct exchange *x)
{
	const char *labels[5 + IDENTITY_NLABELS] = { x->service, x->protocol, x->method, x->endpoint, x->status_label };
	int client = x->role == SONDE_ROLE_CLIENT;
	struct metric_series *s;

	r->last_duration = NULL;
	if (x->connect_error)
		return;
	identity_labels(x->id, labels + 5);
	bump(client ? r->client_requests : r->requests, labels, 1);
	/* A message nothing answers has no duration series at all. */
	s = x->unpaired ? NULL : family_series(client ? r->client_duration : r->duration, labels);
	if (s && x->end_ns >= x->start_ns) {
		series_observe(s, (double)(x->end_ns - x->start_ns) / 1e9);
		r->last_duration = s;
	}
	if (x->fault) {
		const char *err[2 + IDENTITY_NLABELS] = { x->service, x->fault };

		memcpy(err + 2, labels + 5, IDENTITY_NLABELS * sizeof(*err));
		bump(r->errors, err, 1);
	}
}

void red_exemplar(struct red *r, const struct exchange *x, const uint8_t trace_id[16], const uint8_t span_id[8],
		  int64_t unix_ms)
{
	series_exemplar(r->last_duration, exchange_seconds(x), trace_id, span_id, unix_ms);
}

void red_function(struct red *r, const struct function_call *c)
{
	const char *labels[3 + IDENTITY_NLABELS] = { c->fn->cfg.service, c->fn->cfg.name, c->error ? "error" : "ok" };
	const char *timed[2 + IDENTITY_NLABELS] = { c->fn->cfg.service, c->fn->cfg.name };

	identity_labels(c->id, labels + 3);
	identity_labels(c->id, timed + 2);
	bump(r->function_calls, labels, 1);
	series_observe(family_series(r->function_duration, timed), function_call_seconds(c));
}

static void conn_labels(const struct red_conn *c, const char **out)
{
	out[0] = c->service;
	out[1] = c->peer;
	identity_labels(c->id, out + 2);
}

void red_connect_time(struct red *r, const struct red_conn *c, double seconds)
{
	const char *labels[2 + IDENTITY_NLABELS];

	conn_labels(c, labels);
	series_observe(family_series(r->connect_duration, labels), seconds);
}

void red_connection_failure(struct red *r, const struct red_conn *c, const char *reason)
{
	const char *labels[3 + IDENTITY_NLABELS] = { c->service, c->peer, reason };

	identity_labels(c->id, labels + 3);
	bump(r->conn_failures, labels, 1);
}

void red_retransmit(struct red *r, const struct red_conn *c)
{
	const char *labels[2 + IDENTITY_NLABELS];

	conn_labels(c, labels);
	bump(r->retransmits, labels, 1);
}

void red_rtt(struct red *r, const struct red_conn *c, double seconds)
{
	const char *labels[2 + IDENTITY_NLABELS];

	conn_labels(c, labels);
	series_observe(family_series(r->rtt, labels), seconds);
}

void red_connection_bytes(struct red *r, const struct red_conn *c, uint64_t sent, uint64_t received)
{
	const char *labels[2 + IDENTITY_NLABELS];

	conn_labels(c, labels);
	bump(r->sent_bytes, labels, (double)sent);
	bump(r->received_bytes, labels, (double)received);
}

void red_processes(struct red *r, const struct process_sample *samples, size_t n)
{
	family_reset(r->active_connections);
	family_reset(r->resident_memory);
	family_reset(r->processes);
	for (size_t i = 0; i < n; i++) {
		const struct process_sample *p = &samples[i];
		const char *labels[1 + IDENTITY_NLABELS] = { p->service };

		identity_labels(p->id, labels + 1);
		bump(r->active_connections, labels, (double)p->server_connections);
		if (!p->has_usage)
			continue;
		bump(r->processes, labels, 1);
		bump(r->resident_memory, labels, p->resident_bytes);
		bump(r->cpu_seconds, labels, p->cpu_seconds_delta);
	}
}

enum red_figure { FIG_REQUESTS, FIG_ERRORS, FIG_DURATION, FIG_CONNECTIONS, FIG_PROCESSES };

static int each_series(const struct metric_family *f, enum red_figure fig, red_figures_fn fn, void *arg)
{
	int ret = 0;

	for (size_t i = 0; i < family_size(f) && !ret; i++) {
		const struct metric_series *m = family_series_at(f, i);
		struct red_figures share = { 0 };
		double v = series_value(m);

		switch (fig) {
		case FIG_REQUESTS:
			share.requests = v;
			break;
		case FIG_ERRORS:
			share.errors = v;
			break;
		case FIG_DURATION:
			share.duration_count = v;
			share.duration_sum = series_sum(m);
			break;
		case FIG_CONNECTIONS:
			share.connections = v;
			break;
		case FIG_PROCESSES:
			share.processes = v;
			share.has_processes = true;
			break;
		}
		ret = fn(arg, series_labels(m)[0], &share);
	}
	return ret;
}

int red_each_series(const struct red *r, red_figures_fn fn, void *arg)
{
	int ret;

	ret = each_series(r->requests, FIG_REQUESTS, fn, arg);
	ret = ret ?: each_series(r->errors, FIG_ERRORS, fn, arg);
	ret = ret ?: each_series(r->duration, FIG_DURATION, fn, arg);
	ret = ret ?: each_series(r->active_connections, FIG_CONNECTIONS, fn, arg);
	return ret ?: each_series(r->processes, FIG_PROCESSES, fn, arg);
}
