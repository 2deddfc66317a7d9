// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clocks.h"
#include "base/log.h"
#include "daemon/daemon.h"
#include "daemon/privileges.h"
#include "daemon/reload.h"
#include "daemon/scrape.h"
#include "identity/k8s.h"
#include "kernel/features.h"
#include "kernel/loader.h"
#include "metrics/registry.h"
#include "rules/notifier.h"

#ifndef SONDE_VERSION
#define SONDE_VERSION "unknown"
#endif

#define DRAIN_INTERVAL_MS 10
#define PEERS_PER_SERVICE 100
#define RESCAN_INTERVAL_MS 1000
#define EVALUATE_INTERVAL_MS 100

static volatile sig_atomic_t stopping, reloading;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reloading = 1;
	else
		stopping = 1;
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

static void on_event(void *arg, const void *sample, size_t size)
{
	struct daemon *d = arg;

	collector_event(&d->collector, sample, size);
}

/* The sinks, each a view of the daemon: a reload replaces the business
 * metrics and rules in place. A kept span's ids become the exemplar of the
 * duration the RED metrics just observed. */
static void to_tracing(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	tracing_exchange(&d->tracing, x);
	if (d->tracing.last.kept)
		red_exemplar(&d->red, x, d->tracing.last.trace_id, d->tracing.last.span_id,
			     (int64_t)((x->end_ns + (uint64_t)d->tracing.unix_offset_ns) / 1000000u));
}

static void to_tracing_calls(void *arg, const struct function_call *c)
{
	struct daemon *d = arg;

	tracing_function(&d->tracing, c);
}

static void to_otel_metrics(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	otel_metrics_exchange(&d->otel_metrics, x);
}

static void to_business(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	business_exchange(&d->business, x);
}

static void to_alerts(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	alerts_exchange(&d->alerts, x, &d->business);
}

static void to_service_graph(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	service_graph_exchange(&d->graph, x);
}

static void to_health(void *arg, const struct exchange *x)
{
	struct daemon *d = arg;

	health_exchange(&d->recent, x);
}

void daemon_notice(void *arg, const struct alert_notice *n)
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

/* Called with the lock held, from the event path. */
static const char *address_of(void *arg, const struct sonde_peer *peer, char *out, size_t size, bool *this_node)
{
	struct daemon *d = arg;

	return d->k8s ? k8s_address(d->k8s, peer, out, size, this_node) : NULL;
}

/* The processes whose OpenSSL files the TLS probes cover. */
static size_t tls_pids(void *arg, uint32_t *pids, size_t max)
{
	struct daemon *d = arg;

	return targets_pids(&d->targets, pids, max);
}

