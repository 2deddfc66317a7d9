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

#include "base/log.h"
#include "rules/notifier.h"
#include "base/strbuf.h"
#include "base/clocks.h"

#define QUEUE_CAP 256
#define ATTEMPTS 5
/* Tests shorten the waits. */
#ifndef FIRST_BACKOFF_MS
#define FIRST_BACKOFF_MS 500
#endif
#ifndef REQUEST_TIMEOUT_MS
#define REQUEST_TIMEOUT_MS 5000
#endif
#ifndef STOP_GRACE_MS
#define STOP_GRACE_MS 5000
#endif

/* A request under way when stop is asked ends within the grace, and later
 * ones are cut to what is left of it: stopping takes STOP_GRACE_MS at most. */
_Static_assert(REQUEST_TIMEOUT_MS <= STOP_GRACE_MS, "a request could outlast the stop grace");

struct entry {
	size_t notifier;
	struct alert_notice notice;
};

struct notifier {
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	int stopping; /* under mutex */
	int64_t give_up_ms; /* monotonic, under mutex: once stopping, the queue's deadline */
	struct entry queue[QUEUE_CAP];
	size_t head, count;
	struct notifier_config *cfg;
	struct notifier_stats *stats;
	struct notifier_stats *totals; /* the caller's, by notifier type; or NULL */
	size_t n;
	char generator[256];
	pthread_t thread;
	CURL *curl;
};

