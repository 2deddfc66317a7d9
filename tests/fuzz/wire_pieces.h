/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A wire parser on arbitrary bytes: the input is cut into pieces, each led
 * by a control byte that picks its direction, its length (up to a bound
 * set by the first byte) and whether bytes are lost after it. Every call
 * it reports must be of its protocol, with a short method and no target
 * (a broker's is its topic or queue, DNS's the name asked, cut to 256
 * bytes), and end no earlier than it started. */
#ifndef SONDE_FUZZ_WIRE_PIECES_H
#define SONDE_FUZZ_WIRE_PIECES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

static void check_call(void *arg, const struct wire_call *call)
{
	const char *protocol = arg;

	bool targets = !strcmp(protocol, "mqtt") || !strcmp(protocol, "nats") || !strcmp(protocol, "amqp") ||
		       !strcmp(protocol, "dns");

	if (strcmp(call->protocol, protocol) || strlen(call->method) > 32 || (*call->target && !targets) ||
	    strlen(call->target) > 256 || call->start_ns > call->end_ns)
		abort();
}

static int fuzz_pieces(const struct wire_parser *p, const char *protocol, const uint8_t *data, size_t size)
{
	size_t i = 1, max_piece;
	uint64_t ts = 0;
	void *conn;

	if (!size)
		return 0;
	conn = p->create();
	if (!conn)
		return 0;
	max_piece = data[0] % 64 + 1;
	while (i < size) {
		uint8_t ctl = data[i++];
		enum wire_dir dir = ctl & 1 ? WIRE_RESPONSE : WIRE_REQUEST;
		size_t n = (size_t)(ctl >> 2) % max_piece + 1;

		if (n > size - i)
			n = size - i;
		/* As the daemon does: fed on after a resynchronisation, freed
		 * after an error. */
		if (p->feed(conn, dir, data + i, n, ts++, check_call, (void *)protocol) < 0)
			break;
		i += n;
		if (ctl & 2 && p->gap(conn, dir, ctl >> 2, ts++, check_call, (void *)protocol) < 0)
			break;
	}
	p->destroy(conn);
	return 0;
}

#endif
