// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The PostgreSQL parser on arbitrary bytes: the input is cut into pieces, each
 * led by a control byte that picks its direction, its length (up to a
 * bound set by the first byte) and whether bytes are lost after it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static void check_call(void *arg, const struct wire_call *call)
{
	if (strcmp(call->protocol, "postgresql") || strlen(call->method) > 32 || *call->target ||
	    call->start_ns > call->end_ns)
		abort();
	(*(size_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t calls = 0, i = 1, max_piece;
	uint64_t ts = 0;
	void *conn;

	if (!size)
		return 0;
	conn = pg_parser.create();
	if (!conn)
		return 0;
	max_piece = data[0] % 64 + 1;
	while (i < size) {
		uint8_t ctl = data[i++];
		enum wire_dir dir = ctl & 1 ? WIRE_RESPONSE : WIRE_REQUEST;
		size_t n = (size_t)(ctl >> 2) % max_piece + 1;

		if (n > size - i)
			n = size - i;
		if (pg_parser.feed(conn, dir, data + i, n, ts++, check_call, &calls))
			break;
		i += n;
		if (ctl & 2 && pg_parser.gap(conn, dir, ctl >> 2, ts++, check_call, &calls))
			break;
	}
	pg_parser.destroy(conn);
	return 0;
}
