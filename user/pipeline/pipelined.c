// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "pipeline/pipelined.h"
#include "proto/http.h"

void pipelined_init(struct pipelined *p)
{
	memset(p, 0, sizeof(*p));
}

static struct pipelined_conn *find(struct pipelined *p, uint32_t tgid, uint64_t conn_id)
{
	/* conn_id 0 marks a free slot: no connection has it. */
	if (!p->used || !conn_id)
		return NULL;
	for (size_t i = 0; i < PIPELINED_CONNS; i++)
		if (p->conns[i].conn_id == conn_id && p->conns[i].tgid == tgid)
			return &p->conns[i];
	return NULL;
}

bool pipelined_waiting(const struct pipelined *p, uint32_t tgid, uint64_t conn_id)
{
	return find((struct pipelined *)p, tgid, conn_id) != NULL;
}

static unsigned release(struct pipelined *p, struct pipelined_conn *c)
{
	unsigned n = c->n;

	memset(c, 0, sizeof(*c));
	p->used--;
	return n;
}

/* A slot for a new connection: a free one, after dropping those unanswered
 * too long, or else the least recently used one's. */
static struct pipelined_conn *claim(struct pipelined *p, uint64_t now_ns, unsigned *dropped)
{
	struct pipelined_conn *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < PIPELINED_CONNS; i++) {
		struct pipelined_conn *c = &p->conns[i];

		if (c->conn_id && now_ns > c->used_ns + PIPELINED_TTL_NS)
			*dropped += release(p, c);
		if (!c->conn_id)
			free_slot = free_slot ? free_slot : c;
		else if (!oldest || c->used_ns < oldest->used_ns)
			oldest = c;
	}
	if (!free_slot) {
		*dropped += release(p, oldest);
		free_slot = oldest;
	}
	p->used++;
	return free_slot;
}

unsigned pipelined_push(struct pipelined *p, uint32_t tgid, uint64_t conn_id, const char *buf, size_t len, bool cut,
			uint64_t start_ns)
{
	struct pipelined_conn *c = find(p, tgid, conn_id);
	unsigned dropped = 0;

	if (!len || !conn_id)
		return 0;
	if (!c) {
		c = claim(p, start_ns, &dropped);
		c->conn_id = conn_id;
		c->tgid = tgid;
	}
	c->used_ns = start_ns;
	while (len) {
		size_t next = http_request_next(buf, len), seg = next ? next : len;
		struct pipelined_request *r;

		if (c->n == PIPELINED_DEPTH || seg > PIPELINED_BYTES - c->bytes) {
			dropped++;
		} else {
			r = &c->q[c->n++];
			*r = (struct pipelined_request){ start_ns, (uint16_t)c->bytes, (uint16_t)seg, cut && !next };
			memcpy(c->buf + c->bytes, buf, seg);
			c->bytes += seg;
		}
		buf += seg;
		len -= seg;
	}
	if (!c->n)
		release(p, c);
	return dropped;
}

int pipelined_take(struct pipelined *p, uint32_t tgid, uint64_t conn_id, struct pipelined_taken *out)
{
	struct pipelined_conn *c = find(p, tgid, conn_id);
	struct pipelined_request r;

	if (!c)
		return -ENOENT;
	r = c->q[0];
	out->start_ns = r.start_ns;
	out->cut = r.cut;
	out->len = r.len < sizeof(out->buf) ? r.len : sizeof(out->buf);
	memcpy(out->buf, c->buf + r.off, out->len);
	if (--c->n == 0) {
		release(p, c);
		return 0;
	}
	memmove(c->buf, c->buf + r.len, c->bytes - r.len);
	c->bytes -= r.len;
	memmove(c->q, c->q + 1, c->n * sizeof(c->q[0]));
	for (uint32_t i = 0; i < c->n; i++)
		c->q[i].off -= r.len;
	return 0;
}
