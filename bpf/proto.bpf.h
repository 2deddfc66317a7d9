/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The protocol of a connection, from the first bytes its client sent, and
 * the data events that carry the bytes of the protocols parsed in user
 * space. Only the first METHOD_PEEK bytes are looked at here. */
#ifndef SONDE_PROTO_BPF_H
#define SONDE_PROTO_BPF_H

#include "maps.bpf.h"
#include "http.bpf.h"

/* UIO_MAXIOV */
#define MAX_IOV 1024
#define TLS_HANDSHAKE 0x16
#define DATA_MASK (SONDE_DATA_CAP - 1)

enum classify_next {
	CLASSIFY_DONE, /* the protocol is known, or none is followed */
	CLASSIFY_TLS, /* a TLS handshake: the plaintext tells, from the TLS library */
	CLASSIFY_AGAIN, /* a negotiation: the client's next bytes tell */
};

/* A PostgreSQL frontend message that starts a request: a simple Query,
 * or the extended protocol's Parse or Bind, its length under the
 * server's limit of 1 GB (so its first byte is below any letter). Only
 * a connection joined after its startup starts with one. */
static __always_inline int pg_request_message(const __u8 *h, __u32 n)
{
	__u32 len;

	if (n < 6 || (h[0] != 'Q' && h[0] != 'P' && h[0] != 'B'))
		return 0;
	len = (__u32)h[1] << 24 | (__u32)h[2] << 16 | (__u32)h[3] << 8 | h[4];
	return len >= 5 && len < (1u << 30);
}

/* A MySQL command a connection joined after its handshake may start
 * with: a query, a prepare, an execute or a ping, one packet (sequence 0)
 * that is all the call moved. */
static __always_inline int mysql_command(const __u8 *h, __u32 n)
{
	__u32 len;

	if (n < 5 || h[3] != 0 || (h[4] != 0x03 && h[4] != 0x16 && h[4] != 0x17 && h[4] != 0x0e))
		return 0;
	len = (__u32)h[0] | (__u32)h[1] << 8 | (__u32)h[2] << 16;
	return len + 4 == n;
}

/* The protocol of bytes no connection starts with but one joined past its
 * start may: PostgreSQL's or MySQL's requests. */
static __always_inline __u8 joined_proto(const __u8 *h, __u32 n)
{
	if (pg_request_message(h, n))
		return SONDE_PROTO_POSTGRES_JOINED;
	return mysql_command(h, n) ? SONDE_PROTO_MYSQL_JOINED : SONDE_PROTO_UNKNOWN;
}

/* MySQL's handshake response (sequence 1, or 2 after TLS), protocol 4.1
 * capabilities, then 23 bytes of filler zeroes after the maximum packet
 * size and the character set: the first 11 are in the peek. A bare SSL
 * request (32 bytes, CLIENT_SSL) is followed by a TLS handshake at once,
 * in the same read as often as not: the plaintext tells, from the TLS
 * library. */
static __always_inline __u8 mysql_handshake(const __u8 *h, __u32 n, __u8 *next)
{
	__u32 len;

	if (n < 36 || (h[3] != 1 && h[3] != 2) || h[2] != 0 || !(h[5] & 0x02))
		return SONDE_PROTO_UNKNOWN;
	for (__u32 i = 13; i < 24; i++)
		if (h[i])
			return SONDE_PROTO_UNKNOWN;
	len = (__u32)h[0] | (__u32)h[1] << 8;
	if (len < 32)
		return SONDE_PROTO_UNKNOWN;
	if (len == 32 && (h[5] & 0x08)) {
		*next = CLASSIFY_TLS;
		return SONDE_PROTO_UNKNOWN;
	}
	return SONDE_PROTO_MYSQL;
}

/* A MySQL packet's header read alone, as servers read them: a handshake
 * response's (sequence 1 or 2) or a command's (0). */
static __always_inline int mysql_header(const __u8 *h, __u32 n)
{
	if (n != 4 || h[3] > 2 || (!h[0] && !h[1] && !h[2]))
		return 0;
	return h[3] == 0 || (h[2] == 0 && (h[1] || h[0] >= 32));
}

/* The payload after a header read alone (hdr, little-endian), seen with
 * it as one packet: all of it, a handshake response's or a command's (the
 * caller tells a joined connection's). */
