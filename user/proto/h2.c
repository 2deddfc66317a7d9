// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/h2.h"
#include "proto/hpack.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define PREFACE_LEN (sizeof(PREFACE) - 1)
#define FRAME_HEADER_LEN 9
/* UNAUTHENTICATED, the last code gRPC defines, and UNKNOWN. */
#define GRPC_MAX_CODE 16
#define GRPC_UNKNOWN 2
/* A block buffer grown past this is given back once its block is decoded. */
#define BLOCK_KEEP 4096

enum frame_type {
	F_DATA = 0,
	F_HEADERS = 1,
	F_PRIORITY = 2,
	F_RST_STREAM = 3,
	F_SETTINGS = 4,
	F_PUSH_PROMISE = 5,
	F_PING = 6,
	F_GOAWAY = 7,
	F_WINDOW_UPDATE = 8,
	F_CONTINUATION = 9,
};

#define FL_END_STREAM 0x01
#define FL_END_HEADERS 0x04
#define FL_PADDED 0x08
#define FL_PRIORITY 0x20

enum dir_state { ST_PREFACE, ST_HEADER, ST_PAYLOAD };

struct h2_stream {
	uint32_t id;
	bool grpc;
	int status; /* :status, 0 if none */
	int grpc_status; /* -1 if none */
	uint64_t start_ns;
	char method[H2_METHOD_MAX];
	char path[H2_PATH_MAX];
	char authority[H2_AUTHORITY_MAX];
	char traceparent[H2_TRACEPARENT_MAX];
};

/* One direction: where it is in the frame syntax, and the header block
 * being gathered from HEADERS or PUSH_PROMISE and its CONTINUATIONs. */
struct h2_dir {
	enum dir_state state;
	size_t got; /* bytes of the preface, the frame header or the payload */
	uint8_t hdr[FRAME_HEADER_LEN];
	uint32_t len, sid;
	uint8_t type, flags;
	uint64_t frame_ns; /* when the frame header's first byte came */
	bool in_block; /* the block's first frame ended without END_HEADERS */
	uint8_t block_type;
	uint32_t block_sid;
	bool block_end_stream;
	uint64_t block_ns; /* when the block's first frame began */
	uint8_t *block;
	size_t block_len, block_cap, frag_start;
	struct hpack hpack;
};

struct h2_conn {
	struct h2_dir dir[2];
	struct h2_stream *streams[H2_STREAMS_MAX];
	uint32_t max_sid; /* the highest stream the client opened */
	int err;
};

/* What all connections hold together, so that clients opening many of them
 * with many open streams and long header blocks cannot grow the daemon
 * without end: a stream past the budget is not followed, a block past it
 * fails its connection. One thread parses, so plain counters do. */
static size_t streams_total, block_bytes_total;

static void block_release(struct h2_dir *d)
{
	block_bytes_total -= d->block_cap;
	free(d->block);
	d->block = NULL;
	d->block_cap = 0;
}

static void stream_release(struct h2_stream **slot)
{
	free(*slot);
	*slot = NULL;
	streams_total--;
}

static void *h2_create(void)
{
	struct h2_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->dir[WIRE_REQUEST].state = ST_PREFACE;
	c->dir[WIRE_RESPONSE].state = ST_HEADER;
	for (int i = 0; i < 2; i++)
		hpack_init(&c->dir[i].hpack, HPACK_DEFAULT_SIZE);
	return c;
}

static void h2_destroy(void *conn)
{
	struct h2_conn *c = conn;

	if (!c)
		return;
	for (int i = 0; i < 2; i++) {
		hpack_free(&c->dir[i].hpack);
		block_release(&c->dir[i]);
	}
	for (int i = 0; i < H2_STREAMS_MAX; i++)
		if (c->streams[i])
			stream_release(&c->streams[i]);
	free(c);
}

static struct h2_stream **find_slot(struct h2_conn *c, uint32_t sid)
{
	for (int i = 0; i < H2_STREAMS_MAX; i++)
		if (c->streams[i] && c->streams[i]->id == sid)
			return &c->streams[i];
	return NULL;
}

/* A request stream starts at the first HEADERS of a new stream id; a full
 * table means the stream is not followed. */
