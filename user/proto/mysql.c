// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* MySQL's and MariaDB's client/server protocol on both directions of a
 * connection: from the client's handshake response (the server's greeting
 * moves before the kernel knows the protocol) or, on a connection older
 * than sonde, from a command. Every command the server answers is a call,
 * paired in order: a query (text or a prepared statement's execution) ends
 * at its last result's OK, EOF or ERR, past the result sets a flag says
 * more follow; a prepare ends after its definitions, and remembers the
 * statement's verb by its id. Streaming: only a packet's head is kept, the
 * rest is counted down, so rows the kernel did not capture cost nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"
#include "proto/sql.h"
#include "proto/wire.h"

#define MY_PACKET_MAX 0xffffffu /* a payload this long goes on in the next packet */
#define MY_QUERY_HEAD 4096 /* enough for comments and the first word */
#define MY_REPLY_HEAD 32 /* OK: a header, two length-encoded ints, status */
#define MY_FIFO_MAX 1024

/* Capability flags of the client's handshake response. */
#define CLIENT_COMPRESS 0x20u
#define CLIENT_PROTOCOL_41 0x200u
#define CLIENT_SSL 0x800u
#define CLIENT_DEPRECATE_EOF 0x1000000u
#define CLIENT_QUERY_ATTRIBUTES 0x8000000u
/* Server status flags of OK and EOF packets. */
#define SERVER_MORE_RESULTS_EXISTS 0x8u
#define SERVER_STATUS_CURSOR_EXISTS 0x40u
#define MY_PROGRESS 0xffffu /* MariaDB's progress report: an ERR that is none */

#define COM_QUIT 0x01
#define COM_QUERY 0x03
#define COM_CHANGE_USER 0x11
#define COM_STMT_PREPARE 0x16
#define COM_STMT_EXECUTE 0x17
#define COM_STMT_CLOSE 0x19

/* What ends the server's answer to a command. */
enum my_shape {
	MY_RESULT, /* OK, ERR, or result sets: definitions, rows, EOF or OK */
	MY_ROWS, /* a cursor's fetch: rows, then EOF or OK */
	MY_PREPARE, /* the prepare's OK and its definitions, or ERR */
	MY_FIELDS, /* definitions up to EOF, or ERR */
	MY_ONE, /* any one packet */
	MY_AUTH, /* an authentication exchange, up to OK or ERR */
	MY_NONE, /* nothing: a call at once, unpaired */
};

/* Where a result is. */
enum my_step {
	MY_FIRST, /* its first packet: OK, ERR, or a column count */
	MY_DEFS, /* column (or parameter) definitions */
	MY_DEFS_EOF, /* the EOF that may end the definitions */
	MY_BODY, /* rows */
};

static const struct {
	uint8_t code;
	const char *name; /* as the server's Com_ counters name it, upper case */
	enum my_shape shape;
} commands[] = {
	{ 0x02, "INIT_DB", MY_ONE },
	{ 0x04, "FIELD_LIST", MY_FIELDS },
	{ 0x05, "CREATE_DB", MY_ONE },
	{ 0x06, "DROP_DB", MY_ONE },
	{ 0x07, "REFRESH", MY_ONE },
	{ 0x08, "SHUTDOWN", MY_ONE },
	{ 0x09, "STATISTICS", MY_ONE },
	{ 0x0a, "PROCESS_INFO", MY_RESULT },
	{ 0x0c, "PROCESS_KILL", MY_ONE },
	{ 0x0d, "DEBUG", MY_ONE },
	{ 0x0e, "PING", MY_ONE },
	{ 0x11, "CHANGE_USER", MY_AUTH },
	{ 0x16, "STMT_PREPARE", MY_PREPARE },
	{ 0x18, "STMT_SEND_LONG_DATA", MY_NONE },
	{ 0x19, "STMT_CLOSE", MY_NONE },
	{ 0x1a, "STMT_RESET", MY_ONE },
	{ 0x1b, "SET_OPTION", MY_ONE },
	{ 0x1c, "STMT_FETCH", MY_ROWS },
	{ 0x1f, "RESET_CONNECTION", MY_ONE },
	{ 0xfa, "STMT_BULK_EXECUTE", MY_RESULT },
};

/* One direction: a packet's 4-byte header being read, then its payload. */
struct my_dir {
	uint8_t hdr[4];
	size_t hdr_len;
	bool in_body;
	bool cont; /* this packet goes on with the last one's payload */
	bool next_cont;
	uint32_t len;
	uint8_t seq;
	struct wire_body body; /* its first bytes kept in head */
	uint64_t start_ns;
	uint8_t head[MY_QUERY_HEAD];
};

struct my_pending {
	uint64_t start_ns;
	enum my_shape shape;
	enum my_step step;
	uint32_t defs_left;
	uint32_t then_defs; /* a prepare's column definitions, after its parameters' */
	bool error, fault;
	char verb[SQL_VERB_MAX + 1];
	char prepared[SQL_VERB_MAX + 1]; /* a prepare's: its statement's verb */
};

struct my_conn {
	struct my_dir dir[2];
	bool commands; /* past the handshake: the client's packets are commands */
	bool handshaken; /* the client's handshake response was read */
	int deprecate_eof; /* -1 not known yet (a joined connection), else 0 or 1 */
	uint32_t caps;
	struct sql_names stmts; /* verbs by statement id */
	char last_prepared[SQL_VERB_MAX + 1]; /* for MariaDB's id -1, the last prepared */
	struct ring_fifo fifo;
	uint64_t skip_replies; /* answers owed to commands dropped from a full FIFO */
	/* Bytes were lost across packet heads: the client's packets are given
	 * up until the server answers, the server's until the client's next
	 * command. */
	bool req_lost, resp_lost;
	/* Bytes were lost in the answer to the one command in flight: it
	 * ends with the server's last bytes before the client's next
	 * command, the client waiting for all of it. */
	bool resp_dark;
	uint64_t dark_ns;
};

static void *my_create(void)
{
	struct my_conn *c = calloc(1, sizeof(*c));

	if (c)
		c->deprecate_eof = -1;
	return c;
}

/* A connection past its handshake, older than sonde. */
static void *my_create_joined(void)
{
	struct my_conn *c = my_create();

	if (c)
		c->commands = c->handshaken = true;
	return c;
}

static void my_destroy(void *conn)
{
	struct my_conn *c = conn;

	if (c) {
		sql_names_free(&c->stmts);
		free(c->fifo.slots);
	}
	free(c);
}

static uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | le16(p + 2) << 16;
}