static __always_inline __u8 mysql_payload(__u32 hdr, const __u8 *h, __u32 n, __u8 *next)
{
	__u8 b[METHOD_PEEK] = {};

	if (n != (hdr & 0xffffff))
		return SONDE_PROTO_UNKNOWN;
	__builtin_memcpy(b, &hdr, sizeof(hdr));
	for (__u32 i = 0; i < METHOD_PEEK - 4; i++)
		b[i + 4] = h[i];
	if (hdr >> 24 == 0)
		return mysql_command(b, n + 4) ? SONDE_PROTO_MYSQL_JOINED : SONDE_PROTO_UNKNOWN;
	return mysql_handshake(b, n + 4, next);
}

/* The word w of constant length len at the start of h, then a space or
 * the line's end. Constant offsets keep the verifier's paths few: the
 * syscall mode's one exit program holds this check more than once. */
static __always_inline int word_at(const __u8 *h, __u32 n, const char *w, const __u32 len)
{
	if (n <= len)
		return 0;
	for (__u32 i = 0; i < len; i++)
		if (h[i] != (__u8)w[i])
			return 0;
	return h[len] == ' ' || h[len] == '\r';
}

#define MC_WORD(h, n, w) word_at(h, n, w, sizeof(w) - 1)

/* A memcached text command: a lower-case word memcached knows, then a
 * space or the line's end. User space checks the rest. */
static __always_inline int memcached_command(const __u8 *h, __u32 n)
{
	if (n < 3 || h[0] < 'a' || h[0] > 'z')
		return 0;
	return MC_WORD(h, n, "get") || MC_WORD(h, n, "gets") || MC_WORD(h, n, "gat") || MC_WORD(h, n, "gats") ||
	       MC_WORD(h, n, "set") || MC_WORD(h, n, "add") || MC_WORD(h, n, "replace") || MC_WORD(h, n, "append") ||
	       MC_WORD(h, n, "prepend") || MC_WORD(h, n, "cas") || MC_WORD(h, n, "delete") || MC_WORD(h, n, "incr") ||
	       MC_WORD(h, n, "decr") || MC_WORD(h, n, "touch") || MC_WORD(h, n, "stats") || MC_WORD(h, n, "version") ||
	       MC_WORD(h, n, "flush_all") || MC_WORD(h, n, "verbosity") || MC_WORD(h, n, "mg") || MC_WORD(h, n, "ms") ||
	       MC_WORD(h, n, "md") || MC_WORD(h, n, "ma") || MC_WORD(h, n, "mn") || MC_WORD(h, n, "me");
}

/* MQTT's protocol name at offset i: "MQTT" (3.1.1 and 5) or "MQIsdp"
 * (3.1), after its two-byte length. Called with constant offsets only:
 * the verifier takes no variable index into the stack. */
static __always_inline int mqtt_name_at(const __u8 *h, __u32 n, const __u32 i)
{
	if (i + 7 > n || h[i] != 0)
		return 0;
	if (h[i + 1] == 4)
		return h[i + 2] == 'M' && h[i + 3] == 'Q' && h[i + 4] == 'T' && h[i + 5] == 'T';
	return h[i + 1] == 6 && h[i + 2] == 'M' && h[i + 3] == 'Q' && h[i + 4] == 'I' && h[i + 5] == 's';
}

/* An MQTT CONNECT: packet type 1, a remaining length of one to three
 * bytes (a CONNECT of 2 MB or more is no client's), then the name. */
static __always_inline int mqtt_connect(const __u8 *h, __u32 n)
{
	if (n < 9 || h[0] != 0x10)
		return 0;
	if (!(h[1] & 0x80))
		return mqtt_name_at(h, n, 2);
	if (!(h[2] & 0x80))
		return mqtt_name_at(h, n, 3);
	return !(h[3] & 0x80) && mqtt_name_at(h, n, 4);
}

/* The shortest DNS message with a question: its header, the root name,
 * a type and a class. */
#define DNS_MIN 17

/* A DNS message's header: opcode QUERY, one question whose first label
 * is no longer than 63. A query has no answers, no authority and at most
 * an EDNS record and a signature besides; its flags no response code
 * and no reserved bit (AD and CD it may set). qr tells which it is. */
