// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MQTT 3.1, 3.1.1 and 5 on both directions of a connection. Of each
 * packet only the fixed header and the start of what follows (a topic, a
 * packet id, version 5's reason code) are kept; the rest, a payload, is
 * counted down, never buffered, so payload bytes the kernel did not
 * capture cost nothing. Calls: CONNECT and its CONNACK, a client's
 * PUBLISH at QoS 1 or 2 and its PUBACK or PUBREC (by packet id),
 * SUBSCRIBE and SUBACK, UNSUBSCRIBE and UNSUBACK, PINGREQ and PINGRESP.
 * A PUBLISH at QoS 0 and DISCONNECT are answered by nothing: calls at once,
 * unpaired; so is a PUBLISH the server sends, a delivery (DELIVER). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

#define MQ_KEEP 320 /* the fixed header and a topic of up to 256 bytes, its id, properties' start */
#define MQ_TOPIC_MAX 257
#define MQ_PENDING 64 /* packet ids in flight: brokers allow 20 by default */
#define MQ_PINGS 4

enum mq_type {
	MQ_CONNECT = 1,
	MQ_CONNACK,
	MQ_PUBLISH,
	MQ_PUBACK,
	MQ_PUBREC,
	MQ_PUBREL,
	MQ_PUBCOMP,
	MQ_SUBSCRIBE,
	MQ_SUBACK,
	MQ_UNSUBSCRIBE,
	MQ_UNSUBACK,
	MQ_PINGREQ,
	MQ_PINGRESP,
	MQ_DISCONNECT,
	MQ_AUTH,
};

/* Which side may send each type: 1 the client, 2 the server, 3 both. */
static const uint8_t senders[16] = {
	[MQ_CONNECT] = 1,  [MQ_CONNACK] = 2, [MQ_PUBLISH] = 3,	 [MQ_PUBACK] = 3,     [MQ_PUBREC] = 3,
	[MQ_PUBREL] = 3,   [MQ_PUBCOMP] = 3, [MQ_SUBSCRIBE] = 1, [MQ_SUBACK] = 2,     [MQ_UNSUBSCRIBE] = 1,
	[MQ_UNSUBACK] = 2, [MQ_PINGREQ] = 1, [MQ_PINGRESP] = 2,	 [MQ_DISCONNECT] = 3, [MQ_AUTH] = 3,
};

struct mq_dir {
	uint8_t head[MQ_KEEP]; /* the packet's first bytes */
	size_t kept;
	size_t header_len; /* the fixed header's, once its length is read; 0 before */
	uint64_t remaining; /* the packet's length after the fixed header */
	uint64_t consumed; /* of those, bytes seen or skipped */
	uint64_t start_ns;
	bool in_packet;
	bool holed; /* bytes were lost after those kept: keep no more */
};

struct mq_pending {
	bool used;
	uint8_t type; /* PUBLISH, SUBSCRIBE or UNSUBSCRIBE */
	uint8_t qos;
	uint16_t id;
	uint64_t start_ns;
	char topic[MQ_TOPIC_MAX];
};

struct mq_conn {
	struct mq_dir dir[2];
	bool started; /* bytes of the client came */
	uint8_t version; /* 3, 4 (3.1.1) or 5, from CONNECT; 4 until then */
	bool connecting;
	uint64_t connect_ns;
	struct mq_pending pending[MQ_PENDING];
	uint64_t pings[MQ_PINGS]; /* PINGREQs in flight, oldest first */
	size_t npings;
};

static void *mq_create(void)
{
	struct mq_conn *c = calloc(1, sizeof(struct mq_conn));

	if (c)
		c->version = 4;
	return c;
}

static void mq_destroy(void *conn)
{
	free(conn);
}

/* A packet's bytes after its fixed header, as far as they were kept. */
struct mq_body {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int u16(struct mq_body *b, uint16_t *out)
{
	if (b->off + 2 > b->len)
		return -EBADMSG;
	*out = (uint16_t)(b->p[b->off] << 8 | b->p[b->off + 1]);
	b->off += 2;
	return 0;
}

/* A length-prefixed string into out (cut to size - 1); -EBADMSG when its
 * prefix was not kept, 1 when it was cut. */
static int string(struct mq_body *b, char *out, size_t size)
{
	uint16_t n;
	size_t have;

	if (u16(b, &n))
		return -EBADMSG;
	have = b->len - b->off < n ? b->len - b->off : n;
	snprintf(out, size, "%.*s", (int)have, (const char *)b->p + b->off);
	/* Topics are UTF-8 without NUL: what is not text goes. */
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
	b->off += have;
	return have < n || have >= size;
}

/* Version 5's properties: skipped by their length. */
static int properties(struct mq_conn *c, struct mq_body *b)
{
	uint64_t n = 0;

	if (c->version < 5)
		return 0;
	for (int i = 0; i < 4; i++) {
		if (b->off >= b->len)
			return -EBADMSG;
		n |= (uint64_t)(b->p[b->off] & 0x7f) << (7 * i);
		if (!(b->p[b->off++] & 0x80)) {
			b->off = n > b->len - b->off ? b->len : b->off + n;
			return 0;
		}
	}
	return -EBADMSG;
}

static struct mq_pending *pending_find(struct mq_conn *c, uint8_t type, uint16_t id)
{
	for (size_t i = 0; i < MQ_PENDING; i++)
		if (c->pending[i].used && c->pending[i].type == type && c->pending[i].id == id)
			return &c->pending[i];
	return NULL;
}

/* A request waiting for its answer; WIRE_RESYNCED when the oldest had to
 * make room, or the id was still waiting (their answers will find
 * nothing). */
static int pending_add(struct mq_conn *c, uint8_t type, uint8_t qos, uint16_t id, uint64_t start_ns, const char *topic)
{
	struct mq_pending *slot = pending_find(c, type, id), *oldest = NULL;
	int ret = slot ? WIRE_RESYNCED : 0;

	for (size_t i = 0; !slot && i < MQ_PENDING; i++) {
		if (!c->pending[i].used) {
			slot = &c->pending[i];
			break;
		}
		if (!oldest || c->pending[i].start_ns < oldest->start_ns)
			oldest = &c->pending[i];
	}
	if (!slot) {
		slot = oldest;
		ret = WIRE_RESYNCED;
	}
	*slot = (struct mq_pending){ .used = true, .type = type, .qos = qos, .id = id, .start_ns = start_ns };
	snprintf(slot->topic, sizeof(slot->topic), "%s", topic);
	return ret;
}

static const char *const qos_names[] = { "qos0", "qos1", "qos2" };

static void call(const char *method, const char *topic, uint64_t start_ns, uint64_t end_ns, bool unpaired,
		 const char *outcome, bool error, bool fault, wire_call_fn cb, void *arg)
{
	struct wire_call w = wire_message("mqtt", method, topic, start_ns, end_ns, unpaired);

	w.error = error;
	w.outcome = error ? NULL : outcome;
	w.server_fault = fault;
	cb(arg, &w);
}

/* Reason codes that are the server's fault, not the client's: version
 * 3's "server unavailable", version 5's unspecified and implementation
 * errors, server unavailable or busy, quota exceeded. */
static bool server_fault(const struct mq_conn *c, uint8_t code)
{
	if (c->version < 5)
		return code == 3;
	return code == 0x80 || code == 0x83 || code == 0x88 || code == 0x89 || code == 0x97;
}

static int on_publish(struct mq_conn *c, enum wire_dir dir, uint8_t flags, struct mq_body *b, uint64_t start_ns,
		      uint64_t end_ns, wire_call_fn cb, void *arg)
{
	uint8_t qos = (flags >> 1) & 3;
	char topic[MQ_TOPIC_MAX];
	uint16_t id = 0;

	if (qos == 3 || string(b, topic, sizeof(topic)) < 0)
		return -EBADMSG;
	if (dir == WIRE_RESPONSE) {
		call("DELIVER", topic, start_ns, end_ns, true, qos_names[qos], false, false, cb, arg);
		return 0;
	}
	if (!qos) {
		call("PUBLISH", topic, start_ns, end_ns, true, qos_names[0], false, false, cb, arg);
		return 0;
	}
	/* A topic too long for what is kept hides the packet id: the message
	 * is counted, its answer will pair with nothing. */
	if (u16(b, &id)) {
		call("PUBLISH", topic, start_ns, end_ns, true, qos_names[qos], false, false, cb, arg);
		return WIRE_RESYNCED;
	}
	return pending_add(c, MQ_PUBLISH, qos, id, start_ns, topic);
}

/* An answer by packet id: its request's call. A client's acks of the
 * server's deliveries, and ids no request holds, are nothing. */
static int on_ack(struct mq_conn *c, uint8_t request, const char *method, struct mq_body *b, uint64_t end_ns,
		  wire_call_fn cb, void *arg)
{
	struct mq_pending *p;
	uint8_t code = 0;
	uint16_t id;

	if (u16(b, &id))
		return -EBADMSG;
	p = pending_find(c, request, id);
	if (!p)
		return 0;
	if (request == MQ_PUBLISH) {
		/* Version 5's reason code, absent when it is success. */
		if (c->version >= 5 && b->off < b->len)
			code = b->p[b->off];
	} else {
		/* SUBACK's and version 5 UNSUBACK's codes, one per filter. */
		if (properties(c, b))
			return -EBADMSG;
		for (; b->off < b->len && !code; b->off++)
			code = b->p[b->off] >= 0x80 ? b->p[b->off] : 0;
	}
	call(method, p->topic, p->start_ns, end_ns, false, request == MQ_PUBLISH ? qos_names[p->qos] : NULL,
	     code >= 0x80, code >= 0x80 && server_fault(c, code), cb, arg);
	p->used = false;
	return 0;
}

static int on_subscribe(struct mq_conn *c, uint8_t type, struct mq_body *b, uint64_t start_ns)
{
	char topic[MQ_TOPIC_MAX];
	uint16_t id;

	if (u16(b, &id) || properties(c, b) || string(b, topic, sizeof(topic)) < 0)
		return -EBADMSG;
	return pending_add(c, type, 0, id, start_ns, topic);
}

static int on_connect(struct mq_conn *c, struct mq_body *b, uint64_t start_ns)
{
	char name[8];

	if (string(b, name, sizeof(name)) || b->off >= b->len)
		return -EBADMSG;
	if (strcmp(name, "MQTT") && strcmp(name, "MQIsdp"))
		return -EBADMSG;
	c->version = b->p[b->off];
	if (c->version < 3 || c->version > 5)
		return -EBADMSG;
	c->connecting = true;
	c->connect_ns = start_ns;
	return 0;
}

static int on_connack(struct mq_conn *c, struct mq_body *b, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	uint8_t code;

	if (b->len < 2)
		return -EBADMSG;
	if (!c->connecting)
		return 0;
	code = b->p[1];
	c->connecting = false;
	/* Version 3's refusals are 1 to 5; version 5's reasons 0x80 and up. */
	call("CONNECT", "", c->connect_ns, end_ns, false, NULL, code != 0, server_fault(c, code), cb, arg);
	return 0;
}

static int complete(struct mq_conn *c, enum wire_dir dir, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	struct mq_dir *d = &c->dir[dir];
	struct mq_body b = { d->head + d->header_len, d->kept - d->header_len, 0 };
	uint8_t type = d->head[0] >> 4, flags = d->head[0] & 15;

	switch (type) {
	case MQ_CONNECT:
		return on_connect(c, &b, d->start_ns);
	case MQ_CONNACK:
		return on_connack(c, &b, end_ns, cb, arg);
	case MQ_PUBLISH:
		return on_publish(c, dir, flags, &b, d->start_ns, end_ns, cb, arg);
	case MQ_PUBACK:
	case MQ_PUBREC:
		return dir == WIRE_RESPONSE ? on_ack(c, MQ_PUBLISH, "PUBLISH", &b, end_ns, cb, arg) : 0;
	case MQ_SUBSCRIBE:
	case MQ_UNSUBSCRIBE:
		return on_subscribe(c, type, &b, d->start_ns);
	case MQ_SUBACK:
		return on_ack(c, MQ_SUBSCRIBE, "SUBSCRIBE", &b, end_ns, cb, arg);
	case MQ_UNSUBACK:
		return on_ack(c, MQ_UNSUBSCRIBE, "UNSUBSCRIBE", &b, end_ns, cb, arg);
	case MQ_PINGREQ:
		if (c->npings == MQ_PINGS)
			return WIRE_RESYNCED;
		c->pings[c->npings++] = d->start_ns;
		return 0;
	case MQ_PINGRESP:
		if (c->npings) {
			call("PINGREQ", "", c->pings[0], end_ns, false, NULL, false, false, cb, arg);
			memmove(c->pings, c->pings + 1, --c->npings * sizeof(c->pings[0]));
		}
		return 0;
	case MQ_DISCONNECT:
		call("DISCONNECT", "", d->start_ns, end_ns, true, NULL, false, false, cb, arg);
		return 0;
	default: /* PUBREL, PUBCOMP, AUTH */
		return 0;
	}
}

/* The fixed header's flags are fixed but for PUBLISH's. */
static bool header_ok(enum wire_dir dir, uint8_t first)
{
	uint8_t type = first >> 4, flags = first & 15;

	if (!(senders[type] & (dir == WIRE_REQUEST ? 1 : 2)))
		return false;
	if (type == MQ_PUBLISH)
		return true;
	return flags == (type == MQ_PUBREL || type == MQ_SUBSCRIBE || type == MQ_UNSUBSCRIBE ? 2 : 0);
}

static int end_packet(struct mq_conn *c, enum wire_dir dir, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	int ret = complete(c, dir, ts_ns, cb, arg);

	c->dir[dir].in_packet = false;
	return ret;
}

static int mq_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		   void *arg)
{
	struct mq_conn *c = conn;
	struct mq_dir *d = &c->dir[dir];
	int resynced = 0, ret;

	/* A broker read its client's first fixed header a byte at a time
	 * before the kernel knew the protocol: its first bytes here are the
	 * CONNECT's rest, read whole. */
	if (dir == WIRE_REQUEST && !c->started && len >= 7 && buf[0] == 0 && (buf[1] == 4 || buf[1] == 6) &&
	    buf[2] == 'M' && buf[3] == 'Q')
		c->dir[dir] = (struct mq_dir){
			.head = { MQ_CONNECT << 4 },
			.kept = 1,
			.header_len = 1,
			.remaining = len,
			.start_ns = ts_ns,
			.in_packet = true,
		};
	if (dir == WIRE_REQUEST)
		c->started = true;
	while (len) {
		if (!d->in_packet)
			*d = (struct mq_dir){ .in_packet = true, .start_ns = ts_ns };
		if (!d->header_len) {
			uint8_t byte = *buf++;

			len--;
			d->head[d->kept++] = byte;
			if (d->kept == 1) {
				if (!header_ok(dir, byte))
					return -EBADMSG;
				continue;
			}
			d->remaining |= (uint64_t)(byte & 0x7f) << (7 * (d->kept - 2));
			if (byte & 0x80) {
				if (d->kept == 5)
					return -EBADMSG;
				continue;
			}
			d->header_len = d->kept;
		} else {
			uint64_t take = d->remaining - d->consumed < len ? d->remaining - d->consumed : len;
			size_t keep = d->holed ? 0 : take < MQ_KEEP - d->kept ? (size_t)take : MQ_KEEP - d->kept;

			memcpy(d->head + d->kept, buf, keep);
			d->kept += keep;
			d->consumed += take;
			buf += take;
			len -= (size_t)take;
		}
		if (d->consumed == d->remaining) {
			ret = end_packet(c, dir, ts_ns, cb, arg);
			if (ret < 0)
				return ret;
			resynced |= ret;
		}
	}
	return resynced;
}

/* Bytes not captured: a payload's are counted down; any others lose the
 * framing. */
static int mq_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct mq_conn *c = conn;
	struct mq_dir *d = &c->dir[dir];

	if (!n)
		return 0;
	if (!d->in_packet || !d->header_len || n > d->remaining - d->consumed)
		return -EBADMSG;
	d->consumed += n;
	d->holed = true;
	return d->consumed == d->remaining ? end_packet(c, dir, ts_ns, cb, arg) : 0;
}

const struct wire_parser mqtt_parser = {
	.name = "mqtt",
	.create = mq_create,
	.destroy = mq_destroy,
	.feed = mq_feed,
	.gap = mq_gap,
};
