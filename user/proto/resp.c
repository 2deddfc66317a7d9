// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Redis RESP2 and RESP3 on both directions of a connection. Commands are
 * queued as they are read, since clients pipeline, and each complete
 * top-level reply pairs with the oldest. Streaming: only the first bytes
 * of a line are kept and bulk payloads are counted down, never buffered.
 * A reply whose bytes were lost unframed costs that reply alone. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"
#include "proto/wire.h"

#define RESP_MAX_LEN (512ll << 20) /* Redis's default proto-max-bulk-len */
#define RESP_MAX_DEPTH 32
#define RESP_FIFO_MAX 1024
#define RESP_METHOD_MAX 32
/* Enough for a length, an error's first word or an inline command's. */
#define RESP_LINE_KEEP 40
#define RESP_INLINE_MAX (64 * 1024) /* Redis's own limit on inline commands */

/* The framing state of one direction: in a line or in a bulk payload. */
struct resp_dir {
	bool in_bulk;
	uint64_t bulk_left; /* payload bytes left, plus 2 for its CRLF */
	bool capturing; /* keep the payload's first bytes in word */
	char word[RESP_METHOD_MAX];
	size_t word_len;
	char line[RESP_LINE_KEEP];
	size_t line_len; /* bytes of the line so far, kept or not */
	size_t line_kept;
	size_t line_max; /* longest line its type allows */
	bool skip_blanks; /* inline command: leading blanks are not kept */
};

struct resp_pending {
	uint64_t start_ns;
	char method[RESP_METHOD_MAX + 1];
};

struct resp_frame {
	uint64_t left; /* elements still to come */
	bool attribute; /* precedes a value and is not one */
};

struct resp_conn {
	struct resp_dir dir[2];
	/* Request side. */
	bool req_inline;
	uint64_t req_elems_left; /* bulk strings left in the command; 0: between commands */
	bool req_name_next; /* the next bulk string is the command name */
	uint64_t req_start_ns;
	/* Response side: the open aggregates and what the top-level reply is. */
	struct resp_frame stack[RESP_MAX_DEPTH];
	unsigned int depth;
	bool reply_push, reply_error, reply_fault;
	bool reply_unknown; /* "ERR unknown command": the name is no label */
	/* Commands awaiting replies, a ring that grows up to RESP_FIFO_MAX. */
	struct ring_fifo fifo;
	uint64_t skip_replies; /* replies owed to commands dropped from a full FIFO */
	/* Reply bytes were lost where they cannot be counted down: the
	 * response side waits for the client's next command. */
	bool reply_lost;
};

static struct resp_pending *oldest(struct resp_conn *c)
{
	return (struct resp_pending *)c->fifo.slots + c->fifo.head;
}

static void *resp_create(void)
{
	return calloc(1, sizeof(struct resp_conn));
}

static void resp_destroy(void *conn)
{
	struct resp_conn *c = conn;

	if (c)
		free(c->fifo.slots);
	free(c);
}

/* When full, the oldest command is dropped and its reply, which comes
 * first, is skipped: pairing stays exact and memory bounded. */
static int fifo_push(struct resp_conn *c, const char *name, size_t n)
{
	struct resp_pending *p = ring_fifo_push(&c->fifo, sizeof(*p), RESP_FIFO_MAX, &c->skip_replies);

	if (!p)
		return -ENOMEM;
	p->start_ns = c->req_start_ns;
	if (n > RESP_METHOD_MAX)
		n = RESP_METHOD_MAX;
	/* Upper case; bytes that could not be a label are masked. */
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (ch <= ' ' || ch > '~')
			ch = '?';
		p->method[i] = ch;
	}
	p->method[n] = 0;
	return 0;
}

/* A length after a type byte: -1 (null) or 0..RESP_MAX_LEN. */
static int parse_len(const struct resp_dir *d, int64_t *out)
{
	size_t n = d->line_kept;
	int64_t v = 0;

	if (n && d->line[n - 1] == '\r')
		n--;
	if (n == 3 && d->line[1] == '-' && d->line[2] == '1') {
		*out = -1;
		return 0;
	}
	if (n < 2)
		return -EBADMSG;
	for (size_t i = 1; i < n; i++) {
		if (d->line[i] < '0' || d->line[i] > '9')
			return -EBADMSG;
		v = v * 10 + (d->line[i] - '0');
		if (v > RESP_MAX_LEN)
			return -EBADMSG;
	}
	*out = v;
	return 0;
}

static size_t first_word_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
		i++;
	return i;
}

static bool is_server_fault(const char *msg, size_t n)
{
	static const char *const faults[] = { "LOADING", "BUSY", "MASTERDOWN", "OOM", "TRYAGAIN", "CLUSTERDOWN" };

	n = first_word_len(msg, n);
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (strlen(faults[i]) == n && !memcmp(msg, faults[i], n))
			return true;
	return false;
}