/* A length-encoded integer at *pos of n bytes; false when cut or NULL. */
static bool lenenc(const uint8_t *p, size_t n, size_t *pos, uint64_t *v)
{
	size_t i = *pos, w;

	if (i >= n)
		return false;
	if (p[i] < 0xfb) {
		*v = p[i];
		*pos = i + 1;
		return true;
	}
	w = p[i] == 0xfc ? 2 : p[i] == 0xfd ? 3 : p[i] == 0xfe ? 8 : 0;
	if (!w || i + 1 + w > n)
		return false;
	*v = 0;
	for (size_t k = 0; k < w; k++)
		*v |= (uint64_t)p[i + 1 + k] << (8 * k);
	*pos = i + 1 + w;
	return true;
}

static struct my_pending *oldest(struct my_conn *c)
{
	return c->fifo.len ? (struct my_pending *)c->fifo.slots + c->fifo.head : NULL;
}

static void pop(struct my_conn *c)
{
	c->fifo.head = (c->fifo.head + 1) & (c->fifo.cap - 1);
	c->fifo.len--;
}

static void call(const char *verb, uint64_t start, uint64_t end, bool error, bool fault, bool unpaired, wire_call_fn cb,
		 void *arg)
{
	struct wire_call w = {
		.protocol = "mysql",
		.method = verb,
		.target = "",
		.authority = "",
		.traceparent = "",
		.error = error,
		.server_fault = fault,
		.unpaired = unpaired,
		.start_ns = start,
		.end_ns = end,
	};

	cb(arg, &w);
}

/* The oldest command is answered: a call, but for the handshake's
 * authentication, which has no verb. */
static void done(struct my_conn *c, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct my_pending *p = oldest(c);

	if (p->verb[0])
		call(p->verb, p->start_ns, ts, p->error, p->fault, false, cb, arg);
	pop(c);
}

static struct my_pending *push(struct my_conn *c, const struct my_dir *d, enum my_shape shape, const char *verb)
{
	struct my_pending *p = ring_fifo_push(&c->fifo, sizeof(*p), MY_FIFO_MAX, &c->skip_replies);

