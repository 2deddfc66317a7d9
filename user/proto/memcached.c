// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* memcached's text protocol, classic and meta commands, on both
 * directions of a connection. Commands are queued as they are read
 * (clients pipeline) and each complete response pairs with the oldest:
 * one line, or VALUE blocks up to END for the retrievals, STAT lines up
 * to END for stats. Data blocks are counted down, never buffered, so a
 * value's bytes the kernel did not capture cost nothing. noreply commands
 * are calls at once; meta commands in quiet mode (q), whose responses may
 * not come, make the parser give up: pairing could no longer be exact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"
#include "proto/wire.h"

#define MC_LINE_KEEP 320 /* a command, a key of up to 250 bytes, its flags and lengths */
#define MC_LINE_MAX 4096 /* memcached's keys are 250 bytes; meta flags add some */
#define MC_DATA_MAX (1ll << 30)
#define MC_FIFO_MAX 1024
#define MC_METHOD_MAX 16

/* What ends a command's response. */
enum mc_shape {
	MC_LINE, /* one line */
	MC_RETRIEVAL, /* VALUE blocks, then END */
	MC_STATS, /* STAT and other lines, then END (or one line: OK, RESET, an error) */
	MC_META_GET, /* VA and its data, or one line */
};

struct mc_dir {
	char line[MC_LINE_KEEP];
	size_t line_len, line_kept;
	uint64_t data_left; /* a data block's bytes left, with its CRLF */
};

struct mc_pending {
	uint64_t start_ns;
	enum mc_shape shape;
	bool hit; /* a retrieval returned a value */
	char method[MC_METHOD_MAX];
};

struct mc_conn {
	struct mc_dir dir[2];
	uint64_t req_start_ns;
	bool req_started;
	struct ring_fifo fifo;
	uint64_t skip_replies; /* replies owed to commands dropped from a full FIFO */
};

static const struct {
	const char *name;
	enum mc_shape shape;
	bool storage; /* a data block follows the line */
} commands[] = {
	{ "get", MC_RETRIEVAL, false },	 { "gets", MC_RETRIEVAL, false },
	{ "gat", MC_RETRIEVAL, false },	 { "gats", MC_RETRIEVAL, false },
	{ "set", MC_LINE, true },	 { "add", MC_LINE, true },
	{ "replace", MC_LINE, true },	 { "append", MC_LINE, true },
	{ "prepend", MC_LINE, true },	 { "cas", MC_LINE, true },
	{ "delete", MC_LINE, false },	 { "incr", MC_LINE, false },
	{ "decr", MC_LINE, false },	 { "touch", MC_LINE, false },
	{ "stats", MC_STATS, false },	 { "version", MC_LINE, false },
	{ "flush_all", MC_LINE, false }, { "verbosity", MC_LINE, false },
	{ "mg", MC_META_GET, false },	 { "ms", MC_LINE, true },
	{ "md", MC_LINE, false },	 { "ma", MC_LINE, false },
	{ "mn", MC_LINE, false },	 { "me", MC_META_GET, false },
	{ "shutdown", MC_LINE, false },	 { "cache_memlimit", MC_LINE, false },
	{ "slabs", MC_LINE, false },	 { "lru_crawler", MC_LINE, false },
};

static struct mc_pending *oldest(struct mc_conn *c)
{
	return (struct mc_pending *)c->fifo.slots + c->fifo.head;
}

static void *mc_create(void)
{
	return calloc(1, sizeof(struct mc_conn));
}

static void mc_destroy(void *conn)
{
	struct mc_conn *c = conn;

	if (c)
		free(c->fifo.slots);
	free(c);
}

/* The line's n-th space-separated token (from 0), within what was kept. */
static size_t token(const struct mc_dir *d, size_t n, const char **out)
{
	size_t i = 0, len = d->line_kept;

	while (len && (d->line[len - 1] == '\r' || d->line[len - 1] == '\n'))
		len--;
	for (;;) {
		size_t start;

		while (i < len && d->line[i] == ' ')
			i++;
		start = i;
		while (i < len && d->line[i] != ' ')
			i++;
		if (!n--) {
			*out = d->line + start;
			return i - start;
		}
		if (i >= len)
			return 0;
	}
}

