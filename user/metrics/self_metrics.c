// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "metrics/registry.h"
#include "metrics/self_metrics.h"

/* The daemon's own families are few and their label values fixed, but
 * for the files the TLS uprobes went into. */
#define SELF_SERIES_CAP 64
#define TLS_SITES_CAP 1024

static struct metric_family *add(struct registry *reg, const char *name, const char *help, enum metric_type type,
				 const char *const *labels, size_t nlabels)
{
	return registry_add(reg, name, help, type, labels, nlabels, NULL, 0, SELF_SERIES_CAP);
}

int self_metrics_init(struct self_metrics *m, struct registry *reg, const char *version, const char *mode)
{
	static const char *const kind[] = { "kind" }, *const reason[] = { "reason" };
	static const char *const build[] = { "version", "mode", "tcp" }, *const notifier[] = { "notifier", "outcome" };
	static const char *const site[] = { "file", "function", "site" }, *const service[] = { "service" };
	static const char *const function[] = { "service", "function" }, *const left[] = { "service", "reason" };
	static const char *const result[] = { "result" }, *const outcome[] = { "outcome" };
	memset(m, 0, sizeof(*m));
	m->events = add(reg, "sonde_events_total", "Events received from the kernel", METRIC_COUNTER, NULL, 0);
	m->lost = add(reg, "sonde_events_lost_total", "Events dropped because the ring buffer was full", METRIC_COUNTER,
		      NULL, 0);
	m->parse_failures = add(reg, "sonde_parse_failures_total",
				"Captured bytes or events that did not parse, by part", METRIC_COUNTER, kind, 1);
	m->not_http = add(reg, "sonde_connections_not_http_total",
			  "Observed connections whose first bytes were no protocol sonde follows", METRIC_COUNTER, NULL,
			  0);
	m->unanswered = add(reg, "sonde_requests_unanswered_total",
			    "Requests whose connection closed before any response", METRIC_COUNTER, NULL, 0);
	m->streams_evicted = add(reg, "sonde_stream_evictions_total",
				 "Followed connections whose parser was dropped to make room for newer ones",
				 METRIC_COUNTER, NULL, 0);
	m->streams_open = add(reg, "sonde_followed_connections",
			      "HTTP/2, Redis and PostgreSQL connections whose bytes are parsed now", METRIC_GAUGE, NULL,
			      0);
	m->tls_unreadable =
		add(reg, "sonde_tls_unreadable_connections_total",
		    "TLS connections of a service in a TLS library sonde does not read: their traffic is not seen",
		    METRIC_COUNTER, service, 1);
	m->tls_conns = add(reg, "sonde_tls_connections_total",
			   "Observed connections that spoke TLS, read through the TLS library's probes", METRIC_COUNTER,
			   NULL, 0);
	m->conns = add(reg, "sonde_connections_tracked_total", "Server connections of targets followed", METRIC_COUNTER,
		       NULL, 0);
	m->client_conns = add(reg, "sonde_client_connections_tracked_total", "TCP connections made by targets",
			      METRIC_COUNTER, NULL, 0);
	m->targets = add(reg, "sonde_targets", "Processes selected for observation", METRIC_GAUGE, NULL, 0);
	m->build_info = add(reg, "sonde_build_info",
			    "sonde build, the hook mode in use, and where TCP health comes from: sockops, or the "
			    "tracepoints alone",
			    METRIC_GAUGE, build, 3);
	m->spans_exported =
		add(reg, "sonde_spans_exported_total", "Spans the OTLP receiver accepted", METRIC_COUNTER, NULL, 0);
	m->spans_dropped = add(reg, "sonde_spans_dropped_total",
			       "Spans dropped: the export queue was full, or the receiver kept failing", METRIC_COUNTER,
			       reason, 1);
	m->metric_exports = add(reg, "sonde_metric_exports_total",
				"OTLP metric exports, by result: the receiver accepted the request, or it failed",
				METRIC_COUNTER, result, 1);
	m->metric_points = add(reg, "sonde_metric_points_total",
			       "OTLP metric data points exported, or dropped with a failed delta export",
			       METRIC_COUNTER, result, 1);
	m->web_auth_failures = add(reg, "sonde_web_auth_failures_total",
				   "Requests to sonde's endpoints refused by --web-config: no credentials (401), a "
				   "wrong user or password (401), no verified client certificate (403)",
				   METRIC_COUNTER, reason, 1);
	m->notifications = add(reg, "sonde_notifications_total", "Alert notifications by notifier and outcome",
			       METRIC_COUNTER, notifier, 2);
	m->k8s_updates = add(reg, "sonde_k8s_updates_total",
			     "Pod metadata from the Kubernetes API: lists, watch events and errors", METRIC_COUNTER,
			     kind, 1);
	m->k8s_addresses = add(reg, "sonde_k8s_addresses",
			       "Pods and Services of the cluster whose addresses name the service graph's other ends",
			       METRIC_GAUGE, NULL, 0);
	m->k8s_addresses_dropped =
		add(reg, "sonde_k8s_addresses_dropped_total",
		    "Pods and Services left out of the cluster's addresses: the bound of 65536 was reached",
		    METRIC_COUNTER, NULL, 0);
	m->callers_evicted = add(reg, "sonde_service_graph_callers_evicted_total",
				 "Targets' connections on this host forgotten for newer ones: a server then sees "
				 "their requests come from the user virtual node",
				 METRIC_COUNTER, NULL, 0);
	m->conns_untracked = add(reg, "sonde_connections_untracked_total",
				 "Connections of targets not followed: the kernel side held --max-connections already",
				 METRIC_COUNTER, NULL, 0);
	m->exchanges_evicted = add(reg, "sonde_exchanges_evicted_total",
				   "HTTP/1 exchanges in flight lost: a newer exchange took the entry of the one used "
				   "longest ago, the kernel's exchange table being full",
				   METRIC_COUNTER, NULL, 0);
	m->socks_untracked =
		add(reg, "sonde_sockets_untracked_total",
		    "TCP sockets of targets whose connect time, retransmits and bytes are not followed: the "
		    "kernel's socket table was full",
		    METRIC_COUNTER, NULL, 0);
	m->propagation = add(reg, "sonde_propagation_total",
			     "Outgoing HTTP/1.x requests of services that inject trace context, by outcome: a "
			     "traceparent written in (injected), their own kept (present), sent while no request "
			     "was served on the thread (not_serving), the request line or headers not whole in the "
			     "first message (partial), no room in the message or the socket table (failed)",
			     METRIC_COUNTER, outcome, 1);
	m->datagrams_unread = add(reg, "sonde_datagrams_unread_total",
				  "UDP datagrams of targets not read: sent or received several at a time "
				  "(sendmmsg, recvmmsg) into a vector whose lengths were not cleared",
				  METRIC_COUNTER, NULL, 0);
	m->tls_sites =
		registry_add(reg, "sonde_tls_probe_sites",
			     "TLS library functions probed, by file and where the breakpoint went: emulated by the "
			     "kernel, or single-stepped",
			     METRIC_GAUGE, site, 3, NULL, 0, TLS_SITES_CAP);
	m->tls_processes = add(reg, "sonde_tls_uprobe_processes",
			       "Target processes with TLS uprobes of their own (none: the probes are per file)",
			       METRIC_GAUGE, NULL, 0);
	m->function_processes = registry_add(reg, "sonde_function_probe_processes",
					     "Processes with the probes of a function named in the configuration",
					     METRIC_GAUGE, function, 2, NULL, 0, TLS_SITES_CAP);
	m->function_calls_lost = add(reg, "sonde_function_calls_lost_total",
				     "Function calls not counted: in flight when their thread or process exited, or "
				     "nested deeper than sonde times, or whose entry was not seen",
				     METRIC_COUNTER, reason, 1);
	m->conns_left = registry_add(reg, "sonde_connections_left_total",
				     "Connections of a service left alone from some point on, and why: no protocol "
				     "sonde follows (unknown_protocol), or their parser gave up (the protocol)",
				     METRIC_COUNTER, left, 2, NULL, 0, TLS_SITES_CAP);
	if (!m->function_processes || !m->function_calls_lost || !m->conns_left || !m->metric_exports ||
	    !m->metric_points || !m->web_auth_failures)
		return -ENOMEM;
	if (!m->tls_unreadable || !m->conns_untracked || !m->socks_untracked || !m->datagrams_unread ||
	    !m->propagation || !m->exchanges_evicted || !m->tls_sites || !m->tls_processes || !m->events || !m->lost ||
	    !m->parse_failures || !m->not_http || !m->unanswered || !m->streams_evicted || !m->streams_open ||
	    !m->tls_conns || !m->conns || !m->client_conns || !m->targets || !m->build_info || !m->spans_exported ||
	    !m->spans_dropped || !m->notifications || !m->k8s_updates || !m->k8s_addresses ||
	    !m->k8s_addresses_dropped || !m->callers_evicted)
		return -ENOMEM;
	m->events_seen = family_series(m->events, NULL);
	self_metrics_build(m, version, mode, "");
	return m->events_seen ? 0 : -ENOMEM;
}

