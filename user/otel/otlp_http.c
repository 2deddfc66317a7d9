// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>

#include <curl/curl.h>

#include "base/clocks.h"
#include "base/worker.h"
#include "otel/otlp_http.h"

static size_t discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

int otlp_http_open(struct otlp_http *h, const struct otlp_transport *t)
{
	h->t = t;
	h->curl = curl_easy_init();
	h->headers = curl_slist_append(NULL, t->protocol == OTLP_HTTP_JSON ? "Content-Type: application/json" :
									     "Content-Type: application/x-protobuf");
	for (size_t i = 0; i < t->nheaders && h->headers; i++) {
		struct curl_slist *more = curl_slist_append(h->headers, t->headers[i]);

		if (!more) {
			curl_slist_free_all(h->headers);
			h->headers = NULL;
		}
		h->headers = more;
	}
	if (!h->curl || !h->headers) {
		otlp_http_close(h);
		return -ENOMEM;
	}
	return 0;
}

void otlp_http_close(struct otlp_http *h)
{
	curl_slist_free_all(h->headers);
	curl_easy_cleanup(h->curl);
	h->headers = NULL;
	h->curl = NULL;
}

/* One POST within the transport's timeout. */
static long post(struct otlp_http *h, const void *body, size_t len)
{
	CURL *curl = h->curl;
	long code = 0;

	curl_easy_setopt(curl, CURLOPT_URL, h->t->endpoint);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)h->t->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

static bool retryable(long code)
{
	return code == 0 || code == 429 || code == 502 || code == 503 || code == 504;
}

long otlp_http_send(struct otlp_http *h, const void *body, size_t len, struct worker *w)
{
	uint32_t backoff = 500;
	long code = 0;

	for (int attempt = 1; attempt <= OTLP_HTTP_ATTEMPTS; attempt++) {
		bool stopping;

		code = post(h, body, len);
		if (otlp_http_ok(code) || !retryable(code) || attempt == OTLP_HTTP_ATTEMPTS)
			break;
		pthread_mutex_lock(&w->lock);
		if (!w->stopping)
			clocks_wait_until(&w->wake, &w->lock, clocks_mono_ms() + backoff);
		stopping = w->stopping;
		pthread_mutex_unlock(&w->lock);
		if (stopping)
			break;
		backoff *= 2;
	}
	return code;
}
