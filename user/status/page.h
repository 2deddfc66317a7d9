/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The daemon's status page, GET /: one HTML document with no external
 * assets and no script, refreshing itself; per service its rates, error
 * ratio and latency now and as inline SVG charts of the last minutes, its
 * busiest routes and client calls, then checks, SLAs, firing alerts and
 * sonde's own state. Every string from traffic is escaped. */
#ifndef SONDE_PAGE_H
#define SONDE_PAGE_H

#include <stdint.h>

#include "status/history.h"
#include "status/summary.h"

struct strbuf;

#define PAGE_REFRESH_S 10
#define PAGE_ROUTES 8 /* routes and peers shown per service */

struct page_inputs {
	const struct summary *sum; /* of /metrics now */
	struct history *history;
	const char *health_json; /* /health/detailed's document, or NULL */
	const char *alerts_json; /* /alerts' document, or NULL */
	uint64_t unix_ms;
};

int page_render(const struct page_inputs *in, struct strbuf *out);

#endif
