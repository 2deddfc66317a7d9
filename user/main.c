// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sonde: observes the sockets of unmodified services from the kernel and
 * serves what it sees as Prometheus RED metrics. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "config.h"
#include "exporter.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "identity.h"
#include "options.h"
#include "probe.h"
#include "processes.h"
#include "routes.h"
#include "prom.h"
#include "ringbuf.h"
#include "server.h"
#include "stats.h"
#include "strbuf.h"
#include "targets.h"
#include "tracing.h"

#ifndef SONDE_VERSION
#define SONDE_VERSION "unknown"
#endif

#define DRAIN_INTERVAL_MS 10
#define PEERS_PER_SERVICE 100
#define RESCAN_INTERVAL_NS 1000000000ull

struct daemon {
	struct sonde_options opts;
	struct services services;
	struct registry *reg;
	struct collector collector;
	struct targets targets;
	struct sonde_bpf *skel;
	struct bpf_maps maps;
	struct ringbuf ring;
	struct server server;
	struct identity_cache identities;
	struct config config;
	struct route_set *routes[SONDE_MAX_SERVICES + 1]; /* by service id */
	struct otel_config otel;
	struct tracing tracing;   /* event path only */
	struct exporter exporter;
	struct processes processes; /* scrape thread only */
	pthread_mutex_t lock;
	atomic_int ready;
};

static volatile sig_atomic_t stopping;