	if (!p)
		return NULL;
	*p = (struct my_pending){ .start_ns = d->start_ns, .shape = shape };
	snprintf(p->verb, sizeof(p->verb), "%s", verb);
	return p;
}

static int push_call(struct my_conn *c, const struct my_dir *d, enum my_shape shape, const char *verb)
{
	return push(c, d, shape, verb) ? 0 : -ENOMEM;
}

/* A query's text, past the attributes a MySQL 8 client may put first:
 * with any, its verb is not read. */
static void query_verb(const struct my_conn *c, const struct my_dir *d, char *verb)
{
	size_t pos = 1;
	uint64_t n = 0, sets = 0;

	if (c->caps & CLIENT_QUERY_ATTRIBUTES) {
		if (!lenenc(d->head, d->body.head_len, &pos, &n) || !lenenc(d->head, d->body.head_len, &pos, &sets) ||
		    n) {
			strcpy(verb, "UNKNOWN");
			return;
		}
	}
	sql_verb(&sql_mysql, (const char *)d->head + pos, d->body.head_len - pos, verb);
}

static const char *statement_verb(struct my_conn *c, const struct my_dir *d)
{
	uint32_t id;
	const char *verb;

	if (d->body.head_len < 5)
		return "UNKNOWN";
	id = le32(d->head + 1);
	if (id == 0xffffffffu && c->last_prepared[0])
		return c->last_prepared;
	verb = sql_names_find(&c->stmts, id);
	/* Closed, evicted, or prepared before sonde saw the connection. */
	return verb ? verb : "UNKNOWN";
}

/* The handshake response, or the SSL request before TLS. */
static int handshake_response(struct my_conn *c, const struct my_dir *d)
{
	if (d->body.head_len < 32 || (d->seq != 1 && d->seq != 2))
		return -EBADMSG;
	c->caps = le32(d->head);
	if (!(c->caps & CLIENT_PROTOCOL_41))
		return -EBADMSG;
	/* Compressed packets are not read here. */
	if (c->caps & CLIENT_COMPRESS)
		return -EPROTONOSUPPORT;
	c->deprecate_eof = !!(c->caps & CLIENT_DEPRECATE_EOF);
	if (d->len == 32 && (c->caps & CLIENT_SSL))
		return 0;
	c->handshaken = true;
	return push_call(c, d, MY_AUTH, "");
}

static int client_packet(struct my_conn *c, const struct my_dir *d, wire_call_fn cb, void *arg)
{
	char verb[SQL_VERB_MAX + 1];
	struct my_pending *p;
	uint8_t code;

	if (!c->handshaken)
		return handshake_response(c, d);
	/* Authentication data, a file's rows for LOAD DATA LOCAL INFILE, the
	 * rest of a long payload: no command. */
	if (!c->commands || d->seq || d->cont)
		return 0;
	if (!d->body.head_len)
		return -EBADMSG;
	code = d->head[0];
	switch (code) {
	case COM_QUIT:
		return 0;
	case COM_QUERY:
		query_verb(c, d, verb);
		return push_call(c, d, MY_RESULT, verb);
	case COM_STMT_PREPARE:
		sql_verb(&sql_mysql, (const char *)d->head + 1, d->body.head_len - 1, verb);
		snprintf(c->last_prepared, sizeof(c->last_prepared), "%s", verb);
		p = push(c, d, MY_PREPARE, "STMT_PREPARE");
		if (!p)
			return -ENOMEM;
		strcpy(p->prepared, verb);
		return 0;
	case COM_STMT_EXECUTE:
		return push_call(c, d, MY_RESULT, statement_verb(c, d));
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].code != code)
			continue;
		if (commands[i].shape == MY_NONE) {
			call(commands[i].name, d->start_ns, d->start_ns, false, false, true, cb, arg);
			return 0;
		}
		if (code == COM_CHANGE_USER)
			c->commands = false;
		return push_call(c, d, commands[i].shape, commands[i].name);
	}
	return push_call(c, d, MY_ONE, "_OTHER");
}

/* Error codes the server, not the client, is to blame for: it is out of
 * room, memory, threads or connections, shutting down, its storage
 * failed, or a statement ran past its time limit; and SQLSTATE class 08,
 * the connection's. */
