// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clocks.h"
#include "base/log.h"
#include "daemon/reload.h"
#include "rules/notifier.h"

int reload_build_rules(struct daemon *d, const struct config *c, struct business *b, struct alerts *a, char *err,
		       size_t errlen)
{
	int ret;

	ret = business_init(b, c->business, c->nbusiness, d->reg, d->opts.ns, d->opts.buckets, d->opts.nbuckets, err,
			    errlen);
	if (ret)
		return ret;
	ret = alerts_init(a, c->rules, c->nrules, d->opts.buckets, d->opts.nbuckets);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		business_free(b);
	}
	return ret;
}

int reload_start_threads(struct daemon *d, const struct config *c, struct checks **checks, struct notifier **notifier)
{
	char generator[128];

	snprintf(generator, sizeof(generator), "http://%s:%u/alerts", d->opts.listen_host, d->opts.listen_port);
	if (checks_start(checks, c->checks, c->nchecks, &d->check_families, &d->lock) ||
	    notifier_start(notifier, c->notifiers, c->nnotifiers, generator, d->notify_totals)) {
		log_error("config", "cannot start the health checks or notifiers");
		checks_stop(*checks);
		*checks = NULL;
		return -ENOMEM;
	}
	return 0;
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

/* Health checks and notifiers a reload replaced, stopped off the event
 * path: the stop waits for a check in flight (up to its timeout) and for
 * the notifier's queue (up to its grace period). */
struct retired {
	struct checks *checks;
	struct notifier *notifier;
};

static void *retire(void *arg)
{
	struct retired *r = arg;

	checks_stop(r->checks);
	notifier_stop(r->notifier);
	free(r);
	return NULL;
}

static void retire_threads(struct daemon *d, struct checks *checks, struct notifier *notifier)
{
	struct retired *r = malloc(sizeof(*r));

	/* Reloads in a burst: the oldest stop is waited for. */
	if (d->nretiring == DAEMON_RETIRING_MAX) {
		pthread_join(d->retiring[0], NULL);
		memmove(d->retiring, d->retiring + 1, --d->nretiring * sizeof(d->retiring[0]));
	}
	if (r) {
		*r = (struct retired){ checks, notifier };
		if (!pthread_create(&d->retiring[d->nretiring], NULL, retire, r)) {
			d->nretiring++;
			return;
		}
		free(r);
	}
	log_warn("config", "no thread to stop the replaced checks and notifiers on: stopping them here");
	checks_stop(checks);
	notifier_stop(notifier);
}

/* Metrics survive: their families are kept. SLA windows and alert states
 * whose definitions did not change carry over; a firing alert whose rule
 * went away is resolved. */
void reload_config(struct daemon *d)
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
	if (reload_build_rules(d, next, &b, &a, err, sizeof(err))) {
		pthread_mutex_unlock(&d->lock);
		log_error("config", "reload refused, the running configuration stays: %s", err);
		goto out;
	}
	pthread_mutex_unlock(&d->lock);
	if (reload_start_threads(d, next, &checks, &notifier)) {
		pthread_mutex_lock(&d->lock);
		business_free(&b);
		alerts_free(&a);
		pthread_mutex_unlock(&d->lock);
		goto out;
	}
	pthread_mutex_lock(&d->lock);
	business_carry_over(&b, &d->business);
	alerts_carry_over(&a, &d->alerts, clocks_unix_ms(), daemon_notice, d);
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
	memcpy(d->config.functions, next->functions, sizeof(next->functions));
	d->config.nfunctions = next->nfunctions;
	functions_set(&d->functions, d->config.functions, d->config.nfunctions);
	swap_threads(d, &checks, &notifier);
	checks_publish_status(d->checks);
	pthread_mutex_unlock(&d->lock);
	/* The old threads finish outside the lock they may be waiting on,
	 * and away from the event path. */
	retire_threads(d, checks, notifier);
	daemon_functions_changed(d);
	log_info("config",
		 "reloaded %s: %zu checks, %zu business metrics, %zu alert rules, %zu notifiers, %zu functions",
		 d->opts.config_path, d->config.nchecks, d->config.nbusiness, d->config.nrules, d->config.nnotifiers,
		 d->config.nfunctions);
out:
	config_free(next);
	free(next);
}

void reload_web_config(struct daemon *d)
{
	unsigned long long failures[AUTH_FAILURES];
	struct web_config next;
	char err[512];
	int ret;

	if (web_config_load(d->opts.web_config_path, &next, err, sizeof(err))) {
		log_error("web", "reload refused, the endpoints keep the running web configuration: %s", err);
		return;
	}
	if (web_config_same(&next, &d->web)) {
		web_config_free(&next);
		log_info("web", "%s unchanged", d->opts.web_config_path);
		return;
	}
	for (int i = 0; i < AUTH_FAILURES; i++)
		failures[i] = atomic_load(&d->server.auth_failures[i]);
	server_stop(&d->server);
	web_config_free(&d->web);
	d->web = next;
	ret = server_start(&d->server, d->opts.listen_host, d->opts.listen_port, &d->handlers, &d->web);
	/* The refusals counted so far stay counted. */
	for (int i = 0; i < AUTH_FAILURES; i++)
		atomic_fetch_add(&d->server.auth_failures[i], failures[i]);
	if (ret)
		log_error("web", "the endpoints did not start again with %s", d->opts.web_config_path);
	else
		log_info("web", "endpoints restarted with %s: %s, %zu users", d->opts.web_config_path,
			 d->web.tls ? "TLS" : "plain HTTP", d->web.nusers);
}

void reload_join(struct daemon *d)
{
	for (size_t i = 0; i < d->nretiring; i++)
		pthread_join(d->retiring[i], NULL);
	d->nretiring = 0;
}
