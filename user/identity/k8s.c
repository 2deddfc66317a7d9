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
#include "identity/k8s_addrs.h"
#include "identity/k8s_pods.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/clocks.h"

#define WATCH_SECONDS 300
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000
#define LIST_PAGE 500

/* What is listed and watched, each on a thread of its own: the pods of
 * this node for their metadata, and every pod's and Service's addresses. */
enum k8s_what { K8S_NODE_PODS, K8S_PODS, K8S_SERVICES, K8S_WHATS };

struct k8s;

struct k8s_resource {
	struct k8s *k;
	enum k8s_what what;
	pthread_t thread;
	bool started;
	struct strbuf line; /* a watch event being received */
	int gone; /* the watch said 410 */
};

struct k8s {
	pthread_mutex_t mutex;
	pthread_cond_t wake;
	int stopping; /* under mutex, and read by the transfer callbacks */
	struct k8s_pods pods; /* under mutex */
	struct k8s_addrs addrs; /* under mutex */
	char node[256];
	char base[300]; /* https://host:port */
	char selector[300]; /* fieldSelector=spec.nodeName%3D... */
	char ca[600], token_path[600];
	struct k8s_stats stats;
	struct k8s_resource resources[K8S_WHATS];
};

static const char *const what_names[K8S_WHATS] = { "pods on this node", "pods with addresses in the cluster",
						   "Services with cluster IPs" };

/* Under the mutex, as the three below. */
static const char *version_of(struct k8s_resource *r)
{
	struct k8s *k = r->k;

	return r->what == K8S_NODE_PODS ? k->pods.resource_version :
	       r->what == K8S_PODS	? k->addrs.pods.resource_version :
					  k->addrs.services.resource_version;
}

/* One page of a list; the node's pods come in one. */
static int store_page(struct k8s_resource *r, const char *body, size_t len, bool first, char *cont, size_t csize)
{
	struct k8s *k = r->k;

	if (r->what == K8S_NODE_PODS) {
		*cont = 0;
		return k8s_pods_replace(&k->pods, body, len);
	}
	return k8s_addrs_page(&k->addrs, r->what == K8S_PODS ? &k->addrs.pods : &k->addrs.services, body, len, first,
			      cont, csize);
}

static enum k8s_event_result store_event(struct k8s_resource *r, const char *line, size_t len)
{
	struct k8s *k = r->k;

	if (r->what == K8S_NODE_PODS)
		return k8s_pods_event(&k->pods, line, len);
	return k8s_addrs_event(&k->addrs, r->what == K8S_PODS ? &k->addrs.pods : &k->addrs.services, line, len);
}

