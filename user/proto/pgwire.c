// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* PostgreSQL frontend/backend protocol v3 on both directions of a
 * connection. A simple Query is a call that ends at ReadyForQuery; each
 * extended-protocol Execute is a call named by the verb of the statement
 * its portal was bound to. Streaming: only the head of the few messages we
 * read is buffered, every other byte is counted down. Bytes lost across
 * message heads cost the messages they held, not the connection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "proto/sql.h"
#include "proto/wire.h"

#define PG_STARTUP_MAX 10000 /* the server's own limit on startup packets */
#define PG_MSG_MAX (1u << 30)
#define PG_HEAD_MAX 4096 /* enough for names and the start of the SQL */
#define PG_ERROR_HEAD_MAX 512 /* SQLSTATE comes right after severity */
#define PG_QUEUE_MAX 1024

#define PG_CANCEL_REQUEST 80877102
#define PG_SSL_REQUEST 80877103
#define PG_GSSENC_REQUEST 80877104

/* One direction: a message header being read, then its body. */
struct pg_dir {
	uint8_t hdr[8]; /* typed: type and length; untyped: length and code */
	size_t hdr_len;
	bool in_body;
	uint8_t type; /* 0: an untyped startup-phase message */
	uint32_t code; /* of an untyped message */
	struct wire_body body; /* its first bytes kept in head */
	uint64_t start_ns;
	char head[PG_HEAD_MAX];
};

enum pg_kind {
	PG_QUERY, /* ends at ReadyForQuery */
	PG_EXECUTE, /* ends at its command's completion or error */
	PG_SYNC, /* Sync, function call or startup: one ReadyForQuery */
};

struct pg_pending {
	uint64_t start_ns;
	enum pg_kind kind;
	bool error, fault;
	char verb[SQL_VERB_MAX + 1];
};

struct pg_conn {
	struct pg_dir dir[2];
	bool started; /* StartupMessage sent: frontend messages are typed */
	bool answer_pending; /* SSLRequest or GSSENCRequest awaits its one byte */
	struct sql_names stmts, portals; /* verbs by a hash of their names */
	/* What the backend owes, in order; a ring growing up to PG_QUEUE_MAX. */
	struct pg_pending *queue;
	size_t q_cap, q_head, q_len;
	/* Bytes were lost across message heads: the frontend's messages are
	 * given up until the backend's next ReadyForQuery, the backend's
	 * until the frontend's next message. */
	bool req_lost, resp_lost;
};

static void *pg_create(void)
{
	return calloc(1, sizeof(struct pg_conn));
}

/* A connection past its startup: its frontend's messages are typed. */
static void *pg_create_joined(void)
{
	struct pg_conn *c = pg_create();

	if (c)
		c->started = true;
	return c;
}

