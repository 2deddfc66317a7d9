// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* AMQP 0-9-1 (RabbitMQ) on both directions of a connection: the client's
 * protocol header, then frames. Of each frame only its header and the
 * start of its payload are kept; the rest (a message's content) is counted
 * down, never buffered. Calls: a client's synchronous method and the
 * server's -ok on its channel (queue.declare, basic.consume, basic.get
 * with get-ok or get-empty, ...), failed when the server closes the
 * channel or connection instead; basic.publish, basic.deliver and the acks
 * are answered by nothing and are calls at once, unpaired. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

#define AMQP_KEEP 600 /* a frame's header and a method with two short strings */
#define AMQP_FRAME_MAX (128u << 20) /* RabbitMQ's largest frame_max */
#define AMQP_NAME_MAX 256
#define AMQP_CHANNELS 64 /* channels with a method in flight at once */
#define AMQP_FRAME_END 0xce

enum amqp_frame { AMQP_METHOD = 1, AMQP_HEADER = 2, AMQP_BODY = 3, AMQP_HEARTBEAT = 8 };

struct amqp_dir {
	uint8_t head[AMQP_KEEP]; /* the frame: type, channel, size, payload's start */
	size_t kept;
	uint64_t size; /* the payload's, once the 7-byte header is in */
	uint64_t consumed; /* of the frame after its header: payload and end byte */
	uint64_t start_ns;
	bool holed; /* bytes were lost after those kept: keep no more */
};

/* A synchronous method waiting for its -ok on a channel. */
struct amqp_pending {
	bool used;
	uint16_t channel;
	uint16_t class_id, method_id;
	uint64_t start_ns;
	char name[AMQP_NAME_MAX]; /* its queue or exchange */
};

struct amqp_conn {
	struct amqp_dir dir[2];
	size_t header_seen; /* bytes of the client's "AMQP\0\0\x09\x01" */
	struct amqp_pending pending[AMQP_CHANNELS];
};

/* Method names, and for a client's synchronous method the -ok that
 * answers it (0: none) and where its no-wait flag is, if it has one: the
 * octet after a reserved short (reserved) and strs short strings, its bit
 * (-1: none). A method sent no-wait is answered by nothing. */
static const struct amqp_method {
	uint16_t class_id, method_id;
	const char *name;
	uint16_t ok_id;
	uint16_t ok_alt; /* basic.get's other answer, get-empty */
	uint8_t reserved, strs;
	int8_t nowait_bit;
} methods[] = {
	{ 10, 40, "connection.open", 41, 0, 0, 0, -1 }, { 10, 50, "connection.close", 51, 0, 0, 0, -1 },
	{ 20, 10, "channel.open", 11, 0, 0, 0, -1 },	{ 20, 20, "channel.flow", 21, 0, 0, 0, -1 },
	{ 20, 40, "channel.close", 41, 0, 0, 0, -1 },	{ 40, 10, "exchange.declare", 11, 0, 1, 2, 4 },
	{ 40, 20, "exchange.delete", 21, 0, 1, 1, 1 },	{ 40, 30, "exchange.bind", 31, 0, 1, 3, 0 },
	{ 40, 40, "exchange.unbind", 51, 0, 1, 3, 0 },	{ 50, 10, "queue.declare", 11, 0, 1, 1, 4 },
	{ 50, 20, "queue.bind", 21, 0, 1, 3, 0 },	{ 50, 30, "queue.purge", 31, 0, 1, 1, 0 },
	{ 50, 40, "queue.delete", 41, 0, 1, 1, 2 },	{ 50, 50, "queue.unbind", 51, 0, 0, 0, -1 },
	{ 60, 10, "basic.qos", 11, 0, 0, 0, -1 },	{ 60, 20, "basic.consume", 21, 0, 1, 2, 3 },
	{ 60, 30, "basic.cancel", 31, 0, 0, 1, 0 },	{ 60, 40, "basic.publish", 0, 0, 0, 0, -1 },
	{ 60, 60, "basic.deliver", 0, 0, 0, 0, -1 },	{ 60, 70, "basic.get", 71, 72, 0, 0, -1 },
	{ 60, 80, "basic.ack", 0, 0, 0, 0, -1 },	{ 60, 90, "basic.reject", 0, 0, 0, 0, -1 },
	{ 60, 110, "basic.recover", 111, 0, 0, 0, -1 }, { 60, 120, "basic.nack", 0, 0, 0, 0, -1 },
	{ 85, 10, "confirm.select", 11, 0, 0, 0, 0 },	{ 90, 10, "tx.select", 11, 0, 0, 0, -1 },
	{ 90, 20, "tx.commit", 21, 0, 0, 0, -1 },	{ 90, 30, "tx.rollback", 31, 0, 0, 0, -1 },
};

