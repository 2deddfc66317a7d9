/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The running daemon: the kernel side feeding the pipeline, the sinks the
 * pipeline feeds, the threads of the configuration's checks and
 * notifiers, and the HTTP endpoints that read it all. */
#ifndef SONDE_DAEMON_H
#define SONDE_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/config.h"
#include "base/options.h"
#include "base/web_config.h"
#include "daemon/server.h"
#include "identity/identity.h"
#include "kernel/maps.h"
#include "kernel/processes.h"
#include "kernel/ringbuf.h"
#include "kernel/sockops.h"
#include "kernel/listeners.h"
#include "kernel/targets.h"
#include "kernel/func_uprobes.h"
#include "kernel/tls_uprobes.h"
#include "metrics/self_metrics.h"
#include "otel/exporter.h"
#include "otel/metrics_exporter.h"
#include "otel/otel_metrics.h"
#include "otel/otel_config.h"
#include "otel/tracing.h"
#include "pipeline/collector.h"
#include "pipeline/functions.h"
#include "pipeline/red.h"
#include "pipeline/routes.h"
#include "pipeline/service_graph.h"
#include "pipeline/services.h"
#include "status/history.h"
#include "pipeline/sinks.h"
#include "rules/alerts.h"
#include "rules/business.h"
#include "rules/checks.h"
#include "rules/health.h"
#include "rules/notifier.h"

struct alert_notice;
struct k8s;
struct notifier;
struct registry;
struct sonde_bpf;

struct daemon {
	struct sonde_options opts;
	struct config config;
	struct otel_config otel;
	struct otel_metrics_config otel_metrics_cfg;
	/* The pipeline. Its lock is held while a batch of events flows through
	 * it and by everything that reads or changes what it keeps: the
	 * registry's series, the collector, and every sink's state (spans
	 * being joined, business metrics, alert rules, health windows).
	 * Checks and notifiers run threads of their own around it. */
	pthread_mutex_t lock;
	struct registry *reg;
	struct self_metrics self;
	struct red red;
	struct service_graph graph;
	struct sinks sinks;
	struct collector collector;
	struct services services;
	struct route_set *routes[SONDE_MAX_SERVICES + 1]; /* by service id */
	struct functions functions; /* the configuration's, by the ids their probes carry */
	struct identity_cache identities;
	struct k8s *k8s; /* NULL outside a cluster */
	struct identity enriched; /* event path: the cache's entry with pod metadata */
	/* The sinks, and what a reload replaces. */
	struct tracing tracing; /* event path only */
	struct exporter exporter;
	struct otel_metrics otel_metrics; /* with an OTLP metrics endpoint only */
	struct metrics_exporter metrics_exporter;
	struct business business;
	struct alerts alerts;
	struct health_recent recent;
	struct check_families check_families;
	struct checks *checks;
	struct notifier *notifier;
	/* Notifications by notifier type, across every reload's notifiers. */
	struct notifier_stats notify_totals[NOTIFIER_TYPES];
	/* The kernel side. */
	struct sonde_bpf *skel;
	struct bpf_maps maps;
	struct ringbuf ring;
	struct targets targets;
	struct listeners listeners;
	struct sockops sockops;
	struct tls_uprobes tls;
	struct func_uprobes funcs; /* on the TLS probes' thread */
	struct processes processes; /* a scrape's, under scrape_lock */
	pthread_mutex_t scrape_lock; /* taken before lock, never after */
	struct server server;
	struct server_handlers handlers;
	struct web_config web; /* --web-config's; the server reads it */
	atomic_int ready;
	/* Threads stopping the checks and notifiers reloads replaced, joined
	 * at the next reload that needs the room, and at stop. */
#define DAEMON_RETIRING_MAX 8
	pthread_t retiring[DAEMON_RETIRING_MAX];
	size_t nretiring;
	/* The status page's history: sampled on a thread of its own. */
	struct history *history;
	pthread_t sampler;
	pthread_mutex_t sampler_lock;
	pthread_cond_t sampler_cond;
	bool sampler_stop, sampler_started;
};

/* Runs until SIGINT or SIGTERM; SIGHUP reloads the configuration file.
 * Returns the process's exit status. */
int daemon_run(struct daemon *d);
/* The functions are d->functions now: their probes follow. */
void daemon_functions_changed(struct daemon *d);
/* An alert rule's notice, to the notifiers. */
void daemon_notice(void *arg, const struct alert_notice *n);

#endif
