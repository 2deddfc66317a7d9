// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "identity/k8s.h"
#include "identity/k8s_pods.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/clocks.h"

#define WATCH_SECONDS 300
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000

struct k8s {
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	int stopping; /* under mutex, and read by the transfer callbacks */
	struct k8s_pods pods; /* under mutex */
	char base[300]; /* https://host:port */
	char selector[300]; /* fieldSelector=spec.nodeName%3D... */
	char ca[600], token_path[600];
	struct k8s_stats stats;
	struct strbuf line; /* a watch event being received */
	int gone; /* the watch said 410 */
};

static int is_stopping(struct k8s *k)
{
	int s;

	pthread_mutex_lock(&k->mutex);
	s = k->stopping;
	pthread_mutex_unlock(&k->mutex);
	return s;
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	return strbuf_append(arg, data, size * n) ? 0 : size * n;
}

/* Watch events arrive one JSON object per line, split anywhere. */
static size_t on_watch(char *data, size_t size, size_t n, void *arg)
{
	struct k8s *k = arg;
	size_t len = size * n;

	for (size_t i = 0; i < len; i++) {
		enum k8s_event_result r;

		if (data[i] != '\n') {
			if (strbuf_append(&k->line, data + i, 1))
				return 0;
			continue;
		}
		pthread_mutex_lock(&k->mutex);
		r = k8s_pods_event(&k->pods, k->line.data ? k->line.data : "", k->line.len);
		pthread_mutex_unlock(&k->mutex);
		k->line.len = 0;
		if (r == K8S_EVENT_GONE) {
			k->gone = 1;
			return 0;
		}
		if (r == K8S_EVENT_BAD)
			atomic_fetch_add(&k->stats.errors, 1);
		else
			atomic_fetch_add(&k->stats.events, 1);
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return is_stopping(arg);
}

/* One GET; the HTTP status, or 0 without an answer. */
static long get(struct k8s *k, const char *url, curl_write_callback write, void *arg)
{
	struct curl_slist *headers = NULL;
	char *token = NULL, auth[4096];
	size_t cap = 0;
	long code = 0;
	ssize_t n;
	FILE *f;
	CURL *curl;

	/* Tokens rotate: read it for every request. */
	f = fopen(k->token_path, "re");
	if (!f)
		return 0;
	n = getline(&token, &cap, f);
	fclose(f);
	if (n <= 0) {
		free(token);
		return 0;
	}
	token[strcspn(token, "\r\n")] = 0;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	free(token);
	curl = curl_easy_init();
	if (!curl)
		return 0;
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_CAINFO, k->ca);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "sonde");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, arg);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, k);
	curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return code;
}

static int list(struct k8s *k)
{
	struct strbuf body = { 0 }, url = { 0 };
	long code;
	int ret;

	strbuf_printf(&url, "%s/api/v1/pods?%s", k->base, k->selector);
	code = get(k, url.data, collect, &body);
	ret = code == 200 && !body.err ? 0 : -EIO;
	if (!ret) {
		pthread_mutex_lock(&k->mutex);
		ret = k8s_pods_replace(&k->pods, body.data, body.len);
		pthread_mutex_unlock(&k->mutex);
	}
	if (ret) {
		atomic_fetch_add(&k->stats.errors, 1);
		log_warn("k8s", "listing the pods of the node failed (HTTP %ld)", code);
	} else {
		atomic_fetch_add(&k->stats.lists, 1);
		log_info("k8s", "%zu pods on this node at version %s", k->pods.n, k->pods.resource_version);
	}
	strbuf_free(&url);
	strbuf_free(&body);
	return ret;
}

/* Until the server ends the watch (0), says the version is gone or fails
 * (-EIO: list again). */
