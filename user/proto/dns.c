// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS on both sides of a socket: over UDP a datagram is a message, over
 * TCP each message follows its two-byte length. A query waits until the
 * answer with its id and its question comes back; a server's socket
 * serves many clients at once, and the question tells apart two of them
 * that picked the same id. Only the header and the first question are
 * read: the answers are counted, never parsed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/wire.h"

#define DNS_HEADER 12
#define DNS_PENDING 256 /* queries in flight on one socket: a forwarder's */
#define DNS_PENDING_NS (60ull * 1000000000ull) /* a query unanswered this long is given up */
#define DNS_HEAD 512 /* bytes of a TCP message kept: its header and question */
#define DNS_NAME_MAX 256 /* a name of 255 bytes on the wire, in text */

enum dns_opcode {
	DNS_QUERY = 0,
};

enum dns_rcode {
	DNS_NOERROR = 0,
	DNS_SERVFAIL = 2,
	DNS_NXDOMAIN = 3,
};

/* A message's header and first question, the name in text. */
struct dns_msg {
	uint16_t id, qtype, qclass;
	uint8_t qr, opcode, rcode;
	bool question;
	uint64_t hash; /* of the question, to pair an answer with its query */
	char name[DNS_NAME_MAX];
};

struct dns_pending {
	uint16_t id;
	uint64_t hash, start_ns; /* a query always asks its question */
};

/* TCP: one direction's framing. */
struct dns_stream {
	uint8_t len[2];
	size_t len_have;
	struct wire_body body;
	uint8_t head[DNS_HEAD];
};

struct dns_conn {
	bool tcp;
	struct dns_pending pending[DNS_PENDING];
	size_t npending;
	struct dns_stream dir[2];
	uint64_t fed_ns[2]; /* UDP: when the last datagram fed moved, per direction */
	bool fed[2];
};

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ 1, "A" },	 { 2, "NS" },	   { 5, "CNAME" },   { 6, "SOA" },    { 12, "PTR" },	 { 13, "HINFO" },
	{ 15, "MX" },	 { 16, "TXT" },	   { 17, "RP" },     { 18, "AFSDB" }, { 24, "SIG" },	 { 25, "KEY" },
	{ 28, "AAAA" },	 { 29, "LOC" },	   { 33, "SRV" },    { 35, "NAPTR" }, { 36, "KX" },	 { 37, "CERT" },
	{ 39, "DNAME" }, { 41, "OPT" },	   { 42, "APL" },    { 43, "DS" },    { 44, "SSHFP" },	 { 45, "IPSECKEY" },
	{ 46, "RRSIG" }, { 47, "NSEC" },   { 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },	 { 51, "NSEC3PARAM" },
	{ 52, "TLSA" },	 { 53, "SMIMEA" }, { 55, "HIP" },    { 59, "CDS" },   { 60, "CDNSKEY" }, { 61, "OPENPGPKEY" },
	{ 62, "CSYNC" }, { 63, "ZONEMD" }, { 64, "SVCB" },   { 65, "HTTPS" }, { 99, "SPF" },	 { 249, "TKEY" },
	{ 250, "TSIG" }, { 251, "IXFR" },  { 252, "AXFR" },  { 255, "ANY" },  { 256, "URI" },	 { 257, "CAA" },
};

static const char *const rcodes[] = {
	"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
};

static const char *const opcodes[] = { "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO" };

/* A query's method: its type's name (bounded: _OTHER for the rest), or
 * the operation's when it is no query. */
static const char *dns_method(const struct dns_msg *m)
{
	if (m->opcode != DNS_QUERY)
		return m->opcode < sizeof(opcodes) / sizeof(opcodes[0]) && opcodes[m->opcode] ? opcodes[m->opcode] :
												"_OTHER";
	if (!m->question)
		return "_OTHER";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == m->qtype)
			return types[i].name;
	return "_OTHER";
}

