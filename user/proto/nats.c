// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* NATS's client protocol on both directions of a connection: lines of
 * text, each message's payload after its line counted down, never
 * buffered. A client's PING pairs with the server's PONG; everything else
 * is answered by nothing (clients do not ask for +OK): CONNECT, PUB, HPUB,
 * SUB and UNSUB from the client, MSG and HMSG (deliveries) and -ERR from
 * the server are calls at once, unpaired. Operations are case-insensitive,
 * as the server reads them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/wire.h"

#define NATS_LINE_KEEP 512 /* an operation and a subject of up to 256 bytes, its sizes */
#define NATS_LINE_MAX 4096 /* the server's max_control_line */
#define NATS_PAYLOAD_MAX (64ll << 20) /* the server's largest max_payload */
#define NATS_SUBJECT_MAX 257
#define NATS_TAIL_KEEP 64 /* a reply subject's end and two sizes */
#define NATS_PINGS 8

struct nats_dir {
	char line[NATS_LINE_KEEP];
	size_t line_len, line_kept;
	/* A line longer than kept: its last bytes, where a message's sizes are. */
	char tail[NATS_TAIL_KEEP + 1];
	size_t tail_len;
	uint64_t line_ns; /* when the line's first byte came */
	uint64_t payload_left; /* a message's bytes left, with its CRLF */
	/* The message the payload belongs to, reported when it ends. */
	char method[8];
	char subject[NATS_SUBJECT_MAX];
};

struct nats_conn {
	struct nats_dir dir[2];
	uint64_t pings[NATS_PINGS]; /* the client's PINGs in flight, oldest first */
	size_t npings;
};

static void *nats_create(void)
{
	return calloc(1, sizeof(struct nats_conn));
}

static void nats_destroy(void *conn)
{
	free(conn);
}

static void call(const char *method, const char *subject, uint64_t start_ns, uint64_t end_ns, bool unpaired, bool error,
		 wire_call_fn cb, void *arg)
{
	struct wire_call w = wire_message("nats", method, subject, start_ns, end_ns, unpaired);

	w.error = error;
	cb(arg, &w);
}

/* The line's tokens, split at spaces and tabs, at most max. */
static size_t tokens(char *line, char **out, size_t max)
{
	size_t n = 0;

	for (char *p = line; *p && n < max;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		out[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
	}
	return n;
}

static int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > NATS_PAYLOAD_MAX)
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* A message's line: PUB subject [reply] size, HPUB subject [reply]
 * header-size size, MSG subject sid [reply] size, HMSG subject sid [reply]
 * header-size size. Its payload follows. */
static int message(struct nats_dir *d, const char *op, char **t, size_t n)
{
	bool hdr = op[0] == 'H' || op[0] == 'h', msg = !strcasecmp(op + hdr, "MSG");
	size_t need = 3 + (msg ? 1 : 0) + (hdr ? 1 : 0);
	uint64_t size, hsize = 0;

	if (n < need || n > need + 1 || parse_size(t[n - 1], &size) || (hdr && parse_size(t[n - 2], &hsize)) ||
	    hsize > size)
		return -EBADMSG;
	snprintf(d->method, sizeof(d->method), "%s", hdr ? (msg ? "HMSG" : "HPUB") : (msg ? "MSG" : "PUB"));
	snprintf(d->subject, sizeof(d->subject), "%s", t[1]);
	d->payload_left = size + 2;
	return 0;
}