static bool error_is_server_fault(const struct my_dir *d)
{
	static const uint16_t codes[] = {
		1021, /* ER_DISK_FULL */
		1030, /* ER_GET_ERRNO: from the storage engine */
		1037, /* ER_OUTOFMEMORY */
		1038, /* ER_OUT_OF_SORTMEMORY */
		1040, /* ER_CON_COUNT_ERROR */
		1041, /* ER_OUT_OF_RESOURCES */
		1053, /* ER_SERVER_SHUTDOWN */
		1114, /* ER_RECORD_FILE_FULL */
		1135, /* ER_CANT_CREATE_THREAD */
		1180, /* ER_ERROR_DURING_COMMIT */
		1181, /* ER_ERROR_DURING_ROLLBACK */
		1927, /* ER_CONNECTION_KILLED */
		1969, /* ER_STATEMENT_TIMEOUT (MariaDB) */
		3024, /* ER_QUERY_TIMEOUT (MySQL) */
	};
	uint32_t code = le16(d->head + 1);

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (code == codes[i])
			return true;
	return d->body.head_len >= 6 && d->head[3] == '#' && d->head[4] == '0' && d->head[5] == '8';
}

/* The status flags of an OK (header 0 or 0xfe) or EOF packet. */
static uint32_t status_flags(const struct my_dir *d)
{
	size_t pos = 1;
	uint64_t v;

	if (d->head[0] == 0xfe && d->len < 9)
		return d->body.head_len >= 5 ? le16(d->head + 3) : 0;
	if (!lenenc(d->head, d->body.head_len, &pos, &v) || !lenenc(d->head, d->body.head_len, &pos, &v) ||
	    pos + 2 > d->body.head_len)
		return 0;
	return le16(d->head + pos);
}

static bool is_eof(const struct my_dir *d)
{
	return d->body.head_len && d->head[0] == 0xfe && d->len < 9;
}

/* Rows end at EOF or, when EOF is deprecated, at an OK with EOF's header:
 * a row starting so holds a string of 16 MiB or more. */
static bool ends_rows(const struct my_conn *c, const struct my_dir *d)
{
	return d->body.head_len && d->head[0] == 0xfe && (d->len < 9 || (c->deprecate_eof && d->len < MY_PACKET_MAX));
}

/* A result ends the call unless more results follow. */
static void result_end(struct my_conn *c, struct my_pending *p, const struct my_dir *d, uint64_t ts, wire_call_fn cb,
		       void *arg)
{
	if (status_flags(d) & SERVER_MORE_RESULTS_EXISTS) {
		p->step = MY_FIRST;
		return;
	}
	done(c, ts, cb, arg);
}

/* The definitions are over: a prepare's next group, or a result's rows. */
static void defs_end(struct my_conn *c, struct my_pending *p, uint64_t ts, wire_call_fn cb, void *arg)
{
	if (p->shape == MY_PREPARE && p->then_defs) {
		p->defs_left = p->then_defs;
		p->then_defs = 0;
		p->step = MY_DEFS;
	} else if (p->shape == MY_PREPARE || p->shape == MY_FIELDS) {
		done(c, ts, cb, arg);
	} else {
		p->step = MY_BODY;
	}
}

static int prepare_ok(struct my_conn *c, struct my_pending *p, const struct my_dir *d, uint64_t ts, wire_call_fn cb,
		      void *arg)
{
	uint32_t columns, params;
	int ret;

	if (d->body.head_len < 9)
		return -EBADMSG;
	ret = sql_names_put(&c->stmts, le32(d->head + 1), p->prepared);
	if (ret)
		return ret;
	columns = le16(d->head + 5);
	params = le16(d->head + 7);
	p->defs_left = params ? params : columns;
	p->then_defs = params ? columns : 0;
	p->step = MY_DEFS;
	if (!p->defs_left)
		done(c, ts, cb, arg);
	return 0;
}

