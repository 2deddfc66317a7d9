// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The HTTP/1.x parser on arbitrary bytes: heads of both kinds, the
 * prefixes the kernel captures, pipelined requests split, and the same
 * bytes as a traceparent value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http.h"
#include "otel/traceparent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_head head;

	if (!size)
		return 0;
	/* traceparent values come from requests too. */
	char value[128];
	struct trace_parent tp;

	memcpy(value, buf, size < sizeof(value) - 1 ? size : sizeof(value) - 1);
	value[size < sizeof(value) - 1 ? size : sizeof(value) - 1] = 0;
	traceparent_parse(value, &tp);
	for (int kind = HTTP_REQUEST; kind <= HTTP_RESPONSE; kind++)
		http_parse_head(kind, buf, size, &head);
	http_parse_status_prefix(buf, size);
	memset(&head, 0, sizeof(head));
	http_parse_request_prefix(buf, size, &head);
	/* Pipelined requests: each split must stay within the bytes. */
	for (size_t off = 0, next; off < size; off += next) {
		next = http_request_next(buf + off, size - off);
		if (!next)
			break;
		if (next > size - off)
			abort();
	}
	return 0;
}
