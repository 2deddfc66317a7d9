// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "otel/exporter.h"
#include "otel/otlp_http.h"
#include "base/clocks.h"
#include "base/log.h"
#include "base/strbuf.h"

/* Sleeps up to ms, or less if the exporter is stopping or a batch fills.
 * Called locked. */
static void wait_locked(struct exporter *e, uint32_t ms)
{
	clocks_wait_until(&e->worker.wake, &e->worker.lock, clocks_mono_ms() + ms);
}

static void send_batch(struct exporter *e, struct otlp_http *h, const struct span *spans, size_t n)
{
	struct strbuf json = { 0 };
	char shown[LOG_URL_MAX];
	uint8_t *pb = NULL;
	const void *body;
	size_t len = 0;
	long code;

	if (e->cfg.transport.protocol == OTLP_HTTP_JSON) {
		if (otlp_encode_json(spans, n, &e->host, &json))
			goto dropped;
		body = json.data;
		len = json.len;
	} else {
		if (otlp_encode_protobuf(spans, n, &e->host, &pb, &len))
			goto dropped;
		body = pb;
	}
	code = otlp_http_send(h, body, len, &e->worker);
	if (otlp_http_ok(code)) {
		atomic_fetch_add(&e->exported, n);
		goto out;
	}
	log_warn("otlp", "dropping %zu spans: %s %ld", n, log_url(e->cfg.transport.endpoint, shown), code ? code : -1L);
dropped:
	atomic_fetch_add(&e->dropped_export_failed, n);
out:
	strbuf_free(&json);
	free(pb);
}

static void *run(void *arg)
{
	struct exporter *e = arg;
	struct span *batch = malloc(e->cfg.max_batch * sizeof(*batch));
	struct otlp_http h;
	bool open = !otlp_http_open(&h, &e->cfg.transport);

	if (!batch || !open)
		log_error("otlp", "out of memory: spans will be dropped");
	pthread_mutex_lock(&e->worker.lock);
	for (;;) {
		size_t n;

		if (!e->worker.stopping && e->count < e->cfg.max_batch)
			wait_locked(e, e->cfg.delay_ms);
		if (!e->count) {
			if (e->worker.stopping)
				break;
			continue;
		}
		n = e->count < e->cfg.max_batch ? e->count : e->cfg.max_batch;
		for (size_t i = 0; i < n && batch; i++)
			batch[i] = e->queue[(e->head + i) % e->cfg.max_queue];
		e->head = (e->head + n) % e->cfg.max_queue;
		e->count -= n;
		pthread_mutex_unlock(&e->worker.lock);
		if (batch && open)
			send_batch(e, &h, batch, n);
		else
			atomic_fetch_add(&e->dropped_export_failed, n);
		pthread_mutex_lock(&e->worker.lock);
	}
	pthread_mutex_unlock(&e->worker.lock);
	if (open)
		otlp_http_close(&h);
	free(batch);
	return NULL;
}

int exporter_start(struct exporter *e, const struct otel_config *cfg, const char *version)
{
	char shown[LOG_URL_MAX];
	int ret;

	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (gethostname(e->host_name, sizeof(e->host_name)))
		strcpy(e->host_name, "unknown");
	e->host.host_name = e->host_name;
	e->host.version = version;
	e->queue = malloc(cfg->max_queue * sizeof(*e->queue));
	if (!e->queue)
		return -ENOMEM;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = worker_start(&e->worker, run, e);
	if (ret) {
		free(e->queue);
		e->queue = NULL;
		curl_global_cleanup();
		return ret;
	}
	log_info("otlp", "exporting spans to %s as %s", log_url(cfg->transport.endpoint, shown),
		 cfg->transport.protocol == OTLP_HTTP_JSON ? "http/json" : "http/protobuf");
	return 0;
}

void exporter_push(struct exporter *e, const struct span *spans, size_t n)
{
	size_t taken = 0;

	pthread_mutex_lock(&e->worker.lock);
	for (; taken < n && e->count < e->cfg.max_queue; taken++)
		e->queue[(e->head + e->count++) % e->cfg.max_queue] = spans[taken];
	if (e->count >= e->cfg.max_batch)
		pthread_cond_signal(&e->worker.wake);
	pthread_mutex_unlock(&e->worker.lock);
	if (taken < n)
		atomic_fetch_add(&e->dropped_queue_full, n - taken);
}

void exporter_stop(struct exporter *e)
{
	if (!e->worker.started)
		return;
	worker_stop(&e->worker);
	free(e->queue);
	e->queue = NULL;
	curl_global_cleanup();
}