static void pg_destroy(void *conn)
{
	struct pg_conn *c = conn;

	if (c) {
		sql_names_free(&c->stmts);
		sql_names_free(&c->portals);
		free(c->queue);
	}
	free(c);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A C string at *pos in the head; a cut one ends at the head's end. */
static const char *head_string(const struct pg_dir *d, size_t *pos, size_t *len)
{
	const char *s = d->head + *pos;

	*len = strnlen(s, d->body.head_len - *pos);
	*pos += *len + (*pos + *len < d->body.head_len);
	return s;
}

static const char *lookup_verb(struct sql_names *t, const char *name, size_t n)
{
	const char *verb = sql_names_find(t, hash_bytes(HASH_INIT, name, n));

	/* Evicted, or prepared before a gap we did not see. */
	return verb ? verb : "UNKNOWN";
}

static int queue_push(struct pg_conn *c, enum pg_kind kind, const char *verb, uint64_t start_ns)
{
	struct pg_pending *p;

	if (c->q_len == c->q_cap) {
		/* Dropping one would shift every later pairing: give up instead. */
		if (c->q_cap == PG_QUEUE_MAX)
			return -ENOBUFS;
		size_t cap = c->q_cap ? c->q_cap * 2 : 8;
		struct pg_pending *v = malloc(cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < c->q_len; i++)
			v[i] = c->queue[(c->q_head + i) % c->q_cap];
		free(c->queue);
		c->queue = v;
		c->q_cap = cap;
		c->q_head = 0;
	}
	p = &c->queue[(c->q_head + c->q_len) % c->q_cap];
	c->q_len++;
	*p = (struct pg_pending){ .start_ns = start_ns, .kind = kind };
	strcpy(p->verb, verb);
	return 0;
}

static struct pg_pending *queue_head(struct pg_conn *c)
{
	return c->q_len ? &c->queue[c->q_head] : NULL;
}

static void queue_pop(struct pg_conn *c)
{
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_len--;
}

static void emit(struct pg_conn *c, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	struct pg_pending *p = queue_head(c);
	struct wire_call call = {
		.protocol = "postgresql",
		.method = p->verb,
		.target = "",
		.authority = "",
		.traceparent = "",
		.status = 0,
		.error = p->error,
		.server_fault = p->fault,
		.start_ns = p->start_ns,
		.end_ns = end_ns,
	};

	cb(arg, &call);
	queue_pop(c);
}

static int frontend_untyped(struct pg_conn *c, const struct pg_dir *d)
{
	switch (d->code) {
	case PG_SSL_REQUEST:
	case PG_GSSENC_REQUEST:
		c->answer_pending = true;
		return 0;
	case PG_CANCEL_REQUEST:
		return 0;
	default:
		c->started = true;
		/* The startup ends with one ReadyForQuery too. */
		return queue_push(c, PG_SYNC, "", d->start_ns);
	}
}

static int frontend_message(struct pg_conn *c, const struct pg_dir *d)
{
	char verb[SQL_VERB_MAX + 1];
	const char *name, *stmt;
	size_t pos = 0, len, stmt_len;

	switch (d->type) {
	case 0:
		return frontend_untyped(c, d);
	case 'Q':
		sql_verb(&sql_postgres, d->head, d->body.head_len, verb);
		return queue_push(c, PG_QUERY, verb, d->start_ns);
	case 'P':
		name = head_string(d, &pos, &len);
		sql_verb(&sql_postgres, d->head + pos, d->body.head_len - pos, verb);
		return sql_names_put(&c->stmts, hash_bytes(HASH_INIT, name, len), verb);
	case 'B':
		name = head_string(d, &pos, &len);
		stmt = head_string(d, &pos, &stmt_len);
		return sql_names_put(&c->portals, hash_bytes(HASH_INIT, name, len),
				     lookup_verb(&c->stmts, stmt, stmt_len));
	case 'E':
		name = head_string(d, &pos, &len);
		return queue_push(c, PG_EXECUTE, lookup_verb(&c->portals, name, len), d->start_ns);
	case 'S':
	case 'F':
		return queue_push(c, PG_SYNC, "", d->start_ns);
	default:
		return 0;
	}
}

/* SQLSTATE classes for connection trouble, resources, operator
 * intervention, system and internal errors. */
static bool error_is_server_fault(const struct pg_dir *d)
{
	static const char *const classes[] = { "08", "53", "57", "58", "XX" };
	size_t pos = 0, len;

	while (pos < d->body.head_len && d->head[pos]) {
		char field = d->head[pos++];
		const char *value = head_string(d, &pos, &len);

		if (field != 'C' || len < 2)
			continue;
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			if (!memcmp(value, classes[i], 2))
				return true;
		return false;
	}
	return false;
}

static void backend_message(struct pg_conn *c, const struct pg_dir *d, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct pg_pending *p = queue_head(c);

	switch (d->type) {
	case 'C':
	case 'I':
	case 's':
		/* Within a simple Query a statement's end is not the call's. */
		if (p && p->kind == PG_EXECUTE)
			emit(c, ts, cb, arg);
		break;
	case 'E':
		if (!p || p->kind == PG_SYNC)
			break;
		p->error = true;
		p->fault |= error_is_server_fault(d);
		if (p->kind == PG_EXECUTE)
			emit(c, ts, cb, arg);
		break;
	case 'Z':
		/* The client's next write starts a message. */
		c->req_lost = false;
		/* Executes skipped after an error never get an answer. */
		while ((p = queue_head(c)) && p->kind == PG_EXECUTE)
			queue_pop(c);
		if (p && p->kind == PG_QUERY)
			emit(c, ts, cb, arg);
		else if (p)
			queue_pop(c);
		break;
	}
}

static int header_done(struct pg_conn *c, enum wire_dir dir, struct pg_dir *d)
{
	uint32_t len;
	size_t want = 0;

	if (dir == WIRE_REQUEST && !c->started) {
		len = be32(d->hdr);
		d->type = 0;
		d->code = be32(d->hdr + 4);
		if (len < 8 || len > PG_STARTUP_MAX)
			return -EBADMSG;
		if ((d->code == PG_SSL_REQUEST || d->code == PG_GSSENC_REQUEST) && len != 8)
			return -EBADMSG;
		if (d->code == PG_CANCEL_REQUEST && len != 16)
			return -EBADMSG;
		if (d->code >> 16 != 3 && d->code != PG_SSL_REQUEST && d->code != PG_GSSENC_REQUEST &&
		    d->code != PG_CANCEL_REQUEST)
			return -EBADMSG;
		d->body.left = len - 8;
	} else {
		d->type = d->hdr[0];
		len = be32(d->hdr + 1);
		if (len < 4 || len > PG_MSG_MAX)
			return -EBADMSG;
		if (dir == WIRE_REQUEST) {
			if (!d->type || !strchr("QPBEDSHCXpdcfF", d->type))
				return -EBADMSG;
			if (strchr("QPBE", d->type))
				want = PG_HEAD_MAX;
		} else {
			if (!d->type || !strchr("RSKTD123ntNAVWGHcdCIsEZv", d->type))
				return -EBADMSG;
			if (d->type == 'E')
				want = PG_ERROR_HEAD_MAX;
		}
		d->body.left = len - 4;
	}
	d->body.head_len = 0;
	d->body.head_want = want < d->body.left ? want : (size_t)d->body.left;
	d->in_body = true;
	return 0;
}

static int pg_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		   void *arg)
{
	struct pg_conn *c = conn;
	struct pg_dir *d;
	int ret;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	if ((dir == WIRE_REQUEST && c->req_lost) || (dir == WIRE_RESPONSE && c->resp_lost))
		return 0;
	if (dir == WIRE_REQUEST && c->resp_lost) {
		/* What the lost answers were owed to goes with them. */
		c->q_head = c->q_len = 0;
		c->resp_lost = false;
	}
	d = &c->dir[dir];
	for (;;) {
		if (d->in_body && !d->body.left) {
			d->in_body = false;
			d->hdr_len = 0;
			if (dir == WIRE_REQUEST) {
				ret = frontend_message(c, d);
				if (ret)
					return ret;
			} else {
				backend_message(c, d, ts_ns, cb, arg);
			}
			continue;
		}
		if (!len)
			return 0;
		if (d->in_body) {
			size_t take = wire_body_take(&d->body, d->head, buf, len);

			buf += take;
			len -= take;
			continue;
		}
		if (dir == WIRE_RESPONSE && c->answer_pending) {
			/* 'S' or 'G': the rest is encrypted. */
			if (buf[0] != 'N')
				return -EBADMSG;
			c->answer_pending = false;
			buf++;
			len--;
			continue;
		}
		size_t need = dir == WIRE_REQUEST && !c->started ? 8 : 5;
		size_t take = len < need - d->hdr_len ? len : need - d->hdr_len;

		if (!d->hdr_len)
			d->start_ns = ts_ns;
		memcpy(d->hdr + d->hdr_len, buf, take);
		d->hdr_len += take;
		buf += take;
		len -= take;
		if (d->hdr_len == need) {
			ret = header_done(c, dir, d);
			if (ret)
				return ret;
		}
	}
}