static const struct amqp_method *method_of(uint16_t class_id, uint16_t method_id)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].class_id == class_id && methods[i].method_id == method_id)
			return &methods[i];
	return NULL;
}

static void *amqp_create(void)
{
	return calloc(1, sizeof(struct amqp_conn));
}

static void amqp_destroy(void *conn)
{
	free(conn);
}

/* A method's arguments as far as they were kept. */
struct amqp_args {
	const uint8_t *p;
	size_t len, off;
};

static int skip(struct amqp_args *a, size_t n)
{
	if (a->off + n > a->len)
		return -EBADMSG;
	a->off += n;
	return 0;
}

/* A short string (one length byte) into out; "" when it was not kept. */
static int shortstr(struct amqp_args *a, char *out, size_t size)
{
	size_t n;

	out[0] = 0;
	if (a->off >= a->len)
		return -EBADMSG;
	n = a->p[a->off++];
	if (a->off + n > a->len)
		return -EBADMSG;
	snprintf(out, size, "%.*s", (int)n, (const char *)a->p + a->off);
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	a->off += n;
	return 0;
}

/* The queue or exchange a method names: queue.* and basic.consume and
 * basic.get a queue after their reserved short, exchange.* an exchange;
 * basic.publish and basic.deliver their exchange, or for the default
 * exchange ("") their routing key, the queue. */
static void name_of(uint16_t class_id, uint16_t method_id, struct amqp_args *a, char *out, size_t size)
{
	char exchange[AMQP_NAME_MAX] = "";

	out[0] = 0;
	if (class_id == 50 || class_id == 40 || (class_id == 60 && (method_id == 20 || method_id == 70))) {
		if (!skip(a, 2))
			shortstr(a, out, size);
		return;
	}
	if (class_id == 60 && method_id == 40) {
		if (!skip(a, 2) && !shortstr(a, exchange, sizeof(exchange)))
			shortstr(a, out, size);
	} else if (class_id == 60 && method_id == 60) {
		/* consumer-tag, delivery-tag, redelivered, exchange, routing key */
		if (shortstr(a, exchange, sizeof(exchange)) || skip(a, 9) || shortstr(a, exchange, sizeof(exchange)))
			return;
		shortstr(a, out, size);
	} else {
		return;
	}
	if (exchange[0])
		snprintf(out, size, "%s", exchange);
}

static void call(const char *method, const char *name, uint64_t start_ns, uint64_t end_ns, bool unpaired,
		 const char *outcome, bool error, bool fault, wire_call_fn cb, void *arg)
{
	struct wire_call w = wire_message("amqp", method, name, start_ns, end_ns, unpaired);

	w.error = error;
	w.outcome = error ? NULL : outcome;
	w.server_fault = fault;
	cb(arg, &w);
}

static struct amqp_pending *pending_on(struct amqp_conn *c, uint16_t channel)
{
	for (size_t i = 0; i < AMQP_CHANNELS; i++)
		if (c->pending[i].used && c->pending[i].channel == channel)
			return &c->pending[i];
	return NULL;
}

