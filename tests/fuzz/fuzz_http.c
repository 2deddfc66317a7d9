// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The HTTP/1.x parser on arbitrary bytes: heads of both kinds, body
 * framing, the stream fed in two pieces split where the first byte says,
 * and the same bytes as a traceparent value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"
#include "otel/tracecontext.h"

static void count(const struct http_head *h, void *arg)
{
	(void)h;
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_stream stream;
	const char *buf = (const char *)data;
	struct http_head head;
	struct http_body body;
	size_t split, messages = 0;
	bool done;
	int ret;

	if (!size)
		return 0;
	/* traceparent values come from requests too. */
	char value[128];
	struct trace_parent tp;

	memcpy(value, buf, size < sizeof(value) - 1 ? size : sizeof(value) - 1);
	value[size < sizeof(value) - 1 ? size : sizeof(value) - 1] = 0;
	traceparent_parse(value, &tp);
	split = data[0] % size;
	for (int kind = HTTP_REQUEST; kind <= HTTP_RESPONSE; kind++) {
		ret = http_parse_head(kind, buf, size, &head);
		if (ret > 0) {
			http_body_init(&body, kind, &head, data[0] & 1 ? "HEAD" : "GET");
			http_body_feed(&body, buf + ret, size - (size_t)ret, &done);
		}
		http_stream_init(&stream, kind);
		stream.req_method = data[0] & 2 ? "HEAD" : "GET";
		if (!http_stream_feed(&stream, buf, split, count, &messages))
			http_stream_feed(&stream, buf + split, size - split, count, &messages);
		http_stream_close(&stream, count, &messages);
	}
	return 0;
}