/* Milliseconds left before the sender must give up: INT64_MAX until stop. */
static int64_t grace_left(struct notifier *nt)
{
	int64_t left;

	pthread_mutex_lock(&nt->mutex);
	left = nt->stopping ? nt->give_up_ms - clocks_mono_ms() : INT64_MAX;
	pthread_mutex_unlock(&nt->mutex);
	return left;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* The HTTP status, or 0 when there was no answer (err says why). */
static long post(struct notifier *nt, const char *url, const char *body, char *err, size_t errlen)
{
	int64_t left = grace_left(nt);
	struct curl_slist *headers;
	long code = 0;
	CURLcode res;

	if (left <= 0) {
		snprintf(err, errlen, "stopping");
		return 0;
	}
	headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!headers) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	curl_easy_reset(nt->curl);
	curl_easy_setopt(nt->curl, CURLOPT_URL, url);
	curl_easy_setopt(nt->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(nt->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(nt->curl, CURLOPT_TIMEOUT_MS, (long)(left < REQUEST_TIMEOUT_MS ? left : REQUEST_TIMEOUT_MS));
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

/* Waits ms before the next attempt, less when the stop grace ends first;
 * 0 when the grace is over and no attempt should follow. */
static int backoff(struct notifier *nt, int64_t ms)
{
	int64_t until = clocks_mono_ms() + ms, end, now;
	int go_on;

	pthread_mutex_lock(&nt->mutex);
	for (;;) {
		now = clocks_mono_ms();
		end = nt->stopping && nt->give_up_ms < until ? nt->give_up_ms : until;
		if (now >= end)
			break;
		/* A push or the stop wakes it early: the loop looks again. */
		clocks_wait_until(&nt->wake, &nt->mutex, end);
	}
	go_on = !(nt->stopping && now >= nt->give_up_ms);
	pthread_mutex_unlock(&nt->mutex);
	return go_on;
}

enum outcome { SENT, FAILED, DROPPED };

/* Notifier i's outcome, in its counters and its type's running totals. */
static void tally(struct notifier *nt, size_t i, enum outcome o)
{
	struct notifier_stats *mine = &nt->stats[i], *all = nt->totals ? &nt->totals[nt->cfg[i].type] : NULL;

	atomic_fetch_add(o == SENT ? &mine->sent : o == FAILED ? &mine->failed : &mine->dropped, 1);
	if (all)
		atomic_fetch_add(o == SENT ? &all->sent : o == FAILED ? &all->failed : &all->dropped, 1);
}

static void deliver(struct notifier *nt, const struct entry *e)
{
	const struct notifier_config *cfg = &nt->cfg[e->notifier];
	struct strbuf url = { 0 }, body = { 0 };
	char err[CURL_ERROR_SIZE] = "", shown[LOG_URL_MAX];
	int64_t wait_ms = FIRST_BACKOFF_MS;
	long code = 0;
	int ret;

	ret = notify_body(cfg, &e->notice, nt->generator, &url, &body);
	if (ret) {
		tally(nt, e->notifier, FAILED);
		log_error("notify", "%s: %s: cannot build the body: %s", notify_type_name(cfg->type), e->notice.rule,
			  strerror(-ret));
		goto out;
	}
	for (int attempt = 1;; attempt++, wait_ms *= 2) {
		code = post(nt, url.data, body.data, err, sizeof(err));
		if (code >= 200 && code < 300) {
			tally(nt, e->notifier, SENT);
			goto out;
		}
		/* The receiver refused the body: sending it again will not help. */
		if (code >= 400 && code < 500 && code != 429)
			break;
		if (attempt == ATTEMPTS)
			break;
		if (code)
			log_debug("notify", "%s %s: HTTP %ld, attempt %d, again in %lld ms",
				  notify_type_name(cfg->type), log_url(url.data, shown), code, attempt,
				  (long long)wait_ms);
		else
			log_debug("notify", "%s %s: %s, attempt %d, again in %lld ms", notify_type_name(cfg->type),
				  log_url(url.data, shown), err, attempt, (long long)wait_ms);
		if (!backoff(nt, wait_ms))
			break;
	}
	tally(nt, e->notifier, FAILED);
	if (code)
		log_warn("notify", "%s %s: %s %s not delivered: HTTP %ld", notify_type_name(cfg->type),
			 log_url(url.data, shown), e->notice.rule, notify_state_name(e->notice.state), code);
	else
		log_warn("notify", "%s %s: %s %s not delivered: %s", notify_type_name(cfg->type),
			 log_url(url.data, shown), e->notice.rule, notify_state_name(e->notice.state), err);
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
		if (nt->stopping && clocks_mono_ms() >= nt->give_up_ms) {
			log_warn("notify", "stopping: %zu notifications not sent", nt->count);
			for (; nt->count; nt->count--, nt->head = (nt->head + 1) % QUEUE_CAP)
				tally(nt, nt->queue[nt->head].notifier, FAILED);
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

static void notifier_free(struct notifier *nt)
{
	pthread_cond_destroy(&nt->wake);
	pthread_mutex_destroy(&nt->mutex);
	curl_easy_cleanup(nt->curl);
	free(nt->cfg);
	free(nt->stats);
	free(nt);
}

/* Without notifiers there is no thread and *out is NULL, which every
 * other call accepts. */
int notifier_start(struct notifier **out, const struct notifier_config *cfg, size_t n, const char *generator,
		   struct notifier_stats *totals)
{
	struct notifier *nt;
	int ret = -ENOMEM;

	*out = NULL;
	if (!n)
		return 0;
	nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	pthread_mutex_init(&nt->mutex, NULL);
	clocks_cond_init(&nt->wake);
	nt->cfg = calloc(n, sizeof(*nt->cfg));
	nt->stats = calloc(n, sizeof(*nt->stats));
	nt->curl = curl_easy_init();
	if (!nt->cfg || !nt->stats || !nt->curl)
		goto fail;
	memcpy(nt->cfg, cfg, n * sizeof(*cfg));
	nt->n = n;
	nt->totals = totals;
	snprintf(nt->generator, sizeof(nt->generator), "%s", generator ? generator : "");
	ret = -pthread_create(&nt->thread, NULL, run, nt);
	if (ret)
		goto fail;
	*out = nt;
	return 0;
fail:
	notifier_free(nt);
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
			tally(nt, i, DROPPED);
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
	nt->give_up_ms = clocks_mono_ms() + STOP_GRACE_MS;
	pthread_cond_broadcast(&nt->wake);
	pthread_mutex_unlock(&nt->mutex);
	pthread_join(nt->thread, NULL);
	notifier_free(nt);
}
