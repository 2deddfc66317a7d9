// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The health checks' scheduler: a thread per check, so a slow check delays
 * no other; each sleeps on a condition variable so stopping is prompt. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/check_run.h"
#include "rules/checks.h"
#include "base/clocks.h"
#include "base/log.h"
#include "metrics/registry.h"

#define CHECK_SERIES_CAP 1000

static const double check_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

struct check_thread {
	struct checks *owner;
	struct check_config cfg;
	struct check_result result; /* under owner->mutex */
	pthread_t thread;
	int started;
};

struct checks {
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	int stopping;
	const struct check_families *families;
	pthread_mutex_t *pipeline_lock;
	struct check_thread *threads;
	size_t n;
};

int checks_register_families(struct registry *reg, const char *ns, struct check_families *f)
{
	static const char *const labels[] = { "check" };
	char name[SONDE_NAME_MAX + 48];

	snprintf(name, sizeof(name), "%s_health_check_duration_seconds", ns);
	f->duration = registry_add(reg, name, "Time the health check took", METRIC_HISTOGRAM, labels, 1, check_buckets,
				   sizeof(check_buckets) / sizeof(check_buckets[0]), CHECK_SERIES_CAP);
	snprintf(name, sizeof(name), "%s_health_check_status", ns);
	f->status = registry_add(reg, name, "Health check status: 1 healthy, 0.5 degraded, 0 unhealthy", METRIC_GAUGE,
				 labels, 1, NULL, 0, CHECK_SERIES_CAP);
	return f->duration && f->status ? 0 : -errno;
}

static void record(struct check_thread *t, const struct check_result *r)
{
	struct checks *c = t->owner;
	const char *label[] = { t->cfg.name };
	enum health_status before;

	pthread_mutex_lock(&c->mutex);
	before = t->result.status;
	t->result = *r;
	pthread_mutex_unlock(&c->mutex);
	if (before != r->status)
		log_info("checks", "%s is %s: %s", t->cfg.name, health_status_name(r->status), r->message);
	pthread_mutex_lock(c->pipeline_lock);
	series_observe(family_series(c->families->duration, label), r->duration_ms / 1000);
	series_set(family_series(c->families->status, label), health_status_value(r->status));
	pthread_mutex_unlock(c->pipeline_lock);
}

static void *run_check(void *arg)
{
	struct check_thread *t = arg;
	struct checks *c = t->owner;
	struct check_result r;
	int64_t next = clocks_mono_ms();

	pthread_mutex_lock(&c->mutex);
	while (!c->stopping) {
		pthread_mutex_unlock(&c->mutex);
		check_run(&t->cfg, &r);
		record(t, &r);
		next += (int64_t)t->cfg.interval_ms;
		pthread_mutex_lock(&c->mutex);
		while (!c->stopping && clocks_wait_until(&c->wake, &c->mutex, next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&c->mutex);
	return NULL;
}

int checks_start(struct checks **out, const struct check_config *cfg, size_t n, const struct check_families *f,
		 pthread_mutex_t *pipeline_lock)
{
	struct checks *c;
	int ret = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->threads = calloc(n ? n : 1, sizeof(*c->threads));
	if (!c->threads) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->mutex, NULL);
	clocks_cond_init(&c->wake);
	c->families = f;
	c->pipeline_lock = pipeline_lock;
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		struct check_thread *t = &c->threads[i];

		t->owner = c;
		t->cfg = cfg[i];
		snprintf(t->result.name, sizeof(t->result.name), "%s", cfg[i].name);
		ret = -pthread_create(&t->thread, NULL, run_check, t);
		if (ret)
			break;
		t->started = 1;
	}
	*out = c;
	if (ret) {
		checks_stop(c);
		*out = NULL;
	}
	return ret;
}

void checks_publish_status(struct checks *c)
{
	family_reset(c->families->status);
	pthread_mutex_lock(&c->mutex);
	for (size_t i = 0; i < c->n; i++) {
		const struct check_thread *t = &c->threads[i];
		const char *label[] = { t->cfg.name };

		if (t->result.status != HEALTH_UNKNOWN)
			series_set(family_series(c->families->status, label), health_status_value(t->result.status));
	}
	pthread_mutex_unlock(&c->mutex);
}

size_t checks_snapshot(struct checks *c, struct check_result *out, size_t max)
{
	size_t n = 0;

	if (!c)
		return 0;
	pthread_mutex_lock(&c->mutex);
	for (; n < c->n && n < max; n++)
		out[n] = c->threads[n].result;
	pthread_mutex_unlock(&c->mutex);
	return n;
}

void checks_stop(struct checks *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mutex);
	c->stopping = 1;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->mutex);
	/* A check in flight finishes within its timeout. */
	for (size_t i = 0; i < c->n; i++)
		if (c->threads[i].started)
			pthread_join(c->threads[i].thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->mutex);
	free(c->threads);
	free(c);
}