static int watch(struct k8s *k)
{
	struct strbuf url = { 0 };
	long code;

	pthread_mutex_lock(&k->mutex);
	strbuf_printf(&url, "%s/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&%s&resourceVersion=%s",
		      k->base, WATCH_SECONDS, k->selector, k->pods.resource_version);
	pthread_mutex_unlock(&k->mutex);
	k->gone = 0;
	k->line.len = 0;
	code = get(k, url.data, on_watch, k);
	strbuf_free(&url);
	if (k->gone) {
		log_info("k8s", "the watch's version is gone (410): listing again");
		return -EIO;
	}
	if (code != 200) {
		if (!is_stopping(k)) {
			atomic_fetch_add(&k->stats.errors, 1);
			log_warn("k8s", "watching the pods failed (HTTP %ld): listing again", code);
		}
		return -EIO;
	}
	return 0;
}

static void sleep_ms(struct k8s *k, int64_t ms)
{
	int64_t until = clocks_mono_ms() + ms;

	pthread_mutex_lock(&k->mutex);
	while (!k->stopping && clocks_wait_until(&k->wake, &k->mutex, until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&k->mutex);
}

static void *run(void *arg)
{
	struct k8s *k = arg;
	int64_t backoff = BACKOFF_FIRST_MS;
	int listed = 0;

	while (!is_stopping(k)) {
		if (!listed && list(k)) {
			sleep_ms(k, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		listed = 1;
		backoff = BACKOFF_FIRST_MS;
		if (watch(k))
			listed = 0;
	}
	return NULL;
}

static int read_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (f && fgets(out, (int)size, f)) {
		out[strcspn(out, "\r\n")] = 0;
		ret = 0;
	}
	if (f)
		fclose(f);
	return ret;
}

int k8s_start(struct k8s **out, const char *sa_dir)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
	const char *node = getenv("NODE_NAME");
	char hostname[256], *escaped;
	struct k8s *k;
	CURL *curl;

	*out = NULL;
	if (!host || !*host || !port || !*port)
		return 0;
	if (!node || !*node) {
		if (gethostname(hostname, sizeof(hostname)))
			return -errno;
		hostname[sizeof(hostname) - 1] = 0;
		node = hostname;
	}
	k = calloc(1, sizeof(*k));
	curl = curl_easy_init();
	escaped = curl ? curl_easy_escape(curl, node, 0) : NULL;
	if (!k || !escaped) {
		free(k);
		if (curl)
			curl_easy_cleanup(curl);
		return -ENOMEM;
	}
	snprintf(k->base, sizeof(k->base), strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	snprintf(k->selector, sizeof(k->selector), "fieldSelector=spec.nodeName%%3D%s", escaped);
	curl_free(escaped);
	curl_easy_cleanup(curl);
	snprintf(k->ca, sizeof(k->ca), "%s/ca.crt", sa_dir);
	snprintf(k->token_path, sizeof(k->token_path), "%s/token", sa_dir);
	if (read_line(k->token_path, hostname, sizeof(hostname))) {
		log_warn("k8s", "in a cluster but %s is unreadable: pod metadata is off", k->token_path);
		free(k);
		return 0;
	}
	pthread_mutex_init(&k->mutex, NULL);
	clocks_cond_init(&k->wake);
	if (pthread_create(&k->thread, NULL, run, k)) {
		pthread_cond_destroy(&k->wake);
		pthread_mutex_destroy(&k->mutex);
		free(k);
		return -EAGAIN;
	}
	log_info("k8s", "pod metadata from %s for node %s", k->base, node);
	*out = k;
	return 0;
}

void k8s_enrich(struct k8s *k, struct identity *id)
{
	if (!k || !id->pod_uid[0])
		return;
	pthread_mutex_lock(&k->mutex);
	k8s_pods_lookup(&k->pods, id->pod_uid, id->container_id, &id->k8s);
	pthread_mutex_unlock(&k->mutex);
}

const struct k8s_stats *k8s_stats(const struct k8s *k)
{
	return k ? &k->stats : NULL;
}

void k8s_stop(struct k8s *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mutex);
	k->stopping = 1;
	pthread_cond_broadcast(&k->wake);
	pthread_mutex_unlock(&k->mutex);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->mutex);
	k8s_pods_free(&k->pods);
	strbuf_free(&k->line);
	free(k);
}