static size_t store_size(struct k8s_resource *r)
{
	struct k8s *k = r->k;

	return r->what == K8S_NODE_PODS ? k->pods.n : r->what == K8S_PODS ? k->addrs.pods.n : k->addrs.services.n;
}

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
	struct k8s_resource *res = arg;
	struct k8s *k = res->k;
	size_t len = size * n;

	for (size_t i = 0; i < len; i++) {
		enum k8s_event_result r;

		if (data[i] != '\n') {
			if (strbuf_append(&res->line, data + i, 1))
				return 0;
			continue;
		}
		pthread_mutex_lock(&k->mutex);
		r = store_event(res, res->line.data ? res->line.data : "", res->line.len);
		pthread_mutex_unlock(&k->mutex);
		res->line.len = 0;
		if (r == K8S_EVENT_GONE) {
			res->gone = 1;
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

/* A page of the resource's list (the cluster's addresses LIST_PAGE
 * objects at a time, from the continue token cont), or its watch from the
 * store's version (under the mutex). */
static int url_of(struct k8s_resource *r, struct strbuf *url, bool watch, const char *cont)
{
	struct k8s *k = r->k;
	const char *kind = r->what == K8S_SERVICES ? "services" : "pods";
	char *escaped;

	if (watch) {
		strbuf_printf(url,
			      "%s/api/v1/%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d%s%s&resourceVersion=%s",
			      k->base, kind, WATCH_SECONDS, r->what == K8S_NODE_PODS ? "&" : "",
			      r->what == K8S_NODE_PODS ? k->selector : "", version_of(r));
		return 0;
	}
	if (r->what == K8S_NODE_PODS) {
		strbuf_printf(url, "%s/api/v1/pods?%s", k->base, k->selector);
		return 0;
	}
	escaped = curl_escape(cont, 0);
	if (!escaped)
		return -ENOMEM;
	strbuf_printf(url, "%s/api/v1/%s?limit=%d%s%s", k->base, kind, LIST_PAGE, *cont ? "&continue=" : "", escaped);
	curl_free(escaped);
	return 0;
}

static int list(struct k8s_resource *r)
{
	struct strbuf body = { 0 }, url = { 0 };
	struct k8s *k = r->k;
	char cont[1024] = "";
	bool first = true;
	long code = 0;
	int ret;

	do {
		url.len = 0;
		body.len = 0;
		ret = url_of(r, &url, false, cont);
		code = ret ? 0 : get(k, url.data, collect, &body);
		ret = code == 200 && !body.err ? 0 : -EIO;
		if (!ret) {
			pthread_mutex_lock(&k->mutex);
			ret = store_page(r, body.data, body.len, first, cont, sizeof(cont));
			pthread_mutex_unlock(&k->mutex);
		}
		first = false;
	} while (!ret && *cont);
	if (ret) {
		atomic_fetch_add(&k->stats.errors, 1);
		log_warn("k8s", "listing the %s failed (HTTP %ld)", what_names[r->what], code);
	} else {
		atomic_fetch_add(&k->stats.lists, 1);
		pthread_mutex_lock(&k->mutex);
		log_info("k8s", "%zu %s at version %s", store_size(r), what_names[r->what], version_of(r));
		pthread_mutex_unlock(&k->mutex);
	}
	strbuf_free(&url);
	strbuf_free(&body);
	return ret;
}

/* Until the server ends the watch (0), says the version is gone or fails
 * (-EIO: list again). */
static int watch(struct k8s_resource *r)
{
	struct strbuf url = { 0 };
	struct k8s *k = r->k;
	long code;

	pthread_mutex_lock(&k->mutex);
	url_of(r, &url, true, "");
	pthread_mutex_unlock(&k->mutex);
	r->gone = 0;
	r->line.len = 0;
	code = get(k, url.data, on_watch, r);
	strbuf_free(&url);
	if (r->gone) {
		log_info("k8s", "the watch of the %s: its version is gone (410), listing again", what_names[r->what]);
		return -EIO;
	}
	if (code != 200) {
		if (!is_stopping(k)) {
			atomic_fetch_add(&k->stats.errors, 1);
			log_warn("k8s", "watching the %s failed (HTTP %ld): listing again", what_names[r->what], code);
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
	struct k8s_resource *r = arg;
	int64_t backoff = BACKOFF_FIRST_MS;
	int listed = 0;

	while (!is_stopping(r->k)) {
		if (!listed && list(r)) {
			sleep_ms(r->k, backoff);
			backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
			continue;
		}
		listed = 1;
		backoff = BACKOFF_FIRST_MS;
		if (watch(r))
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
	snprintf(k->node, sizeof(k->node), "%s", node);
	k8s_addrs_init(&k->addrs, k->node);
	pthread_mutex_init(&k->mutex, NULL);
	clocks_cond_init(&k->wake);
	for (int w = 0; w < K8S_WHATS; w++) {
		struct k8s_resource *r = &k->resources[w];

		r->k = k;
		r->what = (enum k8s_what)w;
		if (pthread_create(&r->thread, NULL, run, r)) {
			k8s_stop(k);
			return -EAGAIN;
		}
		r->started = true;
	}
	log_info("k8s", "pod metadata from %s for node %s, and the cluster's pod and Service addresses", k->base, node);
	*out = k;
	return 0;
}

const char *k8s_address(struct k8s *k, const struct sonde_peer *peer, char *out, size_t size, bool *this_node)
{
	const char *name;

	pthread_mutex_lock(&k->mutex);
	name = k8s_addrs_lookup(&k->addrs, peer, this_node);
	if (name)
		snprintf(out, size, "%s", name);
	pthread_mutex_unlock(&k->mutex);
	return name ? out : NULL;
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

void k8s_addresses(struct k8s *k, uint64_t *known, uint64_t *dropped)
{
	pthread_mutex_lock(&k->mutex);
	*known = k->addrs.pods.n + k->addrs.services.n;
	*dropped = k->addrs.dropped;
	pthread_mutex_unlock(&k->mutex);
}

void k8s_stop(struct k8s *k)
{
	if (!k)
		return;
	pthread_mutex_lock(&k->mutex);
	k->stopping = 1;
	pthread_cond_broadcast(&k->wake);
	pthread_mutex_unlock(&k->mutex);
	for (int w = 0; w < K8S_WHATS; w++) {
		if (k->resources[w].started)
			pthread_join(k->resources[w].thread, NULL);
		strbuf_free(&k->resources[w].line);
	}
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->mutex);
	k8s_pods_free(&k->pods);
	k8s_addrs_free(&k->addrs);
	free(k);
}