/* Whether a method was sent no-wait: read from its arguments where the
 * table says its flag is; not when they were not kept. */
static bool no_wait(const struct amqp_method *m, struct amqp_args a)
{
	char skipped[AMQP_NAME_MAX];

	if (m->nowait_bit < 0 || skip(&a, m->reserved * 2u))
		return false;
	for (uint8_t i = 0; i < m->strs; i++)
		if (shortstr(&a, skipped, sizeof(skipped)))
			return false;
	return a.off < a.len && (a.p[a.off] >> m->nowait_bit) & 1;
}

/* A client's method: synchronous ones wait for their answer (one at a
 * time per channel, as the protocol has it), the others are calls. */
static int client_method(struct amqp_conn *c, uint16_t channel, const struct amqp_method *m, struct amqp_args *a,
			 uint64_t start_ns, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	bool unpaired = !m->ok_id || no_wait(m, *a);
	struct amqp_pending *p;
	char name[AMQP_NAME_MAX];
	int ret = 0;

	name_of(m->class_id, m->method_id, a, name, sizeof(name));
	if (unpaired) {
		call(m->name, name, start_ns, end_ns, true, NULL, false, false, cb, arg);
		return 0;
	}
	p = pending_on(c, channel);
	/* One in flight a channel: a second means the first's answer was lost. */
	if (p)
		ret = WIRE_RESYNCED;
	for (size_t i = 0; !p && i < AMQP_CHANNELS; i++)
		if (!c->pending[i].used)
			p = &c->pending[i];
	if (!p)
		return WIRE_RESYNCED;
	*p = (struct amqp_pending){ .used = true,
				    .channel = channel,
				    .class_id = m->class_id,
				    .method_id = m->method_id,
				    .start_ns = start_ns };
	snprintf(p->name, sizeof(p->name), "%s", name);
	return ret;
}

/* Reply codes that are the server's fault: connection-forced, resource
 * error, internal error. */
static bool fault_code(uint16_t code)
{
	return code == 320 || code == 506 || code == 541;
}

static int server_method(struct amqp_conn *c, uint16_t channel, const struct amqp_method *m, uint16_t class_id,
			 uint16_t method_id, struct amqp_args *a, uint64_t start_ns, uint64_t end_ns, wire_call_fn cb,
			 void *arg)
{
	struct amqp_pending *p = pending_on(c, channel);
	const struct amqp_method *req = p ? method_of(p->class_id, p->method_id) : NULL;
	char name[AMQP_NAME_MAX];

	/* The server closing the channel (or, on channel 0, the connection)
	 * answers a method in flight with an error. */
	if ((class_id == 20 || class_id == 10) && method_id == 40 + 10 * (class_id == 10)) {
		uint16_t code = a->len >= 2 ? (uint16_t)(a->p[0] << 8 | a->p[1]) : 0;

		for (size_t i = 0; i < AMQP_CHANNELS; i++) {
			struct amqp_pending *q = &c->pending[i];

			if (!q->used || (class_id == 20 && q->channel != channel))
				continue;
			req = method_of(q->class_id, q->method_id);
			call(req->name, q->name, q->start_ns, end_ns, false, NULL, true, fault_code(code), cb, arg);
			q->used = false;
		}
		return 0;
	}
	if (req && class_id == req->class_id &&
	    (method_id == req->ok_id || (req->ok_alt && method_id == req->ok_alt))) {
		call(req->name, p->name, p->start_ns, end_ns, false, method_id == req->ok_alt ? "empty" : NULL, false,
		     false, cb, arg);
		p->used = false;
		return 0;
	}
	/* Deliveries and the publisher confirms' acks: calls at once. */
	if (m && !m->ok_id && class_id == 60) {
		name_of(class_id, method_id, a, name, sizeof(name));
		call(m->name, name, start_ns, end_ns, true, NULL, false, false, cb, arg);
	}
	return 0;
}