static const char *dns_rcode_name(uint8_t rcode)
{
	return rcode < sizeof(rcodes) / sizeof(rcodes[0]) ? rcodes[rcode] : "_OTHER";
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The question's name at *off, in text: lower case, labels joined by
 * dots, a byte no host name holds as '?'. A compressed name cannot be the
 * first question's: nothing precedes it to point at. */
static int dns_name(const uint8_t *m, size_t n, size_t *off, char *out)
{
	size_t at = *off, wire = 0, len = 0;

	for (;;) {
		uint8_t l;

		if (at >= n)
			return -EBADMSG;
		l = m[at++];
		if (!l)
			break;
		if (l > 63 || at + l > n || (wire += l + 1u) > 254)
			return -EBADMSG;
		if (len)
			out[len++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			char ch = (char)m[at + i];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
				   ch == '*'))
				ch = '?';
			out[len++] = ch;
		}
		at += l;
	}
	if (!len)
		out[len++] = '.';
	out[len] = '\0';
	*off = at;
	return 0;
}

static uint64_t dns_hash(const struct dns_msg *m)
{
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)m->qtype << 16 | m->qclass);

	for (const char *p = m->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	return h;
}

/* The header and first question of the n bytes of a message at m; n may
 * stop past the question (a TCP message's kept head). */
static int dns_parse(const uint8_t *m, size_t n, struct dns_msg *out)
{
	uint16_t qdcount;
	size_t off = DNS_HEADER;

	if (n < DNS_HEADER)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->id = be16(m);
	out->qr = m[2] >> 7;
	out->opcode = (m[2] >> 3) & 0xf;
	out->rcode = m[3] & 0xf;
	qdcount = be16(m + 4);
	/* A query asks one question; an answer may leave it out (FORMERR). */
	if ((!out->qr && qdcount != 1) || qdcount > 1)
		return -EBADMSG;
	if (!qdcount)
		return out->qr ? 0 : -EBADMSG;
	if (dns_name(m, n, &off, out->name) || off + 4 > n)
		return -EBADMSG;
	out->qtype = be16(m + off);
	out->qclass = be16(m + off + 2);
	out->question = true;
	out->hash = dns_hash(out);
	return 0;
}

static void *dns_create_udp(void)
{
	return calloc(1, sizeof(struct dns_conn));
}

static void *dns_create_tcp(void)
{
	struct dns_conn *c = calloc(1, sizeof(*c));

	if (c)
		c->tcp = true;
	return c;
}

static void dns_destroy(void *conn)
{
	free(conn);
}

static void pending_drop(struct dns_conn *c, size_t i)
{
	memmove(&c->pending[i], &c->pending[i + 1], (c->npending - i - 1) * sizeof(c->pending[0]));
	c->npending--;
}

/* A query waits for its answer; the oldest gives way when too many do,
 * and one unanswered for a minute is no longer waited for. Events of two
 * CPUs may come a little out of order. */
static void dns_query(struct dns_conn *c, const struct dns_msg *m, uint64_t ts_ns)
{
	while (c->npending && ts_ns > c->pending[0].start_ns && ts_ns - c->pending[0].start_ns > DNS_PENDING_NS)
		pending_drop(c, 0);
	if (c->npending == DNS_PENDING)
		pending_drop(c, 0);
	c->pending[c->npending++] = (struct dns_pending){
		.id = m->id,
		.hash = m->hash,
		.start_ns = ts_ns,
	};
}

/* An answer ends the oldest query with its id and question (any question
 * when the answer repeats none). Returns WIRE_RESYNCED for one whose
 * query was not seen. */
