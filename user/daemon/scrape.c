// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/clocks.h"
#include "base/strbuf.h"
#include "daemon/daemon.h"
#include "daemon/scrape.h"
#include "identity/k8s.h"
#include "kernel/kstats.h"
#include "metrics/prom.h"
#include "rules/notifier.h"
#include "status/page.h"
#include "status/summary.h"

static void tls_site(void *arg, const struct tls_file *f, const struct tls_point *p)
{
	self_metrics_tls_site(arg, f->name, p->func, p->emulated);
}

static void function_probes(void *arg, const struct function_config *fn, size_t processes)
{
	self_metrics_function(arg, fn->service, fn->name, processes);
}

/* Brings the scrape-time figures up to date and takes the lock; /proc and
 * the maps are read before, so a scrape holds up the event path only while
 * it renders. */
static void refresh_and_lock(struct daemon *d)
{
	uint64_t stats[SONDE_STAT_MAX] = { 0 };
	uint64_t targets = 0;

	/* The HTTP server's threads and the history's sampler all scrape: d->processes
	 * is theirs in turn. */
	pthread_mutex_lock(&d->scrape_lock);
	if (atomic_load(&d->ready)) {
		kstats_read(d->maps.stats, stats);
		targets = targets_count(&d->targets);
		processes_collect(&d->processes, &d->maps, &d->services, !d->opts.nselectors, d->k8s);
	}
	pthread_mutex_lock(&d->lock);
	self_metrics_kernel(&d->self, stats, targets);
	self_metrics_streams(&d->self, d->collector.streams.evicted, d->collector.streams.used);
	self_metrics_callers(&d->self, d->collector.callers->evicted);
	self_metrics_spans(&d->self, atomic_load(&d->exporter.exported), atomic_load(&d->exporter.dropped_queue_full),
			   atomic_load(&d->exporter.dropped_export_failed));
	if (d->opts.web_config_path)
		self_metrics_web_auth(&d->self, atomic_load(&d->server.auth_failures[AUTH_NO_CREDENTIALS]),
				      atomic_load(&d->server.auth_failures[AUTH_WRONG_PASSWORD]),
				      atomic_load(&d->server.auth_failures[AUTH_CLIENT_CERTIFICATE]));
	if (d->otel_metrics.reg)
		self_metrics_metric_exports(&d->self, atomic_load(&d->metrics_exporter.exports_ok),
					    atomic_load(&d->metrics_exporter.exports_failed),
					    atomic_load(&d->metrics_exporter.points_exported),
					    atomic_load(&d->metrics_exporter.points_dropped));
	red_processes(&d->red, d->processes.samples, d->processes.nsamples);
	pthread_mutex_unlock(&d->scrape_lock);
	self_metrics_tls_sites_reset(&d->self);
	self_metrics_tls_processes(&d->self, tls_uprobes_report(&d->tls, tls_site, &d->self));
	self_metrics_functions_reset(&d->self);
	func_uprobes_report(&d->funcs, function_probes, &d->self);
	self_metrics_function_losses(&d->self, stats[SONDE_STAT_FUNC_EXITED] + atomic_load(&d->funcs.exited),
				     stats[SONDE_STAT_FUNC_DEPTH]);
	business_refresh(&d->business, clocks_mono_ms());
	if (d->k8s) {
		const struct k8s_stats *st = k8s_stats(d->k8s);

		uint64_t known, dropped;

		self_metrics_k8s(&d->self, atomic_load(&st->lists), atomic_load(&st->events), atomic_load(&st->errors));
		k8s_addresses(d->k8s, &known, &dropped);
		self_metrics_k8s_addresses(&d->self, known, dropped);
	}
	/* By type, across reloads: a type is shown once configured. */
	self_metrics_notifications_reset(&d->self);
	for (int type = 0; type < NOTIFIER_TYPES; type++) {
		const struct notifier_stats *st = &d->notify_totals[type];
		bool used = false;

		for (size_t i = 0; i < d->config.nnotifiers && !used; i++)
			used = (int)d->config.notifiers[i].type == type;
		if (used || atomic_load(&st->sent) || atomic_load(&st->failed) || atomic_load(&st->dropped))
			self_metrics_notifications(&d->self, notify_type_name((enum notifier_type)type),
						   atomic_load(&st->sent), atomic_load(&st->failed),
						   atomic_load(&st->dropped));
	}
}