static __always_inline int dns_header(const __u8 *h, __u32 n, __u8 *qr)
{
	if (n < DNS_MIN || ((h[2] >> 3) & 0xf) || h[4] || h[5] != 1 || h[12] > 63 || (h[3] & 0x40))
		return 0;
	*qr = h[2] >> 7;
	if (*qr)
		return 1;
	return !(h[3] & 0x8f) && !h[6] && !h[7] && !h[8] && !h[9] && !h[10] && h[11] <= 2;
}

/* A DNS query over TCP, its two-byte length first, all of it in the n
 * bytes (more may follow: queries sent together). */
static __always_inline int dns_tcp_query(const __u8 *h, __u32 n)
{
	__u32 len = (__u32)h[0] << 8 | h[1];
	__u8 qr = 0;

	return len >= DNS_MIN && len + 2 <= n && dns_header(h + 2, n - 2, &qr) && !qr;
}

/* What a connection's first bytes say, and what comes next. */
static __always_inline __u8 classify(const __u8 *h, __u32 n, __u8 *next)
{
	__u32 len, code;

	*next = CLASSIFY_DONE;
	if (!n)
		return SONDE_PROTO_UNKNOWN;
	/* nginx peeks one byte to tell TLS from plaintext: one is enough. */
	if (h[0] == TLS_HANDSHAKE) {
		*next = CLASSIFY_TLS;
		return SONDE_PROTO_UNKNOWN;
	}
	if (n >= 8 && h[0] == 'P' && h[1] == 'R' && h[2] == 'I' && h[3] == ' ' && h[4] == '*' && h[5] == ' ' &&
	    h[6] == 'H' && h[7] == 'T')
		return SONDE_PROTO_HTTP2;
	if (n >= 2 && h[0] == '*' && h[1] >= '1' && h[1] <= '9')
		return SONDE_PROTO_REDIS;
	if (n >= 8 && h[0] == 'A' && h[1] == 'M' && h[2] == 'Q' && h[3] == 'P' && h[4] == 0 && h[5] == 0 && h[6] == 9 &&
	    h[7] == 1)
		return SONDE_PROTO_AMQP;
	/* NATS's first line, before HTTP's CONNECT method takes it: a JSON
	 * object is no authority. */
	if (n >= 9 && h[0] == 'C' && h[1] == 'O' && h[2] == 'N' && h[3] == 'N' && h[4] == 'E' && h[5] == 'C' &&
	    h[6] == 'T' && h[7] == ' ' && h[8] == '{')
		return SONDE_PROTO_NATS;
	if (n >= 8) {
		len = (__u32)h[0] << 24 | (__u32)h[1] << 16 | (__u32)h[2] << 8 | h[3];
		code = (__u32)h[4] << 24 | (__u32)h[5] << 16 | (__u32)h[6] << 8 | h[7];
		if (len >= 8 && len <= 10000 && code == 0x00030000) /* StartupMessage v3.0 */
			return SONDE_PROTO_POSTGRES;
		/* SSLRequest, GSSENCRequest: the server answers one byte, then
		 * a TLS handshake or the StartupMessage comes. */
		if (len == 8 && (code == 80877103 || code == 80877104)) {
			*next = CLASSIFY_AGAIN;
			return SONDE_PROTO_UNKNOWN;
		}
	}
	if (looks_like_request((const char *)h, n))
		return SONDE_PROTO_HTTP1;
	if (memcached_command(h, n))
		return SONDE_PROTO_MEMCACHED;
	if (mqtt_connect(h, n))
		return SONDE_PROTO_MQTT;
	if (dns_tcp_query(h, n))
		return SONDE_PROTO_DNS_TCP;
	return mysql_handshake(h, n, next);
}

struct gather {
	char *dst;
	__u64 iov; /* the iovec array */
	__u32 iovcnt;
	__u32 off; /* bytes copied so far */
	__u64 total; /* bytes the call moved */
};

/* One iovec per bpf_loop step: gRPC writes a header block as a dozen of
 * them, so the count is not small, and the loop is verified once. */