void self_metrics_build(struct self_metrics *m, const char *version, const char *mode, const char *tcp)
{
	const char *values[3] = { version, mode, tcp };

	family_reset(m->build_info);
	series_set(family_series(m->build_info, values), 1);
}

void self_metrics_event(struct self_metrics *m)
{
	series_add(m->events_seen, 1);
}

uint64_t self_metrics_tls_unreadable(struct self_metrics *m, const char *service)
{
	const char *labels[1] = { service };
	struct metric_series *s = family_series(m->tls_unreadable, labels);

	if (!s)
		return 0;
	series_add(s, 1);
	return (uint64_t)series_value(s);
}

void self_metrics_parse_failure(struct self_metrics *m, const char *kind)
{
	const char *labels[1] = { kind };

	series_add(family_series(m->parse_failures, labels), 1);
}

static void mirror(struct metric_family *f, uint64_t v)
{
	series_set(family_series(f, NULL), (double)v);
}

static const struct {
	const char *label;
	int stat;
} outcomes[] = {
	{ "injected", SONDE_STAT_PROP_INJECTED },    { "present", SONDE_STAT_PROP_PRESENT },
	{ "not_serving", SONDE_STAT_PROP_UNSERVED }, { "partial", SONDE_STAT_PROP_PARTIAL },
	{ "failed", SONDE_STAT_PROP_FAILED },
};

