/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Protocols parsed in user space from the bytes of a connection, both
 * directions, in order: HTTP/2 (and gRPC on it), Redis, PostgreSQL,
 * memcached, MQTT, NATS, AMQP 0-9-1, MySQL, DNS. Each
 * parser turns a connection into calls (a request and its response) and
 * never trusts the bytes: bad input is an error, never a crash. */
#ifndef SONDE_WIRE_H
#define SONDE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Which way bytes moved: from the client to the server, or back. */
enum wire_dir {
	WIRE_REQUEST = 0,
	WIRE_RESPONSE = 1,
};

/* One request and its response. The strings live until the callback
 * returns. */
struct wire_call {
	const char *
		protocol; /* "grpc", "http", "redis", "postgresql", "memcached", "mqtt", "nats", "amqp", "mysql", "dns" */
	/* gRPC: the RPC path (/pkg.Service/Method); HTTP/2: the method; Redis:
	 * the command, upper case; PostgreSQL: the statement's verb, upper case;
	 * memcached: the command as sent (get, set, mg), _OTHER when unknown;
	 * MQTT: the packet type (PUBLISH, SUBSCRIBE, ...; DELIVER for the
	 * server's PUBLISH); NATS: the operation (PUB, MSG, SUB, ...); AMQP:
	 * class.method (basic.publish, queue.declare, ...); MySQL: the verb of
	 * the statement queried, executed or prepared, else the command
	 * (PING, STMT_CLOSE, ...); DNS: the question's type (A, AAAA, SRV, ...),
	 * or the operation's name when it is no query (NOTIFY, UPDATE). */
	const char *method;
	const char *target; /* HTTP/2 and gRPC: :path; MQTT: the topic; NATS: the subject;
			     * AMQP: the exchange, or the queue; DNS: the name asked;
			     * else "" */
	const char *authority; /* HTTP/2 and gRPC: :authority; else "" */
	const char *traceparent; /* HTTP/2 and gRPC: the header; else "" */
	/* HTTP/2: :status; gRPC: grpc-status (-1 when the stream ended without
	 * one: reset or cut); Redis and PostgreSQL: 0. */
	int status;
	bool error; /* gRPC non-zero, Redis error reply, PostgreSQL ErrorResponse, MySQL ERR */
	/* The status label, when not "ok" or "error": memcached's retrievals
	 * are "hit" or "miss", MQTT's publishes their QoS (qos0, qos1, qos2),
	 * DNS answers their RCODE (NOERROR, NXDOMAIN, SERVFAIL, ...). NULL
	 * otherwise. */
	const char *outcome;
	/* The error is the server's fault and counts in errors_total: gRPC
	 * UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
	 * DATA_LOSS or no status; HTTP/2 5xx; Redis LOADING, BUSY, MASTERDOWN,
	 * OOM, TRYAGAIN, CLUSTERDOWN; PostgreSQL SQLSTATE classes 08, 53, 57,
	 * 58, XX; MySQL out of room, memory, threads or connections, shutting
	 * down, storage or time limit errors, SQLSTATE class 08; DNS SERVFAIL. */
	bool server_fault;
	/* A message nothing answers (MQTT at QoS 0, a delivery, MySQL's
	 * STMT_CLOSE): counted, not timed. */
	bool unpaired;
	uint64_t start_ns; /* ts of the bytes that started the request */
	uint64_t end_ns; /* ts of the bytes that completed the response */
};

typedef void (*wire_call_fn)(void *arg, const struct wire_call *call);

/* How a message broker's protocol splits its topics into tokens: '/' for
 * MQTT, '.' for NATS's subjects and AMQP's routing keys; 0 for a protocol
 * that is no broker's. */
static inline char wire_topic_sep(const char *protocol)
{
	if (!strcmp(protocol, "mqtt"))
		return '/';
	return !strcmp(protocol, "nats") || !strcmp(protocol, "amqp") ? '.' : 0;
}

/* A message broker's call (MQTT, NATS, AMQP): a topic, subject or queue as
 * target, no authority, traceparent or status; the caller sets the rest. */
static inline struct wire_call wire_message(const char *protocol, const char *method, const char *target,
					    uint64_t start_ns, uint64_t end_ns, bool unpaired)
{
	return (struct wire_call){
		.protocol = protocol,
		.method = method,
		.target = target,
		.authority = "",
		.traceparent = "",
		.unpaired = unpaired,
		.start_ns = start_ns,
		.end_ns = end_ns,
	};
}

/* A length-prefixed message's body arriving: its first head_want bytes
 * are kept in head, the rest counted down, never copied. Returns how many
 * of the len bytes at buf it took. */
struct wire_body {
	uint64_t left; /* the body's bytes still to come */
	size_t head_len, head_want;
};

static inline size_t wire_body_take(struct wire_body *b, void *head, const uint8_t *buf, size_t len)
{
	size_t take = len < b->left ? len : (size_t)b->left;

	if (b->head_len < b->head_want) {
		if (take > b->head_want - b->head_len)
			take = b->head_want - b->head_len;
		memcpy((uint8_t *)head + b->head_len, buf, take);
		b->head_len += take;
	}
	b->left -= take;
	return take;
}

/* n bytes of the body were lost: counted down when they fall past its
 * head and inside it; false when they cross into what is read. */
static inline bool wire_body_skip(struct wire_body *b, uint64_t n)
{
	if (b->head_len < b->head_want || n > b->left)
		return false;
	b->left -= n;
	return true;
}

/* feed and gap return this when they gave up bytes they could not frame
 * and resynchronised: the loss is counted as a parse failure, and the
 * parser is fed on. */
#define WIRE_RESYNCED 1

/* A parser of one connection. feed gets the bytes of one direction, in
 * order, with the time they moved; it calls cb for each call completed.
 * gap says n bytes of that direction moved at ts_ns but were not captured;
 * a message they end completes then, calling cb. Both return 0,
 * WIRE_RESYNCED or a negative errno (-EBADMSG: not this protocol or out of
 * sync); after an error the connection's parser is freed, not fed. */
struct wire_parser {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *conn);
	int (*feed)(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		    void *arg);
	int (*gap)(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg);
};

extern const struct wire_parser h2_parser; /* proto/h2.c */
extern const struct wire_parser resp_parser; /* proto/resp.c */
extern const struct wire_parser pg_parser; /* proto/pgwire.c */
extern const struct wire_parser pg_joined_parser; /* a connection past its startup */
extern const struct wire_parser memcached_parser; /* proto/memcached.c */
extern const struct wire_parser mqtt_parser; /* proto/mqtt.c */
extern const struct wire_parser nats_parser; /* proto/nats.c */
extern const struct wire_parser amqp_parser; /* proto/amqp.c */
extern const struct wire_parser mysql_parser; /* proto/mysql.c */
extern const struct wire_parser mysql_joined_parser; /* a connection past its handshake */
extern const struct wire_parser dns_parser; /* proto/dns.c: UDP, a datagram a message */
extern const struct wire_parser dns_tcp_parser; /* TCP, each message after its length */

/* The parser of a connection the kernel classified as proto (enum
 * sonde_proto), or NULL for one no parser follows. */
const struct wire_parser *wire_parser_of(uint8_t proto);

#endif