/* Bytes lost across message heads, once started: a frontend's (COPY
 * data a client writes more than 8 KiB at a time) cost its messages until
 * the backend's next ReadyForQuery, after which a client that waits for
 * answers starts a message with its next write; a backend's (rows read
 * more than 8 KiB at a time) end the call in flight, and the answers owed
 * up to the frontend's next message are given up. */
static int pg_lost(struct pg_conn *c, enum wire_dir dir, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct pg_pending *p = queue_head(c);

	if (!c->started)
		return -EBADMSG;
	c->dir[dir].hdr_len = 0;
	c->dir[dir].in_body = false;
	if (dir == WIRE_REQUEST) {
		c->req_lost = true;
		return WIRE_RESYNCED;
	}
	if (p && p->kind != PG_SYNC)
		emit(c, ts, cb, arg);
	c->resp_lost = true;
	return WIRE_RESYNCED;
}

/* Lost bytes inside a body nobody reads are counted down; a message they
 * end completes at once. */
static int pg_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct pg_conn *c = conn;
	struct pg_dir *d;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	d = &c->dir[dir];
	if (!n || (dir == WIRE_REQUEST && c->req_lost) || (dir == WIRE_RESPONSE && c->resp_lost))
		return 0;
	if (!d->in_body || !wire_body_skip(&d->body, n))
		return pg_lost(c, dir, ts_ns, cb, arg);
	return pg_feed(conn, dir, NULL, 0, ts_ns, cb, arg);
}

const struct wire_parser pg_parser = {
	.name = "postgresql",
	.create = pg_create,
	.destroy = pg_destroy,
	.feed = pg_feed,
	.gap = pg_gap,
};

const struct wire_parser pg_joined_parser = {
	.name = "postgresql",
	.create = pg_create_joined,
	.destroy = pg_destroy,
	.feed = pg_feed,
	.gap = pg_gap,
};