void self_metrics_kernel(struct self_metrics *m, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets)
{
	mirror(m->lost, stats[SONDE_STAT_LOST]);
	mirror(m->not_http, stats[SONDE_STAT_NOT_HTTP]);
	mirror(m->unanswered, stats[SONDE_STAT_UNANSWERED]);
	mirror(m->conns, stats[SONDE_STAT_CONNS]);
	mirror(m->tls_conns, stats[SONDE_STAT_TLS_CONNS]);
	mirror(m->client_conns, stats[SONDE_STAT_CLIENT_CONNS]);
	mirror(m->targets, targets);
	mirror(m->conns_untracked, stats[SONDE_STAT_CONNS_UNTRACKED]);
	mirror(m->exchanges_evicted, stats[SONDE_STAT_EXCHANGES_EVICTED]);
	mirror(m->socks_untracked, stats[SONDE_STAT_SOCKS_UNTRACKED]);
	mirror(m->datagrams_unread, stats[SONDE_STAT_MMSG_UNKNOWN]);
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		const char *labels[1] = { outcomes[i].label };

		series_set(family_series(m->propagation, labels), (double)stats[outcomes[i].stat]);
	}
}

void self_metrics_streams(struct self_metrics *m, uint64_t evicted, uint64_t open)
{
	mirror(m->streams_evicted, evicted);
	mirror(m->streams_open, open);
}

void self_metrics_spans(struct self_metrics *m, uint64_t exported, uint64_t dropped_queue_full,
			uint64_t dropped_export_failed)
{
	const char *full[1] = { "queue_full" }, *failed[1] = { "export_failed" };

	mirror(m->spans_exported, exported);
	series_set(family_series(m->spans_dropped, full), (double)dropped_queue_full);
	series_set(family_series(m->spans_dropped, failed), (double)dropped_export_failed);
}

