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
/* One POST within the transport's timeout. Returns the HTTP status, or 0
 * when no response came. */
long otlp_http_post(struct otlp_http *h, const void *body, size_t len);
/* Whether a failed POST is worth another try: throttled, the receiver or
 * a proxy unavailable, or no response. */
bool otlp_http_retryable(long code);

#endif