static int open_stream(struct h2_conn *c, uint32_t sid, uint64_t ts, struct h2_stream **out)
{
	*out = NULL;
	if (sid <= c->max_sid)
		return 0;
	c->max_sid = sid;
	if (streams_total >= H2_STREAMS_TOTAL_MAX)
		return 0;
	for (int i = 0; i < H2_STREAMS_MAX; i++) {
		if (c->streams[i])
			continue;
		c->streams[i] = calloc(1, sizeof(*c->streams[i]));
		if (!c->streams[i])
			return -ENOMEM;
		streams_total++;
		c->streams[i]->id = sid;
		c->streams[i]->grpc_status = -1;
		c->streams[i]->start_ns = ts;
		*out = c->streams[i];
		return 0;
	}
	return 0;
}

static bool grpc_server_fault(int status)
{
	switch (status) {
	case -1: /* UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS */
	case 2:
	case 4:
	case 12:
	case 13:
	case 14:
	case 15:
		return true;
	default:
		return false;
	}
}

static bool rpc_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '.' || ch == '-' || ch == '$';
}

/* /package.Service/Method, and nothing more. */
static bool rpc_path_ok(const char *p)
{
	size_t i = 1, parts = 0;

	if (p[0] != '/')
		return false;
	while (parts < 2) {
		size_t start = i;

		while (rpc_name_char(p[i]))
			i++;
		if (i == start)
			return false;
		parts++;
		if (parts == 1 && p[i++] != '/')
			return false;
	}
	return !p[i];
}

/* client_reset: the client's RST_STREAM ended the stream, no fault of the
 * server's. */
static void complete(struct h2_conn *c, uint32_t sid, uint64_t ts, bool client_reset, wire_call_fn cb, void *arg)
{
	struct h2_stream **slot = find_slot(c, sid), *s;
	struct wire_call call;

	if (!slot)
		return;
	s = *slot;
	call = (struct wire_call){
		.target = s->path,
		.authority = s->authority,
		.traceparent = s->traceparent,
		.start_ns = s->start_ns,
		.end_ns = ts,
	};
	if (s->grpc) {
		call.protocol = "grpc";
		/* An RPC the server does not have, a path no RPC has, or one the
		 * server never answered names no series: a client cannot mint them. */
		if (s->grpc_status == 12 || !rpc_path_ok(s->path) || !s->status)
			call.target = "_OTHER";
		call.method = call.target;
		call.status = s->grpc_status;
		call.error = s->grpc_status != 0;
		call.server_fault = !client_reset && grpc_server_fault(s->grpc_status);
	} else {
		call.protocol = "http";
		call.method = s->method;
		call.status = s->status;
		call.error = s->status >= 500;
		call.server_fault = s->status >= 500;
	}
	cb(arg, &call);
	stream_release(slot);
}

struct field_ctx {
	struct h2_stream *s; /* NULL: decode for the table only */
	enum wire_dir dir;
};

static bool name_is(const char *name, size_t nlen, const char *lit)
{
	return nlen == strlen(lit) && !memcmp(name, lit, nlen);
}

