/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every sonde_* family: the daemon's own state, from the kernel side's
 * counters, the collector, the span exporter, the notifiers and the
 * Kubernetes watch. Counters kept elsewhere are mirrored at scrape time.
 * Called with the pipeline's lock held. */
#ifndef SONDE_SELF_METRICS_H
#define SONDE_SELF_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "sonde.h"

struct registry;
struct metric_family;
struct metric_series;

struct self_metrics {
	struct metric_family *events;
	struct metric_series *events_seen; /* the one series of events, counted per sample */
	struct metric_family *lost;
	struct metric_family *parse_failures;
	struct metric_family *not_http;
	struct metric_family *unanswered;
	struct metric_family *tls_conns;
	struct metric_family *streams_evicted;
	struct metric_family *streams_open;
	struct metric_family *conns;
	struct metric_family *client_conns;
	struct metric_family *targets;
	struct metric_family *build_info;
	struct metric_family *spans_exported;
	struct metric_family *spans_dropped;
	struct metric_family *metric_exports;
	struct metric_family *web_auth_failures;
	struct metric_family *metric_points;
	struct metric_family *notifications;
	struct metric_family *k8s_updates;
	struct metric_family *k8s_addresses;
	struct metric_family *k8s_addresses_dropped;
	struct metric_family *callers_evicted;
	struct metric_family *conns_untracked;
	struct metric_family *exchanges_evicted;
	struct metric_family *socks_untracked;
	struct metric_family *datagrams_unread;
	struct metric_family *propagation;
	struct metric_family *tls_sites;
	struct metric_family *tls_processes;
	struct metric_family *tls_unreadable;
	struct metric_family *conns_left;
	struct metric_family *function_processes;
	struct metric_family *function_calls_lost;
};

/* version and mode label sonde_build_info. 0 or -ENOMEM. */
int self_metrics_init(struct self_metrics *m, struct registry *reg, const char *version, const char *mode);
/* sonde_build_info once the kernel side is attached: tcp says where TCP
 * health comes from ("" before). */
void self_metrics_build(struct self_metrics *m, const char *version, const char *mode, const char *tcp);
/* One sample taken from the ring buffer. */
void self_metrics_event(struct self_metrics *m);
/* Captured bytes or an event that did not parse: kind is the part
 * (request, response, target, event) or the wire protocol. */
void self_metrics_parse_failure(struct self_metrics *m, const char *kind);
/* A TLS connection of service whose plaintext no probe reads. Returns how
 * many the service had so far, this one included. */
uint64_t self_metrics_tls_unreadable(struct self_metrics *m, const char *service);
/* The kernel side's per-CPU counters, summed, and the selected processes. */
void self_metrics_kernel(struct self_metrics *m, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets);
/* The connections parsed in user space: dropped for room, followed now. */
void self_metrics_streams(struct self_metrics *m, uint64_t evicted, uint64_t open);
/* The OTLP metrics exporter's exports by result, and its data points
 * exported or lost with a failed delta export. */
void self_metrics_metric_exports(struct self_metrics *m, uint64_t ok, uint64_t failed, uint64_t points_exported,
				 uint64_t points_dropped);
/* Requests the web configuration turned away: no credentials, a wrong
 * user or password, no verified client certificate. */
void self_metrics_web_auth(struct self_metrics *m, uint64_t no_credentials, uint64_t wrong_password,
			   uint64_t client_certificate);
void self_metrics_spans(struct self_metrics *m, uint64_t exported, uint64_t dropped_queue_full,
			uint64_t dropped_export_failed);
/* The notifications of each notifier: forget the last scrape's, then add
 * one notifier's counters at a time. */
void self_metrics_notifications_reset(struct self_metrics *m);
void self_metrics_notifications(struct self_metrics *m, const char *notifier, uint64_t sent, uint64_t failed,
				uint64_t dropped);
void self_metrics_k8s(struct self_metrics *m, uint64_t lists, uint64_t events, uint64_t errors);
/* The cluster's pod and Service addresses known, and those past the bound. */
void self_metrics_k8s_addresses(struct self_metrics *m, uint64_t known, uint64_t dropped);
/* Callers on this host forgotten to make room for newer connections. */
void self_metrics_callers(struct self_metrics *m, uint64_t evicted);
/* The TLS uprobes: forget the last scrape's sites, then one per probed
 * function of each file, whether the kernel emulates its breakpoint; and
 * the processes that have probes of their own. */
void self_metrics_tls_sites_reset(struct self_metrics *m);
void self_metrics_tls_site(struct self_metrics *m, const char *file, const char *function, bool emulated);
void self_metrics_tls_processes(struct self_metrics *m, uint64_t n);
/* A connection of the service left alone, and why: its first bytes were
 * no protocol sonde follows (unknown_protocol), or its parser gave up
 * (the protocol's name). */
void self_metrics_conn_left(struct self_metrics *m, const char *service, const char *reason);
/* The function probes: the processes that have each function's, and the
 * calls lost, in flight at their thread's or process's exit or nested too
 * deep to be timed. */
void self_metrics_functions_reset(struct self_metrics *m);
void self_metrics_function(struct self_metrics *m, const char *service, const char *function, uint64_t processes);
void self_metrics_function_losses(struct self_metrics *m, uint64_t exited, uint64_t depth);

#endif