static bool token_is(const struct mc_dir *d, size_t n, const char *word)
{
	const char *t;
	size_t len = token(d, n, &t);

	return len == strlen(word) && !memcmp(t, word, len);
}

static int parse_len(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EBADMSG;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > MC_DATA_MAX)
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

/* The last token of a line that may have been cut: only trusted whole. */
static bool last_token_is(const struct mc_dir *d, const char *word)
{
	size_t n = strlen(word), len = d->line_kept;

	if (d->line_len != d->line_kept)
		return false;
	while (len && (d->line[len - 1] == '\r' || d->line[len - 1] == '\n'))
		len--;
	return len > n && d->line[len - n - 1] == ' ' && !memcmp(d->line + len - n, word, n);
}

/* Whether a meta command's flags hold q, quiet mode. */
static bool meta_quiet(const struct mc_dir *d)
{
	const char *t;

	for (size_t i = 2;; i++) {
		size_t n = token(d, i, &t);

		if (!n)
			return d->line_len != d->line_kept;
		if (n == 1 && t[0] == 'q')
			return true;
	}
}

static void call(const char *method, const char *outcome, uint64_t start, uint64_t end, bool error, bool fault,
		 wire_call_fn cb, void *arg)
{
	struct wire_call w = {
		.protocol = "memcached",
		.method = method,
		.outcome = outcome,
		.target = "",
		.authority = "",
		.traceparent = "",
		.error = error,
		.server_fault = fault,
		.start_ns = start,
		.end_ns = end,
	};

	cb(arg, &w);
}

static int push(struct mc_conn *c, const char *name, enum mc_shape shape)
{
	struct mc_pending *p = ring_fifo_push(&c->fifo, sizeof(*p), MC_FIFO_MAX, &c->skip_replies);

	if (!p)
		return -ENOMEM;
	p->start_ns = c->req_start_ns;
	p->shape = shape;
	p->hit = false;
	snprintf(p->method, sizeof(p->method), "%s", name);
	return 0;
}

/* A complete request line. */
static int request_line(struct mc_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct mc_dir *d = &c->dir[WIRE_REQUEST];
	const char *name, *bytes;
	size_t n = token(d, 0, &name), i;
	uint64_t len = 0;

	if (!n && d->line_len <= 2)
		return 0; /* a blank line: memcached ignores it */
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strlen(commands[i].name) == n && !memcmp(commands[i].name, name, n))
			break;
	/* An unknown command is answered ERROR, a line. */
	if (i == sizeof(commands) / sizeof(commands[0]))
		return push(c, "_OTHER", MC_LINE);
	if (name[0] == 'm' && n == 2 && meta_quiet(d))
		return -EBADMSG;
	if (commands[i].storage) {
		/* set KEY FLAGS EXPTIME BYTES [CAS] [noreply]; ms KEY DATALEN FLAGS */
		size_t bn = token(d, name[0] == 'm' ? 2 : 4, &bytes);

		if (parse_len(bytes, bn, &len))
			return -EBADMSG;
		d->data_left = len + 2;
	}
	if (last_token_is(d, "noreply")) {
		call(commands[i].name, NULL, c->req_start_ns, ts, false, false, cb, arg);
		return 0;
	}
	return push(c, commands[i].name, commands[i].shape);
}

static int reply_done(struct mc_conn *c, uint64_t ts, bool error, bool fault, wire_call_fn cb, void *arg)
{
	struct mc_pending *p;

	if (!c->fifo.len)
		return 0; /* a response to a command from before we joined */
	if (c->skip_replies) {
		c->skip_replies--;
	} else {
		p = oldest(c);
		call(p->method,
		     !error && (p->shape == MC_RETRIEVAL || p->shape == MC_META_GET) ? (p->hit ? "hit" : "miss") : NULL,
		     p->start_ns, ts, error, fault, cb, arg);
	}
	c->fifo.head = (c->fifo.head + 1) % c->fifo.cap;
	c->fifo.len--;
	return 0;
}