/* Keeps the prefix of a value too long for dst. */
static void set_str(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* A non-negative decimal of at most 9 digits, else -1. */
static int parse_uint(const char *v, size_t n)
{
	int x = 0;

	if (!n || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

static int on_field(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct field_ctx *ctx = arg;
	struct h2_stream *s = ctx->s;
	int x;

	if (!s)
		return 0;
	if (ctx->dir == WIRE_REQUEST) {
		if (name_is(name, nlen, ":method"))
			set_str(s->method, sizeof(s->method), value, vlen);
		else if (name_is(name, nlen, ":path"))
			set_str(s->path, sizeof(s->path), value, vlen);
		else if (name_is(name, nlen, ":authority"))
			set_str(s->authority, sizeof(s->authority), value, vlen);
		else if (name_is(name, nlen, "traceparent") && vlen < sizeof(s->traceparent))
			set_str(s->traceparent, sizeof(s->traceparent), value, vlen);
		else if (name_is(name, nlen, "content-type"))
			/* application/grpc, application/grpc+proto, ... */
			s->grpc = vlen >= 16 && !strncasecmp(value, "application/grpc", 16);
		return 0;
	}
	/* A 1xx :status is replaced by the final one. A peer's numbers become
	 * labels, so only real ones count: a :status out of HTTP's range is
	 * none, and a code gRPC does not define is UNKNOWN, as gRPC says. */
	if (name_is(name, nlen, ":status")) {
		x = parse_uint(value, vlen);
		if (x >= 100 && x <= 599)
			s->status = x;
	} else if (name_is(name, nlen, "grpc-status")) {
		x = parse_uint(value, vlen);
		if (x >= 0)
			s->grpc_status = x <= GRPC_MAX_CODE ? x : GRPC_UNKNOWN;
	}
	return 0;
}

/* Every block goes through the direction's decoder, even for streams not
 * followed, to keep its dynamic table right. */
static int decode_block(struct h2_conn *c, struct h2_dir *d, enum wire_dir dir, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct field_ctx ctx = { .dir = dir };
	int ret = 0;

	if (d->block_type == F_HEADERS) {
		if (dir == WIRE_REQUEST) {
			ret = open_stream(c, d->block_sid, d->block_ns, &ctx.s);
		} else {
			struct h2_stream **slot = find_slot(c, d->block_sid);

			ctx.s = slot ? *slot : NULL;
		}
	}
	if (!ret)
		ret = hpack_decode(&d->hpack, d->block, d->block_len, on_field, &ctx);
	d->block_len = 0;
	d->in_block = false;
	if (d->block_cap > BLOCK_KEEP)
		block_release(d);
	if (ret)
		return ret;
	if (dir == WIRE_RESPONSE && d->block_type == F_HEADERS && d->block_end_stream)
		complete(c, d->block_sid, ts, false, cb, arg);
	return 0;
}

static bool gathered(uint8_t type)
{
	return type == F_HEADERS || type == F_PUSH_PROMISE || type == F_CONTINUATION;
}

/* Checks a frame header and makes room for a block fragment. */
static int begin_frame(struct h2_dir *d)
{
	const uint8_t *h = d->hdr;

	d->len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	d->type = h[3];
	d->flags = h[4];
	d->sid = ((uint32_t)h[5] << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8]) & 0x7fffffff;
	/* Nothing may come between a block's frames (RFC 9113 6.10). */
	if (d->in_block != (d->type == F_CONTINUATION))
		return -EBADMSG;
	switch (d->type) {
	case F_DATA:
		return d->sid ? 0 : -EBADMSG;
	case F_HEADERS:
	case F_PUSH_PROMISE:
		if (!d->sid)
			return -EBADMSG;
		d->block_type = d->type;
		d->block_sid = d->sid;
		d->block_end_stream = d->type == F_HEADERS && (d->flags & FL_END_STREAM);
		d->block_len = 0;
		d->block_ns = d->frame_ns;
		break;
	case F_CONTINUATION:
		if (d->sid != d->block_sid)
			return -EBADMSG;
		break;
	case F_PRIORITY:
		return d->len == 5 ? 0 : -EBADMSG;
	case F_RST_STREAM:
		return d->len == 4 && d->sid ? 0 : -EBADMSG;
	case F_SETTINGS:
		return d->len % 6 == 0 && !d->sid ? 0 : -EBADMSG;
	case F_PING:
		return d->len == 8 && !d->sid ? 0 : -EBADMSG;
	case F_GOAWAY:
		return d->len >= 8 && !d->sid ? 0 : -EBADMSG;
	case F_WINDOW_UPDATE:
		return d->len == 4 ? 0 : -EBADMSG;
	default:
		return 0; /* unknown types are skipped (RFC 9113 5.5) */
	}
	if (d->len > H2_BLOCK_MAX - d->block_len)
		return -E2BIG;
	d->frag_start = d->block_len;
	if (!d->block || d->block_len + d->len > d->block_cap) {
		size_t cap = d->block_cap ? d->block_cap * 2 : 4096;
		uint8_t *p;

		while (cap < d->block_len + d->len)
			cap *= 2;
		if (cap > H2_BLOCK_MAX)
			cap = H2_BLOCK_MAX;
		if (block_bytes_total - d->block_cap + cap > H2_BLOCK_BYTES_TOTAL_MAX)
			return -E2BIG;
		p = realloc(d->block, cap);
		if (!p)
			return -ENOMEM;
		block_bytes_total += cap - d->block_cap;
		d->block = p;
		d->block_cap = cap;
	}
	return 0;
}

/* Cuts the pad length, priority or promised stream, and padding off the
 * fragment just gathered. */
static int strip_fragment(struct h2_dir *d)
{
	uint8_t *p = d->block + d->frag_start;
	size_t n = d->len, skip = 0, pad = 0;

	if (d->type != F_CONTINUATION && (d->flags & FL_PADDED)) {
		if (!n)
			return -EBADMSG;
		pad = p[0];
		skip = 1;
	}
	if (d->type == F_HEADERS && (d->flags & FL_PRIORITY))
		skip += 5;
	else if (d->type == F_PUSH_PROMISE)
		skip += 4;
	if (skip + pad > n)
		return -EBADMSG;
	memmove(p, p + skip, n - skip - pad);
	d->block_len = d->frag_start + n - skip - pad;
	return 0;
}

static int end_frame(struct h2_conn *c, enum wire_dir dir, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct h2_dir *d = &c->dir[dir];
	int ret;

	switch (d->type) {
	case F_DATA:
		if (dir == WIRE_RESPONSE && (d->flags & FL_END_STREAM))
			complete(c, d->sid, ts, false, cb, arg);
		return 0;
	case F_RST_STREAM:
		complete(c, d->sid, ts, dir == WIRE_REQUEST, cb, arg);
		return 0;
	case F_HEADERS:
	case F_PUSH_PROMISE:
	case F_CONTINUATION:
		ret = strip_fragment(d);
		if (ret)
			return ret;
		if (d->flags & FL_END_HEADERS)
			return decode_block(c, d, dir, ts, cb, arg);
		d->in_block = true;
		return 0;
	default:
		return 0;
	}
}

static int feed(struct h2_conn *c, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts, wire_call_fn cb,
		void *arg)
{
	struct h2_dir *d = &c->dir[dir];
	size_t n;
	int ret;

	for (;;) {
		/* Also ends empty frames, and frames a gap ran to the end of. */
		if (d->state == ST_PAYLOAD && d->got == d->len) {
			d->state = ST_HEADER;
			d->got = 0;
			ret = end_frame(c, dir, ts, cb, arg);
			if (ret)
				return ret;
		}
		if (!len)
			return 0;
		switch (d->state) {
		case ST_PREFACE:
			n = PREFACE_LEN - d->got < len ? PREFACE_LEN - d->got : len;
			if (memcmp(buf, &PREFACE[d->got], n))
				return -EBADMSG;
			d->got += n;
			if (d->got == PREFACE_LEN) {
				d->state = ST_HEADER;
				d->got = 0;
			}
			break;
		case ST_HEADER:
			if (!d->got)
				d->frame_ns = ts;
			n = FRAME_HEADER_LEN - d->got < len ? FRAME_HEADER_LEN - d->got : len;
			memcpy(d->hdr + d->got, buf, n);
			d->got += n;
			if (d->got == FRAME_HEADER_LEN) {
				ret = begin_frame(d);
				if (ret)
					return ret;
				d->state = ST_PAYLOAD;
				d->got = 0;
			}
			break;
		default: /* ST_PAYLOAD */
			n = d->len - d->got < len ? d->len - d->got : len;
			if (gathered(d->type))
				memcpy(d->block + d->frag_start + d->got, buf, n);
			d->got += n;
			break;
		}
		buf += n;
		len -= n;
	}
}

static int h2_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		   void *arg)
{
	struct h2_conn *c = conn;

	if (c->err)
		return c->err;
	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	c->err = feed(c, dir, buf, len, ts_ns, cb, arg);
	return c->err;
}

/* Lost bytes are harmless only inside a skipped payload: a lost frame header
 * loses the framing, a lost block fragment the HPACK table. */
static int h2_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct h2_conn *c = conn;
	struct h2_dir *d;

	if (c->err || !n)
		return c->err;
	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	d = &c->dir[dir];
	if (d->state != ST_PAYLOAD || gathered(d->type) || n > d->len - d->got) {
		c->err = -EBADMSG;
		return c->err;
	}
	d->got += n;
	c->err = feed(c, dir, NULL, 0, ts_ns, cb, arg);
	return c->err;
}

const struct wire_parser h2_parser = {
	.name = "http2",
	.create = h2_create,
	.destroy = h2_destroy,
	.feed = h2_feed,
	.gap = h2_gap,
};