int scrape_metrics(void *arg, bool openmetrics, struct strbuf *out)
{
	struct daemon *d = arg;
	int ret;

	refresh_and_lock(d);
	ret = openmetrics ? prom_render_openmetrics(d->reg, out) : prom_render(d->reg, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* /health/detailed's document, with d refreshed and its lock held. */
static int health_document(struct daemon *d, struct strbuf *out)
{
	struct check_result checks[CONFIG_MAX_CHECKS];
	const char *expected[SONDE_MAX_SELECTORS];
	struct health_inputs in = { .checks = checks, .expected = expected };

	in.nchecks = checks_snapshot(d->checks, checks, CONFIG_MAX_CHECKS);
	for (size_t i = 0; i < d->opts.nselectors; i++)
		if (d->opts.selectors[i].service[0])
			expected[in.nexpected++] = d->opts.selectors[i].service;
	in.red = &d->red;
	in.recent = &d->recent;
	in.business = &d->business;
	in.tls_unreadable = d->self.tls_unreadable;
	in.mono_ms = clocks_mono_ms();
	in.unix_ms = clocks_unix_ms();
	return health_detailed_json(&in, out);
}

int scrape_health(void *arg, int detailed, struct strbuf *out, unsigned int *status)
{
	struct daemon *d = arg;
	struct check_result checks[CONFIG_MAX_CHECKS];
	enum health_status overall;
	size_t nchecks;
	int ret;

	if (!atomic_load(&d->ready)) {
		*status = 503;
		return strbuf_printf(out, "{\"status\":\"starting\"}\n");
	}
	pthread_mutex_lock(&d->lock);
	nchecks = checks_snapshot(d->checks, checks, CONFIG_MAX_CHECKS);
	pthread_mutex_unlock(&d->lock);
	overall = health_overall(checks, nchecks);
	*status = overall == HEALTH_UNHEALTHY ? 503 : 200;
	if (!detailed)
		return strbuf_printf(out, "{\"status\":\"%s\"}\n", health_status_name(overall));
	refresh_and_lock(d);
	ret = health_document(d, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int scrape_alerts(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = alerts_json(&d->alerts, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

/* What /metrics says now, summarised. */
static struct summary *summarise(struct daemon *d)
{
	struct summary *sum = malloc(sizeof(*sum));
	struct strbuf text = { 0 };
	int ret;

	if (!sum)
		return NULL;
	ret = scrape_metrics(d, false, &text);
	if (ret || text.err) {
		strbuf_free(&text);
		free(sum);
		return NULL;
	}
	summary_build(text.data ? text.data : "", text.len, d->opts.ns, sum);
	strbuf_free(&text);
	return sum;
}

void scrape_sample(void *arg)
{
	struct daemon *d = arg;
	struct summary *sum = summarise(d);

	if (!sum)
		return;
	history_add(d->history, sum, (uint64_t)clocks_unix_ms());
	free(sum);
}

int scrape_page(void *arg, struct strbuf *out)
{
	struct daemon *d = arg;
	struct strbuf text = { 0 }, health = { 0 }, alerts = { 0 };
	struct summary *sum = malloc(sizeof(*sum));
	int ret = -ENOMEM;

	if (!sum)
		return ret;
	/* One refresh: the page shows /metrics, /health/detailed and /alerts
	 * of the same moment. */
	refresh_and_lock(d);
	ret = prom_render(d->reg, &text) ?: health_document(d, &health) ?: alerts_json(&d->alerts, &alerts);
	pthread_mutex_unlock(&d->lock);
	if (!ret && !text.err && !health.err && !alerts.err) {
		struct page_inputs in = {
			.sum = sum,
			.history = d->history,
			.health_json = health.data,
			.alerts_json = alerts.data,
			.unix_ms = (uint64_t)clocks_unix_ms(),
		};

		summary_build(text.data ? text.data : "", text.len, d->opts.ns, sum);
		ret = page_render(&in, out);
	} else if (!ret) {
		ret = -ENOMEM;
	}
	strbuf_free(&text);
	strbuf_free(&health);
	strbuf_free(&alerts);
	free(sum);
	return ret;
}
