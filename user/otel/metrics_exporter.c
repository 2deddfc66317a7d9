// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clocks.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "otel/exporter.h"
#include "otel/metrics_exporter.h"
#include "otel/otlp_http.h"
#include "otel/otlp_metrics.h"

static uint64_t unix_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The points, copied under the pipeline's lock, a delta window starting
 * again from there; the body encoded after. */
static int encode(struct metrics_exporter *e, struct strbuf *json, uint8_t **pb, size_t *len, size_t *points)
{
	struct otlp_metrics_window w = { .temporality = e->cfg.temporality };
	struct otlp_metrics_snapshot snap;
	int ret;

	pthread_mutex_lock(e->pipeline_lock);
	w.now_ns = unix_ns();
	w.start_ns = e->window_start_ns;
	ret = otlp_metrics_snapshot(e->metrics, &snap);
	if (e->cfg.temporality == OTLP_DELTA) {
		otel_metrics_reset(e->metrics);
		e->window_start_ns = w.now_ns;
	}
	pthread_mutex_unlock(e->pipeline_lock);
	if (ret)
		return ret;
	if (e->cfg.transport.protocol == OTLP_HTTP_JSON) {
		ret = otlp_metrics_json(&snap, &e->host, &w, json, points);
		*len = json->len;
	} else {
		ret = otlp_metrics_protobuf(&snap, &e->host, &w, pb, len, points);
	}
	otlp_metrics_snapshot_free(&snap);
	return ret;
}

/* Retries, backing off, while the receiver says it may take it later,
 * until the stop. */
static void export_once(struct metrics_exporter *e, struct otlp_http *h)
{
	struct strbuf json = { 0 };
	char shown[LOG_URL_MAX];
	uint8_t *pb = NULL;
	size_t len = 0, points = 0;
	long code;

	if (encode(e, &json, &pb, &len, &points))
		goto failed;
	if (!points)
		goto out;
	code = otlp_http_send(h, pb ? (const void *)pb : json.data, len, &e->worker);
	if (otlp_http_ok(code)) {
		atomic_fetch_add(&e->exports_ok, 1);
		atomic_fetch_add(&e->points_exported, points);
		goto out;
	}
	log_warn("otlp", "metrics export failed: %s %ld", log_url(e->cfg.transport.endpoint, shown), code ? code : -1L);
failed:
	atomic_fetch_add(&e->exports_failed, 1);
	if (e->cfg.temporality == OTLP_DELTA)
		atomic_fetch_add(&e->points_dropped, points);
out:
	strbuf_free(&json);
	free(pb);
}

static void *run(void *arg)
{
	struct metrics_exporter *e = arg;
	struct otlp_http h;
	bool open = !otlp_http_open(&h, &e->cfg.transport);
	int64_t next = clocks_mono_ms() + e->cfg.interval_ms;

	if (!open)
		log_error("otlp", "out of memory: metrics will not be exported");
	pthread_mutex_lock(&e->worker.lock);
	for (;;) {
		bool stopping;

		while (!e->worker.stopping && clocks_mono_ms() < next)
			clocks_wait_until(&e->worker.wake, &e->worker.lock, next);
		stopping = e->worker.stopping;
		pthread_mutex_unlock(&e->worker.lock);
		if (open)
			export_once(e, &h);
		else
			atomic_fetch_add(&e->exports_failed, 1);
		next += e->cfg.interval_ms;
		if (next < clocks_mono_ms())
			next = clocks_mono_ms() + e->cfg.interval_ms;
		pthread_mutex_lock(&e->worker.lock);
		if (stopping)
			break;
	}
	pthread_mutex_unlock(&e->worker.lock);
	if (open)
		otlp_http_close(&h);
	return NULL;
}

int metrics_exporter_start(struct metrics_exporter *e, const struct otel_metrics_config *cfg, struct otel_metrics *m,
			   pthread_mutex_t *pipeline_lock, const char *version)
{
	char shown[LOG_URL_MAX];
	int ret;

	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	if (gethostname(e->host_name, sizeof(e->host_name)))
		strcpy(e->host_name, "unknown");
	e->host.host_name = e->host_name;
	e->host.version = version;
	e->metrics = m;
	e->pipeline_lock = pipeline_lock;
	e->window_start_ns = unix_ns();
	ret = worker_start(&e->worker, run, e);
	if (ret)
		return ret;
	log_info("otlp", "exporting metrics to %s as %s every %u ms, %s", log_url(cfg->transport.endpoint, shown),
		 cfg->transport.protocol == OTLP_HTTP_JSON ? "http/json" : "http/protobuf", cfg->interval_ms,
		 cfg->temporality == OTLP_DELTA ? "delta" : "cumulative");
	return 0;
}

void metrics_exporter_stop(struct metrics_exporter *e)
{
	worker_stop(&e->worker);
}