static void evaluate_alerts(struct daemon *d)
{
	struct check_result checks[CONFIG_MAX_CHECKS];
	struct alert_inputs in = { .checks = checks };

	pthread_mutex_lock(&d->lock);
	in.nchecks = checks_snapshot(d->checks, checks, CONFIG_MAX_CHECKS);
	business_refresh(&d->business, clocks_mono_ms());
	in.business = &d->business;
	alerts_evaluate(&d->alerts, clocks_mono_ms(), clocks_unix_ms(), &in, daemon_notice, d);
	pthread_mutex_unlock(&d->lock);
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
			if (routes_add(d->routes[id], svc->routes[r])) {
				log_error("config", "service %s: route %s is not a pattern sonde can use", svc->name,
					  svc->routes[r]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Events become exchanges and flow to the RED metrics, then to spans,
 * OTLP metrics, the service graph, business metrics, alert rules and
 * health, in that order. */
static int start_pipeline(struct daemon *d)
{
	const struct red_config rc = {
		.ns = d->opts.ns,
		.buckets = d->opts.buckets,
		.nbuckets = d->opts.nbuckets,
		.series_cap = d->opts.series_cap,
		.family_cap = d->opts.series_family_cap,
		.expire = d->opts.series_idle_ms > 0,
	};
	const struct collector_config cc = {
		.services = &d->services,
		.routes = d->routes,
		.nroutes = SONDE_MAX_SERVICES + 1,
		.identity = identity_of,
		.identity_arg = d,
		.address = address_of,
		.address_arg = d,
		.peers_per_service = PEERS_PER_SERVICE,
		.sinks = &d->sinks,
		.red = &d->red,
		.self = &d->self,
		.functions = &d->functions,
	};
	int ret;

	functions_set(&d->functions, d->config.functions, d->config.nfunctions);
	d->reg = registry_new();
	if (!d->reg)
		return -ENOMEM;
	ret = red_init(&d->red, d->reg, &rc);
	ret = ret ?: service_graph_init(&d->graph, d->reg, &rc);
	ret = ret ?: self_metrics_init(&d->self, d->reg, SONDE_VERSION, features_mode());
	ret = ret ?: checks_register_families(d->reg, d->opts.ns, &d->check_families);
	ret = ret ?: collector_init(&d->collector, &cc);
	if (ret)
		return ret;
	sinks_init(&d->sinks, &d->red);
	if (d->otel.transport.endpoint[0])
		ret = sinks_add(&d->sinks, to_tracing, d) ?: sinks_add_calls(&d->sinks, to_tracing_calls, d);
	if (!ret && d->otel_metrics_cfg.transport.endpoint[0]) {
		const struct otel_metrics_limits limits = {
			.buckets = d->opts.buckets,
			.nbuckets = d->opts.nbuckets,
			.series_cap = d->opts.series_cap,
			.family_cap = d->opts.series_family_cap,
			.expire = d->opts.series_idle_ms > 0,
		};

		ret = otel_metrics_init(&d->otel_metrics, &limits) ?: sinks_add(&d->sinks, to_otel_metrics, d);
	}
	ret = ret ?: sinks_add(&d->sinks, to_service_graph, d);
	ret = ret ?: sinks_add(&d->sinks, to_business, d);
	ret = ret ?: sinks_add(&d->sinks, to_alerts, d);
	return ret ?: sinks_add(&d->sinks, to_health, d);
}

void daemon_functions_changed(struct daemon *d)
{
	uint32_t ids[CONFIG_MAX_FUNCTIONS] = { 0 };

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->functions.n; i++)
		if (services_intern(&d->services, d->functions.entries[i].cfg.service, &ids[i]))
			log_warn("functions", "no room for service %s", d->functions.entries[i].cfg.service);
	pthread_mutex_unlock(&d->lock);
	func_uprobes_set(&d->funcs, &d->functions, ids);
}

/* Targets first, then the ring buffer, then the hooks: the kernel selects
 * from its first event. */
static int start_kernel(struct daemon *d)
{
	uint32_t inject[SONDE_MAX_SELECTORS];
	int ret, socket_programs;
	size_t n_inject = 0;
	char why[128];

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->config.nservices; i++)
		if (d->config.services[i].inject &&
		    !services_intern(&d->services, d->config.services[i].name, &inject[n_inject]))
			n_inject++;
	pthread_mutex_unlock(&d->lock);

	socket_programs = features_socket_programs(why, sizeof(why));
	ret = loader_load(&d->skel, &d->maps, d->opts.max_connections, features_sockets(), n_inject > 0,
			  socket_programs);
	ret = ret ?: targets_init(&d->targets, &d->opts, &d->services, &d->maps);
	ret = ret ?: targets_scan(&d->targets);
	ret = ret ?: listeners_init(&d->listeners, &d->maps);
	if (!ret && d->opts.nselectors)
		listeners_tell(&d->listeners);
	ret = ret ?: ringbuf_open(&d->ring, d->maps.events, on_event, d);
	ret = ret ?: loader_attach(d->skel);
	if (ret)
		return ret;
	sockops_start(&d->sockops, d->skel, &d->opts, socket_programs ? NULL : why, inject, n_inject);
	pthread_mutex_lock(&d->lock);
	self_metrics_build(&d->self, SONDE_VERSION, features_mode(), sockops_mode(&d->sockops));
	pthread_mutex_unlock(&d->lock);
	ret = func_uprobes_start(&d->funcs, d->skel, &d->tls.links, d->maps.targets);
	if (ret)
		return ret;
	daemon_functions_changed(d);
	d->tls.hook.target = func_uprobes_target;
	d->tls.hook.scan = func_uprobes_scan;
	d->tls.hook.arg = &d->funcs;
	/* With selectors, only the targets trap on the TLS probes; cgroup
	 * members, told apart by the kernel at each connection, per file. */
	return tls_uprobes_start(&d->tls, d->skel, targets_by_pid(&d->targets) ? TLS_PER_PROCESS : TLS_PER_FILE,
				 tls_pids, d, d->maps.target_events);
}

/* Series, peers and known routes idle past --series-idle go, checked a
 * tenth of that apart. */
#define IDLE_TICKS 10

static void expire_idle(struct daemon *d)
{
	size_t gone;

	pthread_mutex_lock(&d->lock);
	gone = registry_expire(d->reg, IDLE_TICKS);
	if (d->otel_metrics.reg)
		registry_expire(d->otel_metrics.reg, IDLE_TICKS);
	collector_expire(&d->collector, IDLE_TICKS);
	pthread_mutex_unlock(&d->lock);
	if (gone)
		log_debug("metrics", "%zu series idle for %" PRIu64 " s dropped", gone, d->opts.series_idle_ms / 1000);
}

static void observe(struct daemon *d)
{
	int64_t next_scan = clocks_mono_ms() + RESCAN_INTERVAL_MS, next_eval = clocks_mono_ms();
	int64_t idle_step = (int64_t)d->opts.series_idle_ms / IDLE_TICKS, next_idle = clocks_mono_ms() + idle_step;

	while (!stopping) {
		ringbuf_drain(&d->ring, DRAIN_INTERVAL_MS, &d->lock);
		if (d->otel.transport.endpoint[0])
			tracing_flush(&d->tracing, clocks_mono_ns());
		if (clocks_mono_ms() >= next_eval) {
			evaluate_alerts(d);
			next_eval = clocks_mono_ms() + EVALUATE_INTERVAL_MS;
		}
		if (reloading) {
			reloading = 0;
			if (d->opts.config_path)
				reload_config(d);
			if (d->opts.web_config_path)
				reload_web_config(d);
			if (!d->opts.config_path && !d->opts.web_config_path)
				log_warn("config", "SIGHUP ignored: sonde runs without --config or --web-config");
		}
		if (idle_step && clocks_mono_ms() >= next_idle) {
			expire_idle(d);
			next_idle = clocks_mono_ms() + idle_step;
		}
		if (clocks_mono_ms() >= next_scan) {
			if (targets_have_port_selectors(&d->targets))
				targets_scan(&d->targets);
			if (d->opts.nselectors)
				listeners_tell(&d->listeners);
			next_scan = clocks_mono_ms() + RESCAN_INTERVAL_MS;
		}
	}
	/* What the kernel queued before the signal still counts. */
	ringbuf_drain(&d->ring, 0, &d->lock);
	if (d->otel.transport.endpoint[0])
		tracing_flush(&d->tracing, UINT64_MAX - TRACING_HOLD_NS);
}

/* Samples the status page's history every HISTORY_STEP_MS, off the event
 * path: a sample costs what a scrape does. */
static void *sample_history(void *arg)
{
	struct daemon *d = arg;
	int64_t next = clocks_mono_ms();

	pthread_mutex_lock(&d->sampler_lock);
	while (!d->sampler_stop) {
		if (clocks_mono_ms() >= next) {
			pthread_mutex_unlock(&d->sampler_lock);
			if (atomic_load(&d->ready))
				scrape_sample(d);
			next += HISTORY_STEP_MS;
			pthread_mutex_lock(&d->sampler_lock);
			continue;
		}
		clocks_wait_until(&d->sampler_cond, &d->sampler_lock, next);
	}
	pthread_mutex_unlock(&d->sampler_lock);
	return NULL;
}

static int sampler_start(struct daemon *d)
{
	d->history = calloc(1, sizeof(*d->history));
	if (!d->history)
		return -ENOMEM;
	history_init(d->history);
	pthread_mutex_init(&d->sampler_lock, NULL);
	if (clocks_cond_init(&d->sampler_cond) || pthread_create(&d->sampler, NULL, sample_history, d))
		return -EAGAIN;
	d->sampler_started = true;
	return 0;
}

static void sampler_stop(struct daemon *d)
{
	if (d->sampler_started) {
		pthread_mutex_lock(&d->sampler_lock);
		d->sampler_stop = true;
		pthread_cond_signal(&d->sampler_cond);
		pthread_mutex_unlock(&d->sampler_lock);
		pthread_join(d->sampler, NULL);
		d->sampler_started = false;
	}
	if (d->history) {
		history_free(d->history);
		free(d->history);
		d->history = NULL;
	}
}

static void stop(struct daemon *d)
{
	server_stop(&d->server);
	web_config_free(&d->web);
	sampler_stop(d);
	if (d->ring.rb)
		ringbuf_close(&d->ring);
	tls_uprobes_free(&d->tls);
	func_uprobes_free(&d->funcs);
	sockops_stop(&d->sockops);
	if (d->skel)
		loader_destroy(d->skel, &d->maps);
	reload_join(d);
	checks_stop(d->checks);
	notifier_stop(d->notifier);
	k8s_stop(d->k8s);
	exporter_stop(&d->exporter);
	metrics_exporter_stop(&d->metrics_exporter);
	otel_metrics_free(&d->otel_metrics);
	tracing_free(&d->tracing);
	business_free(&d->business);
	alerts_free(&d->alerts);
	health_recent_free(&d->recent);
	processes_free(&d->processes);
	collector_free(&d->collector);
	for (size_t i = 0; i <= SONDE_MAX_SERVICES; i++) {
		if (d->routes[i]) {
			routes_free(d->routes[i]);
			free(d->routes[i]);
		}
	}
	config_free(&d->config);
	if (d->reg)
		registry_free(d->reg);
	d->reg = NULL;
}

int daemon_run(struct daemon *d)
{
	const struct server_handlers handlers = { .metrics = scrape_metrics,
						  .health = scrape_health,
						  .alerts = scrape_alerts,
						  .page = scrape_page,
						  .arg = d };
	const char *sa_dir = getenv("SONDE_K8S_SA_DIR");
	char err[256];
	int ret;

	pthread_mutex_init(&d->lock, NULL);
	pthread_mutex_init(&d->scrape_lock, NULL);
	tls_uprobes_init(&d->tls);
	func_uprobes_init(&d->funcs);
	if (install_signals()) {
		log_error("main", "cannot install signal handlers");
		return 1;
	}
	ret = features_check(d->opts.hooks, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "sonde: %s\n", err);
		return 1;
	}
	/* Before the first thread, which inherits what is left. */
	ret = privileges_drop(err, sizeof(err));
	if (ret) {
		fprintf(stderr, "sonde: %s\n", err);
		return 1;
	}
	ret = routes_from_config(d);
	if (ret == -ENOMEM || (!ret && start_pipeline(d))) {
		log_error("main", "out of memory");
		ret = 1;
		goto out;
	}
	if (ret) {
		ret = 1;
		goto out;
	}
	if (reload_build_rules(d, &d->config, &d->business, &d->alerts, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s: %s\n", d->opts.config_path ? d->opts.config_path : "configuration", err);
		ret = 2;
		goto out;
	}
	if (d->otel.transport.endpoint[0] && (tracing_init(&d->tracing, &d->otel, on_spans, d) ||
					      exporter_start(&d->exporter, &d->otel, SONDE_VERSION))) {
		log_error("main", "cannot start the span exporter");
		ret = 1;
		goto out;
	}
	if (d->otel_metrics.reg && metrics_exporter_start(&d->metrics_exporter, &d->otel_metrics_cfg, &d->otel_metrics,
							  &d->lock, SONDE_VERSION)) {
		log_error("main", "cannot start the metrics exporter");
		ret = 1;
		goto out;
	}
	/* Serve first, so /health answers 503 while the hooks attach. */
	ret = k8s_start(&d->k8s, sa_dir ? sa_dir : K8S_SA_DIR);
	if (ret) {
		log_error("main", "cannot start the Kubernetes metadata watch: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	if (sampler_start(d)) {
		log_error("main", "cannot start the status page's sampler");
		ret = 1;
		goto out;
	}
	d->handlers = handlers;
	if (server_start(&d->server, d->opts.listen_host, d->opts.listen_port, &handlers,
			 d->opts.web_config_path ? &d->web : NULL) ||
	    reload_start_threads(d, &d->config, &d->checks, &d->notifier)) {
		ret = 1;
		goto out;
	}
	ret = start_kernel(d);
	if (ret) {
		log_error("main", "cannot start observing: %s", strerror(-ret));
		ret = 1;
		goto out;
	}
	if (privileges_confine(err, sizeof(err))) {
		log_error("main", "%s", err);
		ret = 1;
		goto out;
	}
	atomic_store(&d->ready, 1);
	log_info("main", "observing %s in mode %s, TCP health from %s; metrics at %s://%s:%u/metrics",
		 d->opts.nselectors ? "the selected processes" : "every process", features_mode(),
		 sockops_mode(&d->sockops), d->web.tls ? "https" : "http", d->opts.listen_host, d->opts.listen_port);
	observe(d);
	log_info("main", "stopping");
	ret = 0;
out:
	stop(d);
	return ret;
}
