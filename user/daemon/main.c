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

#include <curl/curl.h>

#include "rules/alerts.h"
#include "rules/business.h"
#include "rules/checks.h"
#include "pipeline/collector.h"
#include "base/config.h"
#include "otel/exporter.h"
#include "rules/health.h"
#include "identity/identity.h"
#include "identity/k8s.h"
#include "kernel/loader.h"
#include "base/log.h"
#include "metrics/registry.h"
#include "rules/notify.h"
#include "base/options.h"
#include "kernel/features.h"
#include "kernel/processes.h"
#include "pipeline/routes.h"
#include "metrics/prom.h"
#include "kernel/ringbuf.h"
#include "daemon/server.h"
#include "kernel/kstats.h"
#include "base/strbuf.h"
#include "kernel/targets.h"
#include "base/clocks.h"
#include "kernel/tls_uprobes.h"
#include "otel/tracing.h"

#ifndef SONDE_VERSION
#define SONDE_VERSION "unknown"
#endif

#define DRAIN_INTERVAL_MS 10
#define PEERS_PER_SERVICE 100
#define RESCAN_INTERVAL_NS 1000000000ull
#define EVALUATE_INTERVAL_MS 100

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
	struct k8s *k8s;            /* NULL outside a cluster */
	struct identity enriched;   /* event path: the cache's entry with pod metadata */
	struct config config;
	struct route_set *routes[SONDE_MAX_SERVICES + 1]; /* by service id */
	struct otel_config otel;
	struct tracing tracing;   /* event path only */
	struct exporter exporter;
	struct processes processes; /* the HTTP thread's */
	struct tls_probes tls;
	/* What the file's checks, business metrics, rules and notifiers
	 * become; replaced by a reload. The lock covers all but checks and
	 * notifier, which run threads of their own. */
	struct check_families check_families;
	struct checks *checks;
	struct notifier *notifier;
	struct business business;
	struct alerts alerts;
	struct health_recent recent;
	struct metric_family *notifications;
	struct metric_family *k8s_updates;
	pthread_mutex_t lock;
	atomic_int ready;
};

static volatile sig_atomic_t stopping, reloading;

static const char *env(const char *name)
{
	return getenv(name);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reloading = 1;
	else
		stopping = 1;
}

static void on_event(void *arg, const void *sample, size_t size)
{
	struct daemon *d = arg;

	collector_event(&d->collector, sample, size);
}

/* Every parsed exchange, with the lock held. */
static void on_exchange(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	if (d->otel.endpoint[0])
		tracing_exchange(&d->tracing, x);
	business_exchange(&d->business, x);
	alerts_exchange(&d->alerts, x, &d->business);
	health_exchange(&d->recent, x);
}

static void on_notice(void *arg, const struct alert_notice *n)
{
	struct daemon *d = arg;

	notifier_push(d->notifier, n);
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
	const struct identity *id = identity_cached(&d->identities, cgroup_id, tgid);

	if (!d->k8s || !id || !id->pod_uid[0])
		return id;
	d->enriched = *id;
	k8s_enrich(d->k8s, &d->enriched);
	return &d->enriched;
}

/* Brings the scrape-time figures up to date and takes the lock; /proc and
 * the maps are read before, so a scrape holds up the event path only while
 * it renders. */
static void refresh_and_lock(struct daemon *d)
{
	uint64_t stats[SONDE_STAT_MAX] = { 0 };
	uint64_t targets = 0;

	/* One MHD thread serves every request, so d->processes needs no lock. */
	if (atomic_load(&d->ready)) {
		stats_read(d->maps.stats, stats);
		targets = targets_count(&d->targets);
		processes_collect(&d->processes, &d->maps, &d->services, !d->opts.nselectors, d->k8s);
	}
	pthread_mutex_lock(&d->lock);
	collector_kernel_stats(&d->collector, stats, targets);
	collector_span_stats(&d->collector, atomic_load(&d->exporter.exported),
			     atomic_load(&d->exporter.dropped_queue_full),
			     atomic_load(&d->exporter.dropped_export_failed));
	collector_processes(&d->collector, d->processes.samples, d->processes.nsamples);
	business_refresh(&d->business, mono_now_ms());
	if (d->k8s) {
		const struct k8s_stats *st = k8s_stats(d->k8s);
		const char *list[] = { "list" }, *event[] = { "event" }, *error[] = { "error" };

		series_set(family_series(d->k8s_updates, list), (double)atomic_load(&st->lists));
		series_set(family_series(d->k8s_updates, event), (double)atomic_load(&st->events));
		series_set(family_series(d->k8s_updates, error), (double)atomic_load(&st->errors));
	}
	family_reset(d->notifications);
	for (size_t i = 0; i < d->config.nnotifiers; i++) {
		const struct notifier_stats *st = notifier_stats(d->notifier, i);
		const char *type = notifier_type_name(d->config.notifiers[i].type);
		const char *sent[] = { type, "sent" }, *failed[] = { type, "failed" }, *dropped[] = { type, "dropped" };

		if (!st)
			continue;
		series_add(family_series(d->notifications, sent), (double)atomic_load(&st->sent));
		series_add(family_series(d->notifications, failed), (double)atomic_load(&st->failed));
		series_add(family_series(d->notifications, dropped), (double)atomic_load(&st->dropped));
	}
}