/* A complete response line, for the oldest command. */
static int response_line(struct mc_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct mc_dir *d = &c->dir[WIRE_RESPONSE];
	enum mc_shape shape = c->fifo.len ? oldest(c)->shape : MC_LINE;
	bool error = token_is(d, 0, "ERROR") || token_is(d, 0, "CLIENT_ERROR");
	bool fault = token_is(d, 0, "SERVER_ERROR");
	const char *t;
	size_t n;
	uint64_t len;

	if (error || fault)
		return reply_done(c, ts, true, fault, cb, arg);
	if (token_is(d, 0, "VALUE") && shape == MC_RETRIEVAL) {
		oldest(c)->hit = true;
		n = token(d, 3, &t);
		if (parse_len(t, n, &len))
			return -EBADMSG;
		d->data_left = len + 2;
		return 0;
	}
	if (token_is(d, 0, "VA") && shape == MC_META_GET) {
		oldest(c)->hit = true;
		n = token(d, 1, &t);
		if (parse_len(t, n, &len))
			return -EBADMSG;
		/* The value's end is the call's: counted down, then done. */
		d->data_left = len + 2;
		return 0;
	}
	if (shape == MC_RETRIEVAL || shape == MC_STATS) {
		if (token_is(d, 0, "END") || (shape == MC_STATS && (token_is(d, 0, "OK") || token_is(d, 0, "RESET"))))
			return reply_done(c, ts, false, false, cb, arg);
		if (shape == MC_RETRIEVAL)
			return -EBADMSG;
		return 0; /* STAT lines */
	}
	return reply_done(c, ts, false, false, cb, arg);
}

/* Bytes of a data block, counted down; 1 when it ends. */
static int count_data(struct mc_dir *d, uint64_t *n)
{
	uint64_t take = *n < d->data_left ? *n : d->data_left;

	d->data_left -= take;
	*n -= take;
	return !d->data_left;
}

static int mc_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		   void *arg)
{
	struct mc_conn *c = conn;
	struct mc_dir *d = &c->dir[dir];
	size_t i = 0;
	int ret;

	while (i < len) {
		if (d->data_left) {
			uint64_t n = len - i, before = n;

			if (count_data(d, &n) && dir == WIRE_RESPONSE && c->fifo.len &&
			    oldest(c)->shape == MC_META_GET && (ret = reply_done(c, ts_ns, false, false, cb, arg)))
				return ret;
			i += (size_t)(before - n);
			continue;
		}
		if (dir == WIRE_REQUEST && !d->line_len)
			c->req_start_ns = ts_ns;
		for (; i < len; i++) {
			uint8_t ch = buf[i];

			if (d->line_kept < MC_LINE_KEEP)
				d->line[d->line_kept++] = (char)ch;
			if (++d->line_len > MC_LINE_MAX)
				return -EBADMSG;
			if (ch == '\n')
				break;
		}
		if (i == len)
			break;
		i++;
		ret = dir == WIRE_REQUEST ? request_line(c, ts_ns, cb, arg) : response_line(c, ts_ns, cb, arg);
		d->line_len = d->line_kept = 0;
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Bytes not captured: a data block's are counted down; a value's lost
 * end is its call's when only the END line (five bytes) is missing
 * besides. Lines lost otherwise cannot be framed again. */
static int mc_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct mc_conn *c = conn;
	struct mc_dir *d = &c->dir[dir];
	enum mc_shape shape = c->fifo.len ? oldest(c)->shape : MC_LINE;

	if (d->line_len)
		return -EBADMSG;
	if (d->data_left && count_data(d, &n) && dir == WIRE_RESPONSE && shape == MC_META_GET)
		reply_done(c, ts_ns, false, false, cb, arg);
	if (!n)
		return 0;
	if (dir == WIRE_RESPONSE && shape == MC_RETRIEVAL && n == 5)
		return reply_done(c, ts_ns, false, false, cb, arg);
	return -EBADMSG;
}

const struct wire_parser memcached_parser = {
	.name = "memcached",
	.create = mc_create,
	.destroy = mc_destroy,
	.feed = mc_feed,
	.gap = mc_gap,
};
