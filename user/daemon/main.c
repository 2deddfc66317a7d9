// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* sonde: observes the sockets of unmodified services from the kernel and
 * serves what it sees as Prometheus RED metrics, spans, health and alerts.
 * This file reads what the daemon is told (flags, the configuration file,
 * the OTEL_* variables) and runs it. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/log.h"
#include "daemon/daemon.h"
#include "top/top.h"

#ifndef SONDE_VERSION
#define SONDE_VERSION "unknown"
#endif

static const char *env(const char *name)
{
	return getenv(name);
}

/* The file first, the flags over it: services become selectors, ahead of
 * the --target ones. */
static int apply_config(struct daemon *d, char *err, size_t errlen)
{
	struct sonde_options *o = &d->opts;
	size_t n;

	if (config_load(o->config_path, &d->config, err, errlen))
		return -EINVAL;
	n = d->config.nservices;
	if (d->config.has_listen && !o->listen_set) {
		strcpy(o->listen_host, d->config.listen_host);
		o->listen_port = d->config.listen_port;
	}
	if (d->config.has_namespace && !o->ns_set)
		strcpy(o->ns, d->config.ns);
	if (n + o->nselectors > SONDE_MAX_SELECTORS) {
		snprintf(err, errlen, "%s: at most %d services and --target selectors in all", o->config_path,
			 SONDE_MAX_SELECTORS);
		return -EINVAL;
	}
	memmove(&o->selectors[n], o->selectors, o->nselectors * sizeof(o->selectors[0]));
	for (size_t i = 0; i < n; i++)
		o->selectors[i] = d->config.services[i].match;
	o->nselectors += n;
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	bool eager_curl;
	char err[512];
	int ret;

	if (argc > 1 && !strcmp(argv[1], "top"))
		return top_main(argc - 1, argv + 1);
	/* A fixed threshold: the kernel's BTF, parsed and freed at start (5 MB
	 * at a time), would otherwise raise it, and every table allocated
	 * after would come from the heap, zeroed page by page, instead of
	 * fresh pages that stay untouched until used. */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	if (options_parse(argc, argv, &d.opts, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n%s", err, options_usage);
		return 2;
	}
	if (d.opts.show_help) {
		fputs(options_usage, stdout);
		return 0;
	}
	if (d.opts.show_version) {
		printf("sonde %s\n", SONDE_VERSION);
		return 0;
	}
	log_set_level(d.opts.log_level);
	if (d.opts.config_path && apply_config(&d, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n", err);
		return 2;
	}
	if (d.opts.web_config_path && web_config_load(d.opts.web_config_path, &d.web, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n", err);
		return 2;
	}
	if (otel_config_load(&d.otel, env, d.opts.otlp_endpoint, d.opts.slow_threshold, err, sizeof(err)) ||
	    otel_metrics_config_load(&d.otel_metrics_cfg, env, err, sizeof(err))) {
		fprintf(stderr, "sonde: %s\n", err);
		return 2;
	}
	/* Checks, notifiers and the exporter use libcurl. One that initialises
	 * itself thread-safely (7.84 on) does it at their first handle, so a
	 * daemon with none of them never pays OpenSSL's 2 MB; else before any
	 * thread. */
	eager_curl = !(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_THREADSAFE);
	if (eager_curl)
		curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = daemon_run(&d);
	if (eager_curl)
		curl_global_cleanup();
	return ret;
}
