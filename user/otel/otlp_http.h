/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One signal's OTLP/HTTP connection: its URL, content type and headers,
 * kept by the one thread that posts. */
#ifndef SONDE_OTLP_HTTP_H
#define SONDE_OTLP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "otel/otel_config.h"

struct otlp_http {
	const struct otlp_transport *t;
	void *curl;
	struct curl_slist *headers;
};

/* 0, or -ENOMEM. */
int otlp_http_open(struct otlp_http *h, const struct otlp_transport *t);
void otlp_http_close(struct otlp_http *h);
#define OTLP_HTTP_ATTEMPTS 5

struct worker;

/* POSTs until the receiver takes it (2xx), refuses it for good, or
 * OTLP_HTTP_ATTEMPTS tries: a 429, 502, 503, 504 or no response is
 * tried again after 0.5 s, then twice as long each time, sleeping on w's
 * condition so that its stop cuts the wait (and the tries) short.
 * Returns the last HTTP status, 0 when none came. */
long otlp_http_send(struct otlp_http *h, const void *body, size_t len, struct worker *w);
static inline bool otlp_http_ok(long code)
{
	return code >= 200 && code < 300;
}

#endif
