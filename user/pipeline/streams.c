// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/streams.h"

struct stream_conn {
	uint64_t conn_id; /* 0: a free slot */
	uint32_t tgid;
	uint8_t failed; /* its bytes stopped parsing: ignored until it closes */
	const struct wire_parser *ops;
	void *parser;
	uint64_t used_at;
};

const char *streams_protocol(uint8_t proto)
{
	const struct wire_parser *p = wire_parser_of(proto);

	return p ? p->name : "unknown";
}

int streams_init(struct streams *s, size_t max_conns)
{
	memset(s, 0, sizeof(*s));
	s->nslots = 16;
	while (s->nslots < 2 * max_conns)
		s->nslots *= 2;
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	s->max = max_conns;
	return s->slots ? 0 : -ENOMEM;
}

static void conn_release(struct stream_conn *c)
{
	if (c->parser)
		c->ops->destroy(c->parser);
	memset(c, 0, sizeof(*c));
}

void streams_free(struct streams *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		conn_release(&s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static size_t slot_of(const struct streams *s, uint32_t tgid, uint64_t conn_id)
{
	uint64_t h = (conn_id ^ ((uint64_t)tgid << 32 | tgid)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (s->nslots - 1);
}

static struct stream_conn *lookup(struct streams *s, uint32_t tgid, uint64_t conn_id)
{
	for (size_t i = slot_of(s, tgid, conn_id);; i = (i + 1) & (s->nslots - 1)) {
		struct stream_conn *c = &s->slots[i];

		if (!c->conn_id)
			return NULL;
		if (c->conn_id == conn_id && c->tgid == tgid)
			return c;
	}
}

/* Frees a slot and moves later entries of its probe run back, so lookups
 * need no tombstones. */
static void remove_slot(struct streams *s, struct stream_conn *c)
{
	size_t mask = s->nslots - 1, hole = (size_t)(c - s->slots), i = hole;

	conn_release(c);
	s->used--;
	for (;;) {
		struct stream_conn *n;
		size_t home;

		i = (i + 1) & mask;
		n = &s->slots[i];
		if (!n->conn_id)
			return;
		home = slot_of(s, n->tgid, n->conn_id);
		/* n may fill the hole when its home is not in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			s->slots[hole] = *n;
			memset(n, 0, sizeof(*n));
			hole = i;
		}
	}
}

static void evict_oldest(struct streams *s)
{
	struct stream_conn *oldest = NULL;

	for (size_t i = 0; i < s->nslots; i++) {
		struct stream_conn *c = &s->slots[i];

		if (c->conn_id && (!oldest || c->used_at < oldest->used_at))
			oldest = c;
	}
	if (oldest) {
		remove_slot(s, oldest);
		s->evicted++;
	}
}

static struct stream_conn *insert(struct streams *s, uint32_t tgid, uint64_t conn_id)
{
	size_t i;

	if (s->used >= s->max)
		evict_oldest(s);
	for (i = slot_of(s, tgid, conn_id); s->slots[i].conn_id; i = (i + 1) & (s->nslots - 1))
		;
	s->slots[i].conn_id = conn_id;
	s->slots[i].tgid = tgid;
	s->used++;
	return &s->slots[i];
}

void streams_forget(struct streams *s, uint32_t tgid)
{
	/* A removal may move a later entry into slot i: look at it again. */
	for (size_t i = 0; i < s->nslots;) {
		struct stream_conn *c = &s->slots[i];

		if (c->conn_id && c->tgid == tgid)
			remove_slot(s, c);
		else
			i++;
	}
}

int streams_feed(struct streams *s, const struct sonde_data_event *ev, wire_call_fn cb, void *arg)
{
	const struct wire_parser *ops = wire_parser_of(ev->proto);
	struct stream_conn *c;
	enum wire_dir dir;
	int received = !(ev->flags & SONDE_DATA_SENT);
	int ret = 0;

	if (!ops || !ev->conn_id)
		return -EINVAL;
	c = lookup(s, ev->tgid, ev->conn_id);
	/* Closed, or tagged with another protocol than its parser's: a parser
	 * never reads bytes meant for another. */
	if (c && (ev->flags & SONDE_DATA_CLOSE || c->ops != ops)) {
		remove_slot(s, c);
		c = NULL;
	}
	if (ev->flags & SONDE_DATA_CLOSE)
		return 0;
	if (!c) {
		c = insert(s, ev->tgid, ev->conn_id);
		c->ops = ops;
		c->parser = ops->create();
		if (!c->parser) {
			remove_slot(s, c);
			return -ENOMEM;
		}
	}
	c->used_at = ++s->tick;
	if (c->failed)
		return 0;
	dir = (ev->role == SONDE_ROLE_SERVER) == received ? WIRE_REQUEST : WIRE_RESPONSE;
	if (ev->len)
		ret = ops->feed(c->parser, dir, (const uint8_t *)ev->data, ev->len, ev->ts_ns, cb, arg);
	if (ret >= 0 && ev->total > ev->len) {
		int gap = ops->gap(c->parser, dir, ev->total - ev->len, ev->ts_ns, cb, arg);

		ret = gap < 0 ? gap : ret | gap;
	}
	/* Counted, and fed on. */
	if (ret == WIRE_RESYNCED)
		return -EBADMSG;
	if (ret) {
		ops->destroy(c->parser);
		c->parser = NULL;
		c->failed = 1;
		return -EPROTO;
	}
	return 0;
}