static void start_bulk(struct resp_dir *d, int64_t n, bool capture)
{
	d->in_bulk = true;
	d->bulk_left = (uint64_t)n + 2;
	d->capturing = capture;
	if (capture)
		d->word_len = 0;
}

static int reply_done(struct resp_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct resp_pending *p;

	/* Pushes are out of band; a reply with no command is from before we joined. */
	if (c->reply_push || !c->fifo.len)
		return 0;
	if (c->skip_replies) {
		c->skip_replies--;
		return 0;
	}
	p = oldest(c);
	c->fifo.head = (c->fifo.head + 1) % c->fifo.cap;
	c->fifo.len--;
	struct wire_call call = {
		.protocol = "redis",
		.method = c->reply_unknown ? "_OTHER" : p->method,
		.target = "",
		.authority = "",
		.traceparent = "",
		.status = 0,
		.error = c->reply_error,
		.server_fault = c->reply_fault,
		.start_ns = p->start_ns,
		.end_ns = ts,
	};
	cb(arg, &call);
	return 0;
}

/* A value ended: it fills a slot of its aggregate, which may end in turn. */
static int value_done(struct resp_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	while (c->depth) {
		struct resp_frame *f = &c->stack[c->depth - 1];

		if (--f->left)
			return 0;
		c->depth--;
		if (f->attribute)
			return 0;
	}
	return reply_done(c, ts, cb, arg);
}

static void begin_value(struct resp_conn *c, char type)
{
	if (c->depth)
		return;
	c->reply_error = type == '-' || type == '!';
	c->reply_push = type == '>';
	c->reply_fault = false;
	c->reply_unknown = false;
}

static int response_line(struct resp_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct resp_dir *d = &c->dir[WIRE_RESPONSE];
	char type = d->line[0];
	int64_t n;
	int ret;

	switch (type) {
	case '-':
		begin_value(c, type);
		if (!c->depth) {
			c->reply_fault = is_server_fault(d->line + 1, d->line_kept - 1);
			c->reply_unknown = d->line_kept >= 20 && !memcmp(d->line + 1, "ERR unknown command", 19);
		}
		return value_done(c, ts, cb, arg);
	case '+':
	case ':':
	case ',':
	case '#':
	case '(':
	case '_':
		begin_value(c, type);
		return value_done(c, ts, cb, arg);
	case '$':
	case '=':
	case '!':
		ret = parse_len(d, &n);
		if (ret)
			return ret;
		begin_value(c, type);
		if (n < 0)
			return value_done(c, ts, cb, arg);
		/* A top-level blob error's first word says whose fault it is. */
		start_bulk(d, n, type == '!' && !c->depth);
		return 0;
	default: /* aggregates, the only other types begin_line lets through */
		ret = parse_len(d, &n);
		if (ret)
			return ret;
		if (n > 0 && (type == '%' || type == '|'))
			n *= 2;
		if (type != '|')
			begin_value(c, type);
		if (n <= 0)
			return type == '|' ? 0 : value_done(c, ts, cb, arg);
		if (c->depth == RESP_MAX_DEPTH)
			return -EBADMSG;
		c->stack[c->depth++] = (struct resp_frame){ .left = (uint64_t)n, .attribute = type == '|' };
		return 0;
	}
}

static int request_line(struct resp_conn *c)
{
	struct resp_dir *d = &c->dir[WIRE_REQUEST];
	int64_t n;
	int ret;

	if (c->req_inline) {
		size_t len = first_word_len(d->line, d->line_kept);

		/* An empty line gets no reply. */
		return len ? fifo_push(c, d->line, len) : 0;
	}
	ret = parse_len(d, &n);
	if (ret)
		return ret;
	if (!c->req_elems_left) {
		/* Redis ignores empty and null command arrays. */
		c->req_elems_left = n > 0 ? (uint64_t)n : 0;
		c->req_name_next = true;
		return 0;
	}
	if (d->line[0] != '$' || n < 0)
		return -EBADMSG;
	start_bulk(d, n, c->req_name_next);
	return 0;
}

static int request_bulk_done(struct resp_conn *c)
{
	struct resp_dir *d = &c->dir[WIRE_REQUEST];

	c->req_name_next = false;
	if (--c->req_elems_left)
		return 0;
	return fifo_push(c, d->word, d->word_len);
}

/* The first byte of a line says how long it may be and how it is kept. */
static int begin_line(struct resp_conn *c, enum wire_dir dir, uint8_t b, uint64_t ts)
{
	struct resp_dir *d = &c->dir[dir];

	d->skip_blanks = false;
	d->line_max = RESP_LINE_KEEP;
	if (dir == WIRE_REQUEST) {
		if (c->req_elems_left)
			return 0;
		c->req_start_ns = ts;
		c->req_inline = b != '*';
		if (c->req_inline) {
			d->skip_blanks = true;
			d->line_max = RESP_INLINE_MAX;
		}
		return 0;
	}
	if (b && strchr("+-:,#(_", b))
		d->line_max = SIZE_MAX; /* content lines are skipped, not kept */
	else if (!b || !strchr("$=!*~>%|", b))
		return -EBADMSG;
	return 0;
}

