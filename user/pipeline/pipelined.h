/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/1.1 requests a client pipelined, waiting for their responses. The
 * kernel frames one exchange per response; a request read with an earlier
 * one rides in that one's captured bytes, and its response comes as an
 * exchange without a request. Requests wait here per connection, in
 * order, and each response takes the oldest. Single-threaded. */
#ifndef SONDE_PIPELINED_H
#define SONDE_PIPELINED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sonde.h"

#define PIPELINED_CONNS 64 /* connections with requests waiting */
#define PIPELINED_DEPTH 32 /* requests waiting on one connection */
#define PIPELINED_BYTES (2 * SONDE_REQ_CAP)
#define PIPELINED_TTL_NS (60ull * 1000000000) /* a request unanswered this long is dropped */

struct pipelined_request {
	uint64_t start_ns; /* when the read that held it started */
	uint16_t off, len; /* its bytes in the connection's buf */
	bool cut; /* the capture ended inside it */
};

struct pipelined_conn {
	uint64_t conn_id; /* 0: a free slot */
	uint32_t tgid;
	uint32_t n; /* requests waiting, q[0] the oldest */
	uint64_t used_ns;
	struct pipelined_request q[PIPELINED_DEPTH];
	size_t bytes;
	char buf[PIPELINED_BYTES];
};

struct pipelined {
	size_t used; /* slots taken */
	struct pipelined_conn conns[PIPELINED_CONNS];
};

/* A request taken from a connection's queue. */
struct pipelined_taken {
	uint64_t start_ns;
	size_t len;
	bool cut;
	char buf[SONDE_REQ_CAP];
};

void pipelined_init(struct pipelined *p);
/* Whether requests wait on the connection. */
bool pipelined_waiting(const struct pipelined *p, uint32_t tgid, uint64_t conn_id);
/* Queues the requests in buf, read at start_ns; cut when the capture
 * ended there. Returns the requests dropped to make room or for age,
 * this connection's or others'. */
unsigned pipelined_push(struct pipelined *p, uint32_t tgid, uint64_t conn_id, const char *buf, size_t len, bool cut,
			uint64_t start_ns);
/* Takes the oldest request waiting on the connection. 0, or -ENOENT when
 * none waits. */
int pipelined_take(struct pipelined *p, uint32_t tgid, uint64_t conn_id, struct pipelined_taken *out);

#endif