/* The first packet of a result, or of any answer. */
static int first_packet(struct my_conn *c, struct my_pending *p, const struct my_dir *d, uint64_t ts, wire_call_fn cb,
			void *arg)
{
	uint8_t h = d->head[0];
	size_t pos = 0;
	uint64_t n;

	if (h == 0xff) {
		p->error = true;
		p->fault |= error_is_server_fault(d);
		if (p->shape == MY_AUTH)
			c->commands = true;
		done(c, ts, cb, arg);
		return 0;
	}
	switch (p->shape) {
	case MY_ONE:
		done(c, ts, cb, arg);
		return 0;
	case MY_AUTH:
		/* An auth switch or more data: the client answers, and so on. */
		if (h == 0x00) {
			c->commands = true;
			done(c, ts, cb, arg);
		}
		return 0;
	case MY_PREPARE:
		return h == 0x00 ? prepare_ok(c, p, d, ts, cb, arg) : -EBADMSG;
	case MY_FIELDS:
		p->step = MY_DEFS;
		p->defs_left = UINT32_MAX;
		if (is_eof(d))
			done(c, ts, cb, arg);
		return 0;
	case MY_ROWS:
		p->step = MY_BODY;
		if (ends_rows(c, d))
			result_end(c, p, d, ts, cb, arg);
		return 0;
	default:
		break;
	}
	/* A result: OK, a request for a local file (its OK or ERR comes after
	 * the file), or a column count. */
	if (h == 0x00) {
		result_end(c, p, d, ts, cb, arg);
		return 0;
	}
	if (h == 0xfb)
		return 0;
	if (!lenenc(d->head, d->body.head_len, &pos, &n) || !n || n > 0xffff)
		return -EBADMSG;
	p->step = MY_DEFS;
	p->defs_left = (uint32_t)n;
	/* MariaDB's clients that cache metadata get a byte more: 0 when the
	 * definitions are left out. */
	if (pos < d->len && pos < d->body.head_len && !d->head[pos])
		p->step = c->deprecate_eof == 1 ? MY_BODY : MY_DEFS_EOF;
	return 0;
}

static int server_packet(struct my_conn *c, const struct my_dir *d, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct my_pending *p = oldest(c);

	if (d->cont || !d->body.head_len)
		return 0;
	/* MariaDB reports a long statement's progress as an ERR of its own. */
	if (d->head[0] == 0xff && d->body.head_len >= 3 && le16(d->head + 1) == MY_PROGRESS)
		return 0;
	if (!p)
		return 0; /* an answer to a command from before we joined */
	/* Commands dropped from a full FIFO: their answers are not told
	 * apart here, so pairing gives up. */
	if (c->skip_replies)
		return -ENOBUFS;
	switch (p->step) {
	case MY_FIRST:
		return first_packet(c, p, d, ts, cb, arg);
	case MY_DEFS:
		if (p->shape == MY_FIELDS && (is_eof(d) || d->head[0] == 0xff)) {
			p->error = d->head[0] == 0xff;
			done(c, ts, cb, arg);
		} else if (--p->defs_left == 0) {
			/* Definitions end with an EOF unless it is deprecated. */
			if (c->deprecate_eof != 1)
				p->step = MY_DEFS_EOF;
			else
				defs_end(c, p, ts, cb, arg);
		}
		return 0;
	case MY_DEFS_EOF:
		/* Not known: an EOF is 5 bytes, the OK that ends a result
		 * without one 7 or more, and a row never starts with 0xfe so. */
		if (c->deprecate_eof == -1) {
			c->deprecate_eof = !(is_eof(d) && d->len == 5);
			if (c->deprecate_eof) {
				/* This packet is the next step's. */
				defs_end(c, p, ts, cb, arg);
				return server_packet(c, d, ts, cb, arg);
			}
		}
		if (!is_eof(d))
			return -EBADMSG;
		if (p->shape != MY_PREPARE && (status_flags(d) & SERVER_STATUS_CURSOR_EXISTS))
			done(c, ts, cb, arg);
		else
			defs_end(c, p, ts, cb, arg);
		return 0;
	case MY_BODY:
		if (d->head[0] == 0xff) {
			p->error = true;
			p->fault |= error_is_server_fault(d);
			done(c, ts, cb, arg);
		} else if (ends_rows(c, d)) {
			result_end(c, p, d, ts, cb, arg);
		}
		return 0;
	}
	return 0;
}

static int packet_done(struct my_conn *c, enum wire_dir dir, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct my_dir *d = &c->dir[dir];
	int ret;

	ret = dir == WIRE_REQUEST ? client_packet(c, d, cb, arg) : server_packet(c, d, ts, cb, arg);
	d->cont = d->next_cont;
	return ret;
}