static const char *env(const char *name)
{
	return getenv(name);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_event(void *arg, const void *sample, size_t size)
{
	struct daemon *d = arg;

	collector_event(&d->collector, sample, size);
}

static void on_exchange(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	tracing_exchange(&d->tracing, x);
}

static void on_spans(void *arg, const struct span *spans, size_t n)
{
	struct daemon *d = arg;

	exporter_push(&d->exporter, spans, n);
}

/* Called with the lock held, from the event path. */
static const struct identity *identity_of(void *arg, uint64_t cgroup_id, uint32_t tgid)
{
	struct daemon *d = arg;

	return identity_cached(&d->identities, cgroup_id, tgid);
}

static int render_metrics(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	uint64_t stats[SONDE_STAT_MAX] = { 0 };
	uint64_t targets = 0;
	int ret;

	/* /proc and the maps are read before taking the lock, so a scrape
	 * holds up the event path only while it renders. */
	if (atomic_load(&d->ready)) {
		stats_read(d->maps.stats, stats);
		targets = targets_count(&d->targets);
		processes_collect(&d->processes, &d->maps, &d->services, !d->opts.nselectors);
	}
	pthread_mutex_lock(&d->lock);
	collector_kernel_stats(&d->collector, stats, targets);
	collector_span_stats(&d->collector, atomic_load(&d->exporter.exported),
			     atomic_load(&d->exporter.dropped_queue_full),
			     atomic_load(&d->exporter.dropped_export_failed));
	collector_processes(&d->collector, d->processes.samples, d->processes.nsamples);
	ret = prom_render(d->reg, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int is_ready(void *arg)
{
	struct daemon *d = arg;

	return atomic_load(&d->ready);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The file's services' explicit routes, by the service ids the collector sees. */
static int routes_from_config(struct daemon *d)
{
	for (size_t i = 0; i < d->config.nservices; i++) {
		const struct service_config *svc = &d->config.services[i];
		uint32_t id;

		if (!svc->nroutes)
			continue;
		if (services_intern(&d->services, svc->name, &id))
			return -ENOSPC;
		d->routes[id] = calloc(1, sizeof(struct route_set));
		if (!d->routes[id])
			return -ENOMEM;
		for (size_t r = 0; r < svc->nroutes; r++) {
			if (route_set_add(d->routes[id], svc->routes[r])) {
				log_error("config", "service %s: route %s is not a pattern sonde can use", svc->name,
					  svc->routes[r]);
				return -EINVAL;
			}
		}
	}
	d->collector.routes = d->routes;
	d->collector.nroutes = SONDE_MAX_SERVICES + 1;
	return 0;
}

/* The file first, the flags over it: services become selectors, ahead of
 * the --target ones. */
static int apply_config(struct daemon *d, char *err, size_t errlen)
{
	struct sonde_options *o = &d->opts;
	size_t n;

	if (config_load(o->config_path, &d->config, err, errlen))
		return -EINVAL;
	n = d->config.nservices;
	if (d->config.has_listen && !o->listen_set) {
		strcpy(o->listen_host, d->config.listen_host);
		o->listen_port = d->config.listen_port;
	}
	if (d->config.has_namespace && !o->ns_set)
		strcpy(o->ns, d->config.ns);
	if (n + o->nselectors > SONDE_MAX_SELECTORS) {
		snprintf(err, errlen, "%s: at most %d services and --target selectors in all", o->config_path,
			 SONDE_MAX_SELECTORS);
		return -EINVAL;
	}
	memmove(&o->selectors[n], o->selectors, o->nselectors * sizeof(o->selectors[0]));
	for (size_t i = 0; i < n; i++)
		o->selectors[i] = d->config.services[i].match;
	o->nselectors += n;
	return 0;
}

static int run(struct daemon *d)
{
	struct collector_config cc = {
		.ns = d->opts.ns,
		.buckets = d->opts.buckets,
		.nbuckets = d->opts.nbuckets,
		.series_cap = d->opts.series_cap,
		.peers_per_service = PEERS_PER_SERVICE,
		.version = SONDE_VERSION,
		.mode = probe_mode(),
	};
	struct server_handlers handlers = { .metrics = render_metrics, .ready = is_ready, .arg = d };
	uint64_t next_scan;
	char err[256];
	int ret;

	ret = probe_kernel(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "sonde: %s\n", err);
		return 1;
	}
	d->reg = registry_new();
	if (!d->reg || collector_init(&d->collector, d->reg, &d->services, &cc)) {
		log_error("main", "out of memory");
		return 1;
	}
	d->collector.identity = identity_of;
	d->collector.identity_arg = d;
	if (routes_from_config(d))
		return 1;
	if (d->otel.endpoint[0]) {
		if (tracing_init(&d->tracing, &d->otel, on_spans, d) ||
		    exporter_start(&d->exporter, &d->otel, SONDE_VERSION)) {
			log_error("main", "cannot start the span exporter");
			return 1;
		}
		d->collector.on_exchange = on_exchange;
		d->collector.exchange_arg = d;
	}
	/* Serve first, so /health answers 503 while the hooks attach. */
	if (server_start(&d->server, d->opts.listen_host, d->opts.listen_port, &handlers))
		return 1;
	ret = lifecycle_load(&d->skel, &d->maps);
	if (!ret)
		ret = targets_init(&d->targets, &d->opts, &d->services, &d->maps);
	if (!ret)
		ret = targets_scan(&d->targets);
	if (!ret)
		ret = ringbuf_open(&d->ring, d->maps.events, on_event, d);
	if (!ret)
		ret = lifecycle_attach(d->skel);
	if (ret) {
		log_error("main", "cannot start observing: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	atomic_store(&d->ready, 1);
	log_info("main", "observing %s in mode %s; metrics at http://%s:%u/metrics",
		 d->opts.nselectors ? "the selected processes" : "every process", probe_mode(),
		 d->opts.listen_host, d->opts.listen_port);
	next_scan = now_ns() + RESCAN_INTERVAL_NS;
	while (!stopping) {
		ringbuf_drain(&d->ring, DRAIN_INTERVAL_MS, &d->lock);
		if (d->collector.on_exchange)
			tracing_flush(&d->tracing, now_ns());
		if (now_ns() >= next_scan && targets_have_port_selectors(&d->targets)) {
			targets_scan(&d->targets);
			next_scan = now_ns() + RESCAN_INTERVAL_NS;
		}
	}
	/* What the kernel queued before the signal still counts. */
	ringbuf_drain(&d->ring, 0, &d->lock);
	if (d->collector.on_exchange)
		tracing_flush(&d->tracing, UINT64_MAX - TRACING_HOLD_NS);
	log_info("main", "stopping");
	ret = 0;
out:
	server_stop(&d->server);
	if (d->ring.rb)
		ringbuf_close(&d->ring);
	if (d->skel)
		lifecycle_destroy(d->skel);
	exporter_stop(&d->exporter);
	tracing_free(&d->tracing);
	processes_free(&d->processes);
	collector_free(&d->collector);
	for (size_t i = 0; i <= SONDE_MAX_SERVICES; i++) {
		if (d->routes[i]) {
			route_set_free(d->routes[i]);
			free(d->routes[i]);
		}
	}
	config_free(&d->config);
	return ret;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	char err[512];
	int ret;

	if (options_parse(argc, argv, &d.opts, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n%s", err, options_usage);
		return 2;
	}
	if (d.opts.show_help) {
		fputs(options_usage, stdout);
		return 0;
	}
	if (d.opts.show_version) {
		printf("sonde %s\n", SONDE_VERSION);
		return 0;
	}
	log_set_level(d.opts.log_level);
	if (d.opts.config_path && apply_config(&d, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n", err);
		return 2;
	}
	if (otel_config_load(&d.otel, env, d.opts.otlp_endpoint, d.opts.slow_threshold, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n", err);
		return 2;
	}
	pthread_mutex_init(&d.lock, NULL);
	if (install_signals()) {
		log_error("main", "cannot install signal handlers");
		return 1;
	}
	ret = run(&d);
	if (d.reg)
		registry_free(d.reg);
	return ret;
}