/* A whole line of the client (dir WIRE_REQUEST) or the server. */
static int line(struct nats_conn *c, enum wire_dir dir, uint64_t end_ns, wire_call_fn cb, void *arg)
{
	struct nats_dir *d = &c->dir[dir];
	char *t[7], *op;
	size_t n;

	if (d->line_len > NATS_LINE_MAX)
		return -EBADMSG;
	while (d->line_kept && (d->line[d->line_kept - 1] == '\r' || d->line[d->line_kept - 1] == '\n'))
		d->line_kept--;
	d->line[d->line_kept] = 0;
	n = tokens(d->line, t, 7);
	if (!n)
		return -EBADMSG;
	/* A cut line: the operation and subject from its start, a message's
	 * sizes (and sid) from its end, whose first token is a subject's or
	 * reply's end and so never taken. */
	if (d->line_len > d->line_kept + 2) {
		size_t want = !strcasecmp(t[0], "HMSG")				    ? 3 :
			      !strcasecmp(t[0], "HPUB") || !strcasecmp(t[0], "MSG") ? 2 :
			      !strcasecmp(t[0], "PUB")				    ? 1 :
										      0;
		char *tail[7];
		size_t m;

		while (d->tail_len && (d->tail[d->tail_len - 1] == '\r' || d->tail[d->tail_len - 1] == '\n'))
			d->tail_len--;
		d->tail[d->tail_len] = 0;
		m = tokens(d->tail, tail, 7);
		if (want && (n < 2 || m <= want))
			return -EBADMSG;
		if (want) {
			n = 2;
			for (size_t i = 0; i < want; i++)
				t[n++] = tail[m - want + i];
		}
	}
	op = t[0];
	if (dir == WIRE_REQUEST) {
		if (!strcasecmp(op, "PUB") || !strcasecmp(op, "HPUB"))
			return message(d, op, t, n);
		if (!strcasecmp(op, "CONNECT") || !strcasecmp(op, "SUB") || !strcasecmp(op, "UNSUB")) {
			char upper[8];
			size_t i = 0;

			for (; op[i] && i < sizeof(upper) - 1; i++)
				upper[i] = (char)(op[i] >= 'a' && op[i] <= 'z' ? op[i] - 32 : op[i]);
			upper[i] = 0;
			/* A subscription's subject, cut as a message's is. */
			snprintf(d->subject, sizeof(d->subject), "%s", !strcasecmp(op, "SUB") && n >= 3 ? t[1] : "");
			call(upper, d->subject, d->line_ns, end_ns, true, false, cb, arg);
			return 0;
		}
		if (!strcasecmp(op, "PING")) {
			if (c->npings == NATS_PINGS)
				return WIRE_RESYNCED;
			c->pings[c->npings++] = d->line_ns;
			return 0;
		}
		return !strcasecmp(op, "PONG") ? 0 : -EBADMSG;
	}
	if (!strcasecmp(op, "MSG") || !strcasecmp(op, "HMSG"))
		return message(d, op, t, n);
	if (!strcasecmp(op, "PONG")) {
		if (c->npings) {
			call("PING", "", c->pings[0], end_ns, false, false, cb, arg);
			memmove(c->pings, c->pings + 1, --c->npings * sizeof(c->pings[0]));
		}
		return 0;
	}
	if (!strcasecmp(op, "-ERR")) {
		call("-ERR", "", d->line_ns, end_ns, true, true, cb, arg);
		return 0;
	}
	return !strcasecmp(op, "INFO") || !strcasecmp(op, "+OK") || !strcasecmp(op, "PING") ? 0 : -EBADMSG;
}

/* The bytes of a line past what is kept: its last NATS_TAIL_KEEP stay. */
static void tail_add(struct nats_dir *d, const uint8_t *p, size_t n)
{
	if (n >= NATS_TAIL_KEEP) {
		memcpy(d->tail, p + n - NATS_TAIL_KEEP, NATS_TAIL_KEEP);
		d->tail_len = NATS_TAIL_KEEP;
		return;
	}
	if (d->tail_len + n > NATS_TAIL_KEEP) {
		size_t drop = d->tail_len + n - NATS_TAIL_KEEP;

		memmove(d->tail, d->tail + drop, d->tail_len - drop);
		d->tail_len -= drop;
	}
	memcpy(d->tail + d->tail_len, p, n);
	d->tail_len += n;
}

static int nats_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		     void *arg)
{
	struct nats_conn *c = conn;
	struct nats_dir *d = &c->dir[dir];
	int resynced = 0, ret;

	while (len) {
		const uint8_t *nl;
		size_t take, keep;

		if (d->payload_left) {
			uint64_t skip = d->payload_left < len ? d->payload_left : len;

			d->payload_left -= skip;
			buf += skip;
			len -= (size_t)skip;
			if (!d->payload_left)
				call(d->method, d->subject, d->line_ns, ts_ns, true, false, cb, arg);
			continue;
		}
		if (!d->line_len)
			d->line_ns = ts_ns;
		nl = memchr(buf, '\n', len);
		take = nl ? (size_t)(nl - buf) + 1 : len;
		keep = take < NATS_LINE_KEEP - 1 - d->line_kept ? take : NATS_LINE_KEEP - 1 - d->line_kept;

		memcpy(d->line + d->line_kept, buf, keep);
		d->line_kept += keep;
		d->line_len += take;
		tail_add(d, buf + keep, take - keep);
		buf += take;
		len -= take;
		if (!nl) {
			if (d->line_len > NATS_LINE_MAX)
				return -EBADMSG;
			continue;
		}
		ret = line(c, dir, ts_ns, cb, arg);
		d->line_len = d->line_kept = d->tail_len = 0;
		if (ret < 0)
			return ret;
		resynced |= ret;
	}
	return resynced;
}

/* Bytes not captured: a payload's are counted down; a line's lose the
 * framing. */
static int nats_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct nats_dir *d = &((struct nats_conn *)conn)->dir[dir];

	if (!n)
		return 0;
	if (n > d->payload_left || d->line_len)
		return -EBADMSG;
	d->payload_left -= n;
	/* The payload's own CRLF: only a whole one ends the message here. */
	if (!d->payload_left)
		call(d->method, d->subject, d->line_ns, ts_ns, true, false, cb, arg);
	return 0;
}

const struct wire_parser nats_parser = {
	.name = "nats",
	.create = nats_create,
	.destroy = nats_destroy,
	.feed = nats_feed,
	.gap = nats_gap,
};