static void header_done(enum wire_dir dir, struct my_dir *d)
{
	size_t want = MY_REPLY_HEAD;

	d->len = d->hdr[0] | (uint32_t)d->hdr[1] << 8 | (uint32_t)d->hdr[2] << 16;
	d->seq = d->hdr[3];
	d->next_cont = d->len == MY_PACKET_MAX;
	if (dir == WIRE_REQUEST && !d->cont)
		want = MY_QUERY_HEAD;
	d->body.left = d->len;
	d->body.head_len = 0;
	d->body.head_want = want < d->len ? want : d->len;
	d->in_body = true;
}

/* A direction's next bytes start a packet. */
static void dir_reset(struct my_dir *d)
{
	d->hdr_len = 0;
	d->in_body = d->cont = false;
}

static int my_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		   void *arg)
{
	struct my_conn *c = conn;
	struct my_dir *d;
	int ret;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	if (dir == WIRE_RESPONSE && c->req_lost) {
		/* The server answers what was lost: what it owed goes with it. */
		c->req_lost = false;
		c->resp_lost = true;
		dir_reset(&c->dir[WIRE_RESPONSE]);
	}
	if (c->resp_dark) {
		if (dir == WIRE_RESPONSE) {
			c->dark_ns = ts_ns;
			return 0;
		}
		done(c, c->dark_ns, cb, arg);
		c->resp_dark = false;
	}
	if (dir == WIRE_REQUEST && c->resp_lost) {
		c->fifo.len = c->fifo.head = 0;
		c->skip_replies = 0;
		c->resp_lost = false;
	}
	if ((dir == WIRE_REQUEST && c->req_lost) || (dir == WIRE_RESPONSE && c->resp_lost))
		return 0;
	d = &c->dir[dir];
	for (;;) {
		if (d->in_body && !d->body.left) {
			d->in_body = false;
			d->hdr_len = 0;
			ret = packet_done(c, dir, ts_ns, cb, arg);
			if (ret)
				return ret;
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
		size_t take = len < 4 - d->hdr_len ? len : 4 - d->hdr_len;

		if (!d->hdr_len)
			d->start_ns = ts_ns;
		memcpy(d->hdr + d->hdr_len, buf, take);
		d->hdr_len += take;
		buf += take;
		len -= take;
		if (d->hdr_len == 4)
			header_done(dir, d);
	}
}

/* Bytes lost across packet heads, once past the handshake: a client's
 * cost its packets until the server answers, after which the client's
 * next write starts a command. A server's, in the answer to the one
 * command in flight (rows read more than 8 KiB at a time), cost nothing:
 * the client's next command ends it. Else they end the call in flight,
 * and the answers owed up to the client's next command are given up. */
static int my_lost(struct my_conn *c, enum wire_dir dir, uint64_t ts, wire_call_fn cb, void *arg)
{
	struct my_pending *p = oldest(c);

	if (!c->commands)
		return -EBADMSG;
	dir_reset(&c->dir[dir]);
	if (dir == WIRE_REQUEST) {
		c->req_lost = true;
		return WIRE_RESYNCED;
	}
	if (p && c->fifo.len == 1 && !c->skip_replies) {
		c->resp_dark = true;
		c->dark_ns = ts;
		return 0;
	}
	if (p && !c->skip_replies)
		done(c, ts, cb, arg);
	c->resp_lost = true;
	return WIRE_RESYNCED;
}

/* Lost bytes inside a payload nobody reads are counted down; a packet
 * they end completes at once. */
static int my_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct my_conn *c = conn;
	struct my_dir *d;

	if (dir != WIRE_REQUEST && dir != WIRE_RESPONSE)
		return -EINVAL;
	d = &c->dir[dir];
	if (dir == WIRE_RESPONSE && c->resp_dark) {
		c->dark_ns = ts_ns;
		return 0;
	}
	if (!n || (dir == WIRE_REQUEST && c->req_lost) || (dir == WIRE_RESPONSE && c->resp_lost))
		return 0;
	if (!d->in_body || !wire_body_skip(&d->body, n))
		return my_lost(c, dir, ts_ns, cb, arg);
	return my_feed(conn, dir, NULL, 0, ts_ns, cb, arg);
}

const struct wire_parser mysql_parser = {
	.name = "mysql",
	.create = my_create,
	.destroy = my_destroy,
	.feed = my_feed,
	.gap = my_gap,
};

const struct wire_parser mysql_joined_parser = {
	.name = "mysql",
	.create = my_create_joined,
	.destroy = my_destroy,
	.feed = my_feed,
	.gap = my_gap,
};
