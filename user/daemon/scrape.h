/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the HTTP endpoints answer, read from what the pipeline keeps: the
 * scrape-time figures (kernel counters, processes, the exporter's and
 * notifiers' counters) are brought up to date first, outside the lock, so a
 * scrape holds up the event path only while it renders. */
#ifndef SONDE_SCRAPE_H
#define SONDE_SCRAPE_H

#include <stdbool.h>

struct strbuf;

/* server.h's handlers; arg is the daemon. */
int scrape_metrics(void *arg, bool openmetrics, struct strbuf *out);
int scrape_health(void *arg, int detailed, struct strbuf *out, unsigned int *status);
int scrape_alerts(void *arg, struct strbuf *out);
/* GET /: the status page, from what /metrics, /health/detailed and /alerts
 * would answer now, and the history. */
int scrape_page(void *arg, struct strbuf *out);
/* Adds what /metrics says now to the status page's history. */
void scrape_sample(void *arg);

#endif