static int frame(struct amqp_conn *c, enum wire_dir dir, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	struct amqp_dir *d = &c->dir[dir];
	uint8_t type = d->head[0];
	uint16_t channel = (uint16_t)(d->head[1] << 8 | d->head[2]), class_id, method_id;
	struct amqp_args a = { d->head + 11, d->kept > 11 ? d->kept - 11 : 0, 0 };
	const struct amqp_method *m;

	if (type == AMQP_HEADER || type == AMQP_BODY || type == AMQP_HEARTBEAT)
		return 0;
	if (type != AMQP_METHOD || d->size < 4 || d->kept < 11)
		return -EBADMSG;
	/* What was kept of the payload, without the frame end byte. */
	if (a.len > d->size - 4)
		a.len = d->size - 4;
	class_id = (uint16_t)(d->head[7] << 8 | d->head[8]);
	method_id = (uint16_t)(d->head[9] << 8 | d->head[10]);
	m = method_of(class_id, method_id);
	if (dir == WIRE_REQUEST)
		return m ? client_method(c, channel, m, &a, d->start_ns, end_ns, cb, arg) : 0;
	return server_method(c, channel, m, class_id, method_id, &a, d->start_ns, end_ns, cb, arg);
}

static int amqp_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		     void *arg)
{
	static const uint8_t header[8] = { 'A', 'M', 'Q', 'P', 0, 0, 9, 1 };
	struct amqp_conn *c = conn;
	struct amqp_dir *d = &c->dir[dir];
	int resynced = 0, ret;

	for (; dir == WIRE_REQUEST && c->header_seen < sizeof(header) && len; buf++, len--)
		if (*buf != header[c->header_seen++])
			return -EBADMSG;
	while (len) {
		if (!d->kept && !d->consumed)
			d->start_ns = ts_ns;
		if (d->kept < 7) {
			d->head[d->kept++] = *buf++;
			len--;
			if (d->kept == 7) {
				d->size = (uint64_t)d->head[3] << 24 | (uint64_t)d->head[4] << 16 |
					  (uint64_t)d->head[5] << 8 | d->head[6];
				if (d->size > AMQP_FRAME_MAX)
					return -EBADMSG;
			}
			continue;
		}
		uint64_t take = d->size + 1 - d->consumed < len ? d->size + 1 - d->consumed : len;
		size_t keep = d->holed ? 0 : take < AMQP_KEEP - d->kept ? (size_t)take : AMQP_KEEP - d->kept;

		memcpy(d->head + d->kept, buf, keep);
		d->kept += keep;
		d->consumed += take;
		/* The frame end byte, when it came. */
		if (d->consumed == d->size + 1 && buf[take - 1] != AMQP_FRAME_END)
			return -EBADMSG;
		buf += take;
		len -= (size_t)take;
		if (d->consumed == d->size + 1) {
			ret = frame(c, dir, ts_ns, cb, arg);
			d->kept = 0;
			d->consumed = 0;
			d->holed = false;
			if (ret < 0)
				return ret;
			resynced |= ret;
		}
	}
	return resynced;
}

/* Bytes not captured: a frame's payload is counted down (its end byte
 * then unchecked); a frame header's lose the framing. */
static int amqp_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct amqp_conn *c = conn;
	struct amqp_dir *d = &c->dir[dir];
	int ret;

	if (!n)
		return 0;
	if (d->kept < 7 || n > d->size + 1 - d->consumed)
		return -EBADMSG;
	d->consumed += n;
	d->holed = true;
	if (d->consumed < d->size + 1)
		return 0;
	ret = frame(c, dir, ts_ns, cb, arg);
	d->kept = 0;
	d->consumed = 0;
	d->holed = false;
	return ret;
}

const struct wire_parser amqp_parser = {
	.name = "amqp",
	.create = amqp_create,
	.destroy = amqp_destroy,
	.feed = amqp_feed,
	.gap = amqp_gap,
};