void self_metrics_metric_exports(struct self_metrics *m, uint64_t ok, uint64_t failed, uint64_t points_exported,
				 uint64_t points_dropped)
{
	const char *ok_v[1] = { "ok" }, *failed_v[1] = { "failed" };
	const char *exported_v[1] = { "exported" }, *dropped_v[1] = { "dropped" };

	series_set(family_series(m->metric_exports, ok_v), (double)ok);
	series_set(family_series(m->metric_exports, failed_v), (double)failed);
	series_set(family_series(m->metric_points, exported_v), (double)points_exported);
	series_set(family_series(m->metric_points, dropped_v), (double)points_dropped);
}

void self_metrics_web_auth(struct self_metrics *m, uint64_t no_credentials, uint64_t wrong_password,
			   uint64_t client_certificate)
{
	const char *none[1] = { "no_credentials" }, *wrong[1] = { "wrong_password" };
	const char *cert[1] = { "client_certificate" };

	series_set(family_series(m->web_auth_failures, none), (double)no_credentials);
	series_set(family_series(m->web_auth_failures, wrong), (double)wrong_password);
	series_set(family_series(m->web_auth_failures, cert), (double)client_certificate);
}

void self_metrics_notifications_reset(struct self_metrics *m)
{
	family_reset(m->notifications);
}

void self_metrics_notifications(struct self_metrics *m, const char *notifier, uint64_t sent, uint64_t failed,
				uint64_t dropped)
{
	const char *s[] = { notifier, "sent" }, *f[] = { notifier, "failed" }, *d[] = { notifier, "dropped" };

	series_add(family_series(m->notifications, s), (double)sent);
	series_add(family_series(m->notifications, f), (double)failed);
	series_add(family_series(m->notifications, d), (double)dropped);
}

void self_metrics_k8s(struct self_metrics *m, uint64_t lists, uint64_t events, uint64_t errors)
{
	const char *l[] = { "list" }, *e[] = { "event" }, *r[] = { "error" };

	series_set(family_series(m->k8s_updates, l), (double)lists);
	series_set(family_series(m->k8s_updates, e), (double)events);
	series_set(family_series(m->k8s_updates, r), (double)errors);
}

void self_metrics_k8s_addresses(struct self_metrics *m, uint64_t known, uint64_t dropped)
{
	mirror(m->k8s_addresses, known);
	mirror(m->k8s_addresses_dropped, dropped);
}

void self_metrics_callers(struct self_metrics *m, uint64_t evicted)
{
	mirror(m->callers_evicted, evicted);
}

void self_metrics_tls_sites_reset(struct self_metrics *m)
{
	family_reset(m->tls_sites);
}

void self_metrics_tls_site(struct self_metrics *m, const char *file, const char *function, bool emulated)
{
	const char *labels[] = { file, function, emulated ? "emulated" : "single_stepped" };

	series_set(family_series(m->tls_sites, labels), 1);
}

void self_metrics_tls_processes(struct self_metrics *m, uint64_t n)
{
	mirror(m->tls_processes, n);
}

void self_metrics_conn_left(struct self_metrics *m, const char *service, const char *reason)
{
	const char *labels[] = { service, reason };

	series_add(family_series(m->conns_left, labels), 1);
}

void self_metrics_functions_reset(struct self_metrics *m)
{
	family_reset(m->function_processes);
}

void self_metrics_function(struct self_metrics *m, const char *service, const char *function, uint64_t processes)
{
	const char *labels[] = { service, function };

	series_set(family_series(m->function_processes, labels), (double)processes);
}

void self_metrics_function_losses(struct self_metrics *m, uint64_t exited, uint64_t depth)
{
	const char *exit_label[] = { "exit" }, *depth_label[] = { "depth" };

	series_set(family_series(m->function_calls_lost, exit_label), (double)exited);
	series_set(family_series(m->function_calls_lost, depth_label), (double)depth);
}