static int feed_line(struct resp_conn *c, enum wire_dir dir, const uint8_t *buf, size_t len, size_t *used, uint64_t ts,
		     wire_call_fn cb, void *arg)
{
	struct resp_dir *d = &c->dir[dir];
	size_t i;
	int ret;

	for (i = 0; i < len; i++) {
		uint8_t b = buf[i];

		if (!d->line_len) {
			ret = begin_line(c, dir, b, ts);
			if (ret)
				return ret;
		}
		if (b == '\n') {
			*used = i + 1;
			if (dir == WIRE_REQUEST)
				ret = request_line(c);
			else
				ret = response_line(c, ts, cb, arg);
			d->line_len = d->line_kept = 0;
			return ret;
		}
		if (d->line_len == d->line_max)
			return -EBADMSG;
		d->line_len++;
		if (d->skip_blanks && !d->line_kept && (b == ' ' || b == '\t'))
			continue;
		if (d->line_kept < RESP_LINE_KEEP)
			d->line[d->line_kept++] = (char)b;
	}
	*used = len;
	return 0;
}

static int feed_bulk(struct resp_conn *c, enum wire_dir dir, const uint8_t *buf, size_t len, size_t *used, uint64_t ts,
		     wire_call_fn cb, void *arg)
{
	struct resp_dir *d = &c->dir[dir];

	if (d->bulk_left > 2) {
		size_t take = len < d->bulk_left - 2 ? len : (size_t)(d->bulk_left - 2);

		if (d->capturing) {
			size_t room = RESP_METHOD_MAX - d->word_len;
			size_t n = take < room ? take : room;

			memcpy(d->word + d->word_len, buf, n);
			d->word_len += n;
			d->capturing = d->word_len < RESP_METHOD_MAX;
		}
		d->bulk_left -= take;
		*used = take;
		return 0;
	}
	*used = 1;
	if (buf[0] != "\r\n"[2 - d->bulk_left])
		return -EBADMSG;
	if (--d->bulk_left)
		return 0;
	d->in_bulk = false;
	d->capturing = false;
	if (dir == WIRE_REQUEST)
		return request_bulk_done(c);
	if (!c->depth && c->reply_error)
		c->reply_fault = is_server_fault(d->word, d->word_len);
	return value_done(c, ts, cb, arg);
}

/* Reply bytes lost where they cannot be counted down (inside a big
 * array, COMMAND DOCS's): the call in flight ends with them, the replies
 * owed to the commands sent after it are given up, and the response side
 * starts over with the reply to the client's next command. */
static int reply_lost(struct resp_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	c->depth = 0;
	c->reply_push = false;
	reply_done(c, ts, cb, arg);
	c->fifo.head = c->fifo.len = 0;
	c->skip_replies = 0;
	memset(&c->dir[WIRE_RESPONSE], 0, sizeof(c->dir[WIRE_RESPONSE]));
	c->reply_lost = true;
	return WIRE_RESYNCED;
}

static int resp_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		     void *arg)
{
	struct resp_conn *c = conn;
	size_t used;
	int ret;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	if (c->reply_lost) {
		if (dir == WIRE_RESPONSE)
			return 0;
		c->reply_lost = false;
	}
	while (len) {
		if (c->dir[dir].in_bulk)
			ret = feed_bulk(c, dir, buf, len, &used, ts_ns, cb, arg);
		else
			ret = feed_line(c, dir, buf, len, &used, ts_ns, cb, arg);
		if (ret)
			return ret;
		buf += used;
		len -= used;
	}
	return 0;
}

/* Lost bytes are counted down inside a payload nobody reads. They may
 * run to its end: its CRLF is taken as sent, and the value ends there.
 * Lost elsewhere in a reply, they cost that reply; elsewhere in a
 * command, the connection. */
static int resp_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct resp_conn *c = conn;
	struct resp_dir *d;
	uint64_t payload;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	d = &c->dir[dir];
	if (!n || (dir == WIRE_RESPONSE && c->reply_lost))
		return 0;
	if (!d->in_bulk || d->capturing || n > d->bulk_left)
		return dir == WIRE_RESPONSE ? reply_lost(c, ts_ns, cb, arg) : -EBADMSG;
	payload = d->bulk_left > 2 ? d->bulk_left - 2 : 0;
	if (n <= payload) {
		d->bulk_left -= n;
		return 0;
	}
	d->bulk_left -= payload;
	return resp_feed(c, dir, (const uint8_t *)&"\r\n"[2 - d->bulk_left], (size_t)(n - payload), ts_ns, cb, arg);
}

const struct wire_parser resp_parser = {
	.name = "redis",
	.create = resp_create,
	.destroy = resp_destroy,
	.feed = resp_feed,
	.gap = resp_gap,
};
