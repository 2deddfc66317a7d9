// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The HPACK decoder on arbitrary bytes, twice on one table so the second
 * block sees what the first added; then the HTTP/2 follower, after a valid
 * client preface, on the same bytes cut into pieces and gaps of either
 * direction as control bytes say. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/h2.h"
#include "proto/hpack.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static int field(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	/* Touch every byte so the sanitizers check the lengths. */
	for (size_t i = 0; i < nlen; i++)
		*(size_t *)arg += (unsigned char)name[i];
	for (size_t i = 0; i < vlen; i++)
		*(size_t *)arg += (unsigned char)value[i];
	return name[nlen] || value[vlen];
}

static void call(void *arg, const struct wire_call *c)
{
	*(size_t *)arg += strlen(c->protocol) + strlen(c->method) + strlen(c->target) + strlen(c->authority) +
			  strlen(c->traceparent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hpack h;
	size_t sum = 0, i = 0;
	void *conn;
	int ret;

	hpack_init(&h, HPACK_DEFAULT_SIZE);
	if (!hpack_decode(&h, data, size, field, &sum))
		hpack_decode(&h, data, size, field, &sum);
	hpack_free(&h);

	conn = h2_parser.create();
	if (!conn)
		return 0;
	ret = h2_parser.feed(conn, WIRE_REQUEST, (const uint8_t *)PREFACE, 24, 0, call, &sum);
	/* Control byte: bit 0 the direction, bit 1 a gap, the rest a length. */
	while (!ret && i < size) {
		uint8_t c = data[i++];
		enum wire_dir dir = c & 1 ? WIRE_RESPONSE : WIRE_REQUEST;
		size_t n = (c >> 2) + 1;

		if (c & 2) {
			ret = h2_parser.gap(conn, dir, n, 0, call, &sum);
			continue;
		}
		if (n > size - i)
			n = size - i;
		ret = h2_parser.feed(conn, dir, data + i, n, i, call, &sum);
		i += n;
	}
	h2_parser.destroy(conn);
	return 0;
}