static int dns_answer(struct dns_conn *c, const struct dns_msg *m, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct wire_call call;
	size_t i;

	for (i = 0; i < c->npending; i++)
		if (c->pending[i].id == m->id && (!m->question || c->pending[i].hash == m->hash))
			break;
	if (i == c->npending)
		return WIRE_RESYNCED;
	call = (struct wire_call){
		.protocol = "dns",
		.method = dns_method(m),
		.target = m->question ? m->name : "",
		.authority = "",
		.traceparent = "",
		/* NXDOMAIN answers what was asked; the other codes say it was
		 * not answered. */
		.error = m->rcode != DNS_NOERROR && m->rcode != DNS_NXDOMAIN,
		.outcome = dns_rcode_name(m->rcode),
		.server_fault = m->rcode == DNS_SERVFAIL,
		.start_ns = c->pending[i].start_ns,
		.end_ns = ts_ns,
	};
	pending_drop(c, i);
	cb(arg, &call);
	return 0;
}

/* One whole message moving dir: a query from the client, an answer from
 * the server. Any other is not followed, and counted. */
static int dns_message(struct dns_conn *c, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns,
		       wire_call_fn cb, void *arg)
{
	struct dns_msg m;

	if (dns_parse(buf, len, &m) || m.qr != (dir == WIRE_RESPONSE))
		return WIRE_RESYNCED;
	if (!m.qr) {
		dns_query(c, &m, ts_ns);
		return 0;
	}
	return dns_answer(c, &m, ts_ns, cb, arg);
}

/* TCP: the bytes of one direction, each message after its length. */
static int dns_stream_feed(struct dns_conn *c, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns,
			   wire_call_fn cb, void *arg)
{
	struct dns_stream *s = &c->dir[dir];
	int ret = 0;

	while (len) {
		size_t take;

		if (s->len_have < 2) {
			s->len[s->len_have++] = *buf++;
			len--;
			if (s->len_have < 2)
				continue;
			s->body.left = be16(s->len);
			if (!s->body.left)
				return -EBADMSG;
			s->body.head_len = 0;
			s->body.head_want = s->body.left < DNS_HEAD ? (size_t)s->body.left : DNS_HEAD;
			continue;
		}
		take = wire_body_take(&s->body, s->head, buf, len);
		buf += take;
		len -= take;
		if (!s->body.left) {
			ret |= dns_message(c, dir, s->head, s->body.head_len, ts_ns, cb, arg);
			s->len_have = 0;
		}
	}
	return ret;
}

static int dns_feed(void *conn, enum wire_dir dir, const uint8_t *buf, size_t len, uint64_t ts_ns, wire_call_fn cb,
		    void *arg)
{
	struct dns_conn *c = conn;

	if (c->tcp)
		return dns_stream_feed(c, dir, buf, len, ts_ns, cb, arg);
	c->fed[dir] = true;
	c->fed_ns[dir] = ts_ns;
	return dns_message(c, dir, buf, len, ts_ns, cb, arg);
}

/* UDP: the end of the datagram just fed is no loss (its answers are not
 * read); a datagram lost whole is. TCP: a message's bytes past its kept
 * head are counted down; others cannot be framed again. */
static int dns_gap(void *conn, enum wire_dir dir, uint64_t n, uint64_t ts_ns, wire_call_fn cb, void *arg)
{
	struct dns_conn *c = conn;
	struct dns_stream *s = &c->dir[dir];

	if (!c->tcp)
		return c->fed[dir] && c->fed_ns[dir] == ts_ns ? 0 : WIRE_RESYNCED;
	if (s->len_have < 2 || !wire_body_skip(&s->body, n))
		return -EBADMSG;
	if (s->body.left)
		return 0;
	s->len_have = 0;
	return dns_message(c, dir, s->head, s->body.head_len, ts_ns, cb, arg);
}

const struct wire_parser dns_parser = {
	.name = "dns",
	.create = dns_create_udp,
	.destroy = dns_destroy,
	.feed = dns_feed,
	.gap = dns_gap,
};

const struct wire_parser dns_tcp_parser = {
	.name = "dns",
	.create = dns_create_tcp,
	.destroy = dns_destroy,
	.feed = dns_feed,
	.gap = dns_gap,
};