static long gather_iov(__u32 i, void *arg)
{
	struct gather *g = arg;
	struct iovec iov;
	__u32 off = g->off, len;

	if (i >= g->iovcnt || off >= g->total || off >= SONDE_DATA_CAP)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(g->iov + i * sizeof(iov))))
		return 1;
	len = iov.iov_len < g->total - off ? iov.iov_len : g->total - off;
	if (len > SONDE_DATA_CAP - off)
		len = SONDE_DATA_CAP - off;
	/* The masks are for the verifier: off < CAP, len < 2 * CAP, and the
	 * slack after data absorbs the sum. */
	barrier_var(off);
	barrier_var(len);
	off &= DATA_MASK;
	len &= 2 * SONDE_DATA_CAP - 1;
	if (bpf_probe_read_user(g->dst + off, len, iov.iov_base))
		return 1;
	g->off = off + len;
	return len < iov.iov_len;
}

/* Copies up to SONDE_DATA_CAP of the bytes a call moved, from its buffer
 * or, in order, its iovecs; returns how many. A prefix only: what does not
 * fit is a gap for the parser. */
static __always_inline __u32 gather(char *dst, __u64 buf, __u32 iovcnt, __u64 total)
{
	struct gather g = { .dst = dst, .iov = buf, .iovcnt = iovcnt, .total = total };
	__u32 len;

	if (!iovcnt) {
		len = total < SONDE_DATA_CAP ? total : SONDE_DATA_CAP;
		barrier_var(len);
		len &= 2 * SONDE_DATA_CAP - 1;
		return bpf_probe_read_user(dst, len, (void *)buf) ? 0 : len;
	}
	bpf_loop(MAX_IOV, gather_iov, &g, 0);
	return g.off;
}

/* A data event of connection c, its header filled in; NULL if none. */
static __always_inline struct sonde_data_scratch *data_event(struct sonde_conn *c, __u8 flags)
{
	struct sonde_data_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!s)
		return NULL;
	s->ev.type = SONDE_EVENT_DATA;
	s->ev.role = c->role;
	s->ev.proto = c->proto;
	s->ev.flags = flags;
	s->ev.ts_ns = bpf_ktime_get_ns();
	s->ev.conn_id = c->conn_id;
	s->ev.cgroup_id = c->cgroup_id;
	s->ev.tgid = c->tgid;
	s->ev.tid = (__u32)bpf_get_current_pid_tgid();
	s->ev.fd = c->fd;
	s->ev.service_id = c->service_id;
	s->ev.peer = c->peer;
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));
	return s;
}

static __always_inline void data_submit(struct sonde_data_scratch *s, __u32 len)
{
	if (bpf_ringbuf_output(&events, &s->ev, SONDE_DATA_EVENT_SIZE(len), wakeup_flag()))
		stat_inc(SONDE_STAT_LOST);
	else
		stat_inc(SONDE_STAT_EVENTS);
}

/* One data event: the bytes a call moved (total of them, from buf or its
 * iovecs), or a close when flags says so. */
static __always_inline void data_emit(struct sonde_conn *c, __u64 buf, __u32 iovcnt, __u64 total, __u8 flags)
{
	struct sonde_data_scratch *s = data_event(c, flags);
	__u32 len = 0;

	if (!s)
		return;
	if (total && buf)
		len = gather(s->ev.data, buf, iovcnt, total);
	s->ev.total = total > 0xffffffff ? 0xffffffff : total;
	s->ev.len = len;
	barrier_var(len);
	len &= 2 * SONDE_DATA_CAP - 1;
	if (len > SONDE_DATA_CAP)
		return;
	data_submit(s, len);
}

/* A data event of the first len (2 or 4) bytes of word, which earlier
 * calls moved and were kept here: a packet's header or length read alone,
 * before the bytes that told its protocol. */
static __always_inline void data_emit_word(struct sonde_conn *c, __u32 word, const __u32 len, __u8 flags)
{
	struct sonde_data_scratch *s = data_event(c, flags);

	if (!s)
		return;
	__builtin_memcpy(s->ev.data, &word, sizeof(word));
	s->ev.total = s->ev.len = len;
	data_submit(s, len);
}

/* A process with data connections exited. */
static __always_inline void data_exit_emit(__u32 tgid)
{
	struct sonde_data_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&data_scratch, &zero);
	if (!s)
		return;
	__builtin_memset(&s->ev, 0, SONDE_DATA_EVENT_SIZE(0));
	s->ev.type = SONDE_EVENT_DATA;
	s->ev.flags = SONDE_DATA_EXIT;
	s->ev.ts_ns = bpf_ktime_get_ns();
	s->ev.tgid = tgid;
	data_submit(s, 0);
}

#endif
