// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The notifications' sender: one thread draining a bounded queue over
 * libcurl, retrying with backoff, so alert evaluation never waits on a
 * receiver. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "notify.h"
#include "strbuf.h"
#include "timefmt.h"

#define QUEUE_CAP 256
#define ATTEMPTS 5
/* Tests shorten the waits. */
#ifndef FIRST_BACKOFF_MS
#define FIRST_BACKOFF_MS 500
#endif
#define REQUEST_TIMEOUT_MS 5000
#define STOP_GRACE_MS 5000

struct entry {
	size_t notifier;
	struct alert_notice notice;
};

struct notifier {
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	int stopping;
	int64_t give_up_ms; /* monotonic: once stopping, the queue's deadline */
	struct entry queue[QUEUE_CAP];
	size_t head, count;
	struct notifier_config *cfg;
	struct notifier_stats *stats;
	size_t n;
	char generator[256];
	pthread_t thread;
	CURL *curl;
};

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* The HTTP status, or 0 when there was no answer. */
static long post(struct notifier *nt, const char *url, const char *body, char *err, size_t errlen)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	long code = 0;
	CURLcode res;

	curl_easy_reset(nt->curl);
	curl_easy_setopt(nt->curl, CURLOPT_URL, url);
	curl_easy_setopt(nt->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(nt->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(nt->curl, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
	curl_easy_setopt(nt->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(nt->curl, CURLOPT_USERAGENT, "sonde");
	curl_easy_setopt(nt->curl, CURLOPT_WRITEFUNCTION, discard);
	res = curl_easy_perform(nt->curl);
	if (res == CURLE_OK)
		curl_easy_getinfo(nt->curl, CURLINFO_RESPONSE_CODE, &code);
	else
		snprintf(err, errlen, "%s", curl_easy_strerror(res));
	curl_slist_free_all(headers);
	return code;
}

/* Sleeps until the backoff passes; 0 early when stopping past the grace. */
static int backoff(struct notifier *nt, int64_t ms)
{
	int64_t until = mono_now_ms() + ms;
	struct timespec ts = { .tv_sec = (time_t)(until / 1000), .tv_nsec = (long)(until % 1000) * 1000000 };
	int go_on;

	pthread_mutex_lock(&nt->mutex);
	while (!(nt->stopping && mono_now_ms() >= nt->give_up_ms) && mono_now_ms() < until)
		if (pthread_cond_timedwait(&nt->wake, &nt->mutex, &ts) == ETIMEDOUT)
			break;
	go_on = !(nt->stopping && mono_now_ms() >= nt->give_up_ms);
	pthread_mutex_unlock(&nt->mutex);
	return go_on;
}

static void deliver(struct notifier *nt, const struct entry *e)
{
	const struct notifier_config *cfg = &nt->cfg[e->notifier];
	struct notifier_stats *st = &nt->stats[e->notifier];
	struct strbuf url = { 0 }, body = { 0 };
	char err[CURL_ERROR_SIZE] = "";
	long code = 0;

	if (notify_body(cfg, &e->notice, nt->generator, &url, &body)) {
		atomic_fetch_add(&st->failed, 1);
		goto out;
	}
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		code = post(nt, url.data, body.data, err, sizeof(err));
		if (code >= 200 && code < 300) {
			atomic_fetch_add(&st->sent, 1);
			goto out;
		}
		/* The receiver refused the body: sending it again will not help. */
		if (code >= 400 && code < 500 && code != 429)
			break;
		if (attempt + 1 < ATTEMPTS && !backoff(nt, (int64_t)FIRST_BACKOFF_MS << attempt))
			break;
	}
	atomic_fetch_add(&st->failed, 1);
	if (code)
		log_warn("notify", "%s %s: %s gave up, HTTP %ld", notifier_type_name(cfg->type), url.data,
			 e->notice.rule, code);
	else
		log_warn("notify", "%s %s: %s gave up: %s", notifier_type_name(cfg->type), url.data, e->notice.rule,
			 err);
out:
	strbuf_free(&url);
	strbuf_free(&body);
}

static void *run(void *arg)
{
	struct notifier *nt = arg;
	struct entry e;

	pthread_mutex_lock(&nt->mutex);
	for (;;) {
		while (!nt->count && !nt->stopping)
			pthread_cond_wait(&nt->wake, &nt->mutex);
		if (!nt->count)
			break;
		if (nt->stopping && mono_now_ms() >= nt->give_up_ms) {
			for (; nt->count; nt->count--, nt->head = (nt->head + 1) % QUEUE_CAP)
				atomic_fetch_add(&nt->stats[nt->queue[nt->head].notifier].failed, 1);
			break;
		}
		e = nt->queue[nt->head];
		nt->head = (nt->head + 1) % QUEUE_CAP;
		nt->count--;
		pthread_mutex_unlock(&nt->mutex);
		deliver(nt, &e);
		pthread_mutex_lock(&nt->mutex);
	}
	pthread_mutex_unlock(&nt->mutex);
	return NULL;
}

int notifier_start(struct notifier **out, const struct notifier_config *cfg, size_t n, const char *generator)
{
	pthread_condattr_t attr;
	struct notifier *nt;
	int ret = -ENOMEM;

	*out = NULL;
	nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	nt->cfg = calloc(n ? n : 1, sizeof(*nt->cfg));
	nt->stats = calloc(n ? n : 1, sizeof(*nt->stats));
	nt->curl = curl_easy_init();
	if (!nt->cfg || !nt->stats || !nt->curl)
		goto fail;
	memcpy(nt->cfg, cfg, n * sizeof(*cfg));
	nt->n = n;
	snprintf(nt->generator, sizeof(nt->generator), "%s", generator ? generator : "");
	pthread_mutex_init(&nt->mutex, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&nt->wake, &attr);
	pthread_condattr_destroy(&attr);
	ret = -pthread_create(&nt->thread, NULL, run, nt);
	if (ret) {
		pthread_cond_destroy(&nt->wake);
		pthread_mutex_destroy(&nt->mutex);
		goto fail;
	}
	*out = nt;
	return 0;
fail:
	if (nt->curl)
		curl_easy_cleanup(nt->curl);
	free(nt->cfg);
	free(nt->stats);
	free(nt);
	return ret;
}

void notifier_push(struct notifier *nt, const struct alert_notice *a)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->mutex);
	for (size_t i = 0; i < nt->n; i++) {
		/* Only Alertmanager wants a firing alert again to keep it active. */
		if (a->repeat && nt->cfg[i].type != NOTIFIER_ALERTMANAGER)
			continue;
		if (nt->count == QUEUE_CAP) {
			atomic_fetch_add(&nt->stats[i].dropped, 1);
			continue;
		}
		nt->queue[(nt->head + nt->count) % QUEUE_CAP] = (struct entry){ .notifier = i, .notice = *a };
		nt->count++;
	}
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->mutex);
}

const struct notifier_stats *notifier_stats(const struct notifier *nt, size_t i)
{
	return nt && i < nt->n ? &nt->stats[i] : NULL;
}

void notifier_stop(struct notifier *nt)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->mutex);
	nt->stopping = 1;
	nt->give_up_ms = mono_now_ms() + STOP_GRACE_MS;
	pthread_cond_broadcast(&nt->wake);
	pthread_mutex_unlock(&nt->mutex);
	pthread_join(nt->thread, NULL);
	pthread_cond_destroy(&nt->wake);
	pthread_mutex_destroy(&nt->mutex);
	curl_easy_cleanup(nt->curl);
	free(nt->cfg);
	free(nt->stats);
	free(nt);
}