static int render_metrics(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	int ret;

	refresh_and_lock(d);
	ret = prom_render(d->reg, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int render_health(void *arg, int detailed, struct strbuf *out, unsigned int *status)
{
	struct daemon *d = arg;
	struct check_result checks[CONFIG_MAX_CHECKS];
	const char *expected[SONDE_MAX_SELECTORS];
	struct health_inputs in = { .checks = checks, .expected = expected };
	enum health_status overall;
	int ret;

	if (!atomic_load(&d->ready)) {
		*status = 503;
		return strbuf_printf(out, "{\"status\":\"starting\"}\n");
	}
	pthread_mutex_lock(&d->lock);
	in.nchecks = checks_snapshot(d->checks, checks, CONFIG_MAX_CHECKS);
	pthread_mutex_unlock(&d->lock);
	overall = health_overall(checks, in.nchecks);
	*status = overall == HEALTH_UNHEALTHY ? 503 : 200;
	if (!detailed)
		return strbuf_printf(out, "{\"status\":\"%s\"}\n", health_status_name(overall));
	for (size_t i = 0; i < d->opts.nselectors; i++)
		if (d->opts.selectors[i].service[0])
			expected[in.nexpected++] = d->opts.selectors[i].service;
	refresh_and_lock(d);
	in.collector = &d->collector;
	in.recent = &d->recent;
	in.business = &d->business;
	in.mono_ms = mono_now_ms();
	in.unix_ms = unix_now_ms();
	ret = health_detailed_json(&in, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int render_alerts(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = alerts_json(&d->alerts, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static void evaluate_alerts(struct daemon *d)
{
	struct check_result checks[CONFIG_MAX_CHECKS];
	struct alert_inputs in = { .checks = checks };

	pthread_mutex_lock(&d->lock);
	in.nchecks = checks_snapshot(d->checks, checks, CONFIG_MAX_CHECKS);
	business_refresh(&d->business, mono_now_ms());
	in.business = &d->business;
	alerts_evaluate(&d->alerts, mono_now_ms(), unix_now_ms(), &in, on_notice, d);
	pthread_mutex_unlock(&d->lock);
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
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) || sigaction(SIGHUP, &sa, NULL))
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

/* The checks' results and the notifications sent, as metrics that
 * survive a reload. */
static int register_features(struct daemon *d)
{
	static const char *const labels[] = { "notifier", "outcome" }, *const kind[] = { "kind" };

	d->notifications = registry_add(d->reg, "sonde_notifications_total", "Alert notifications by notifier and outcome",
					METRIC_COUNTER, labels, 2, NULL, 0, 64);
	d->k8s_updates = registry_add(d->reg, "sonde_k8s_updates_total",
				      "Pod metadata from the Kubernetes API: lists, watch events and errors", METRIC_COUNTER,
				      kind, 1, NULL, 0, 8);
	if (!d->notifications || !d->k8s_updates)
		return -ENOMEM;
	return check_families_register(d->reg, d->opts.ns, &d->check_families);
}

/* Business metrics and alert rules of c, built before they replace the
 * running ones. Called with the lock held. */
static int build_rules(struct daemon *d, const struct config *c, struct business *b, struct alerts *a, char *err,
		       size_t errlen)
{
	int ret;

	ret = business_init(b, c->business, c->nbusiness, d->reg, d->opts.ns, d->opts.buckets, d->opts.nbuckets,
			    err, errlen);
	if (ret)
		return ret;
	ret = alerts_init(a, c->rules, c->nrules, d->opts.buckets, d->opts.nbuckets);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		business_free(b);
	}
	return ret;
}

/* SLA windows and alert states whose definitions did not change carry
 * over; a firing alert whose rule went away is resolved. */
static void carry_over(struct daemon *d, struct business *b, struct alerts *a)
{
	for (size_t i = 0; i < b->n; i++) {
		for (size_t j = 0; j < d->business.n; j++) {
			struct business_metric *old = &d->business.m[j], *new = &b->m[i];
			struct window w;

			if (memcmp(&old->cfg, &new->cfg, sizeof(new->cfg)))
				continue;
			w = new->sla;
			new->sla = old->sla;
			old->sla = w;
		}
	}
	for (size_t j = 0; j < d->alerts.n; j++) {
		struct alert *old = &d->alerts.a[j];
		int kept = 0;

		for (size_t i = 0; i < a->n && !kept; i++) {
			struct alert swap;

			if (memcmp(&old->cfg, &a->a[i].cfg, sizeof(old->cfg)))
				continue;
			swap = a->a[i];
			a->a[i] = *old;
			*old = swap;
			kept = 1;
		}
		if (!kept)
			alert_retire(old, unix_now_ms(), on_notice, d);
	}
}

static void swap_threads(struct daemon *d, struct checks **checks, struct notifier **notifier)
{
	struct checks *c = d->checks;
	struct notifier *n = d->notifier;

	d->checks = *checks;
	d->notifier = *notifier;
	*checks = c;
	*notifier = n;
}

static int start_threads(struct daemon *d, const struct config *c, struct checks **checks,
			 struct notifier **notifier)
{
	char generator[128];

	snprintf(generator, sizeof(generator), "http://%s:%u/alerts", d->opts.listen_host, d->opts.listen_port);
	if (checks_start(checks, c->checks, c->nchecks, &d->check_families, &d->lock) ||
	    notifier_start(notifier, c->notifiers, c->nnotifiers, generator)) {
		log_error("main", "cannot start the health checks or notifiers");
		checks_stop(*checks);
		*checks = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* SIGHUP: checks, business metrics, SLAs, rules and notifiers are
 * replaced; a file that does not load is refused and the running
 * configuration stays. Metrics survive: their families are kept. The
 * services, listen address and namespace are set at start. */
static void reload(struct daemon *d)
{
	struct config *next = calloc(1, sizeof(*next));
	struct checks *checks = NULL;
	struct notifier *notifier = NULL;
	struct business b;
	struct alerts a;
	char err[512];

	if (!next)
		return;
	if (config_load(d->opts.config_path, next, err, sizeof(err))) {
		log_error("config", "reload refused, the running configuration stays: %s", err);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	if (build_rules(d, next, &b, &a, err, sizeof(err))) {
		pthread_mutex_unlock(&d->lock);
		log_error("config", "reload refused, the running configuration stays: %s", err);
		goto out;
	}
	pthread_mutex_unlock(&d->lock);
	if (start_threads(d, next, &checks, &notifier)) {
		pthread_mutex_lock(&d->lock);
		business_free(&b);
		alerts_free(&a);
		pthread_mutex_unlock(&d->lock);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	carry_over(d, &b, &a);
	business_free(&d->business);
	alerts_free(&d->alerts);
	d->business = b;
	d->alerts = a;
	memcpy(d->config.checks, next->checks, sizeof(next->checks));
	d->config.nchecks = next->nchecks;
	memcpy(d->config.business, next->business, sizeof(next->business));
	d->config.nbusiness = next->nbusiness;
	memcpy(d->config.rules, next->rules, sizeof(next->rules));
	d->config.nrules = next->nrules;
	memcpy(d->config.notifiers, next->notifiers, sizeof(next->notifiers));
	d->config.nnotifiers = next->nnotifiers;
	swap_threads(d, &checks, &notifier);
	checks_publish_status(d->checks);
	pthread_mutex_unlock(&d->lock);
	/* The old threads finish outside the lock they may be waiting on. */
	checks_stop(checks);
	notifier_stop(notifier);
	log_info("config", "reloaded %s: %zu checks, %zu business metrics, %zu alert rules, %zu notifiers",
		 d->opts.config_path, d->config.nchecks, d->config.nbusiness, d->config.nrules, d->config.nnotifiers);
out:
	config_free(next);
	free(next);
}

/* The processes whose OpenSSL files the TLS probes cover. */
static size_t tls_pids(void *arg, uint32_t *pids, size_t max)
{
	struct daemon *d = arg;

	return targets_pids(&d->targets, pids, max);
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
	struct server_handlers handlers = {
		.metrics = render_metrics, .health = render_health, .alerts = render_alerts, .arg = d
	};
	uint64_t next_scan;
	int64_t next_eval;
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
	d->collector.on_exchange = on_exchange;
	d->collector.exchange_arg = d;
	if (routes_from_config(d))
		return 1;
	if (register_features(d)) {
		log_error("main", "out of memory");
		return 1;
	}
	if (build_rules(d, &d->config, &d->business, &d->alerts, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s: %s\n", d->opts.config_path ? d->opts.config_path : "configuration", err);
		ret = 2;
		goto out;
	}
	if (d->otel.endpoint[0] && (tracing_init(&d->tracing, &d->otel, on_spans, d) ||
				    exporter_start(&d->exporter, &d->otel, SONDE_VERSION))) {
		log_error("main", "cannot start the span exporter");
		ret = 1;
		goto out;
	}
	/* Serve first, so /health answers 503 while the hooks attach. */
	ret = k8s_start(&d->k8s, getenv("SONDE_K8S_SA_DIR") ? getenv("SONDE_K8S_SA_DIR") : K8S_SA_DIR);
	if (ret) {
		log_error("main", "cannot start the Kubernetes metadata watch: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	if (server_start(&d->server, d->opts.listen_host, d->opts.listen_port, &handlers) ||
	    start_threads(d, &d->config, &d->checks, &d->notifier)) {
		ret = 1;
		goto out;
	}
	ret = lifecycle_load(&d->skel, &d->maps);
	if (!ret)
		ret = targets_init(&d->targets, &d->opts, &d->services, &d->maps);
	if (!ret)
		ret = targets_scan(&d->targets);
	if (!ret)
		ret = ringbuf_open(&d->ring, d->maps.events, on_event, d);
	if (!ret)
		ret = lifecycle_attach(d->skel);
	if (!ret) {
		tls_probes_init(&d->tls, d->skel);
		ret = tls_probes_start(&d->tls, tls_pids, d);
	}
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
	next_eval = mono_now_ms();
	while (!stopping) {
		ringbuf_drain(&d->ring, DRAIN_INTERVAL_MS, &d->lock);
		if (d->otel.endpoint[0])
			tracing_flush(&d->tracing, now_ns());
		if (mono_now_ms() >= next_eval) {
			evaluate_alerts(d);
			next_eval = mono_now_ms() + EVALUATE_INTERVAL_MS;
		}
		if (reloading) {
			reloading = 0;
			if (d->opts.config_path)
				reload(d);
			else
				log_warn("config", "SIGHUP ignored: sonde runs without --config");
		}
		if (now_ns() >= next_scan) {
			if (targets_have_port_selectors(&d->targets))
				targets_scan(&d->targets);
			next_scan = now_ns() + RESCAN_INTERVAL_NS;
		}
	}
	/* What the kernel queued before the signal still counts. */
	ringbuf_drain(&d->ring, 0, &d->lock);
	if (d->otel.endpoint[0])
		tracing_flush(&d->tracing, UINT64_MAX - TRACING_HOLD_NS);
	log_info("main", "stopping");
	ret = 0;
out:
	server_stop(&d->server);
	if (d->ring.rb)
		ringbuf_close(&d->ring);
	tls_probes_free(&d->tls);
	if (d->skel)
		lifecycle_destroy(d->skel);
	checks_stop(d->checks);
	notifier_stop(d->notifier);
	k8s_stop(d->k8s);
	exporter_stop(&d->exporter);
	tracing_free(&d->tracing);
	business_free(&d->business);
	alerts_free(&d->alerts);
	health_recent_free(&d->recent);
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
	/* Before any thread: checks, notifiers and the exporter use libcurl. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = run(&d);
	curl_global_cleanup();
	if (d.reg)
		registry_free(d.reg);
	return ret;
}
