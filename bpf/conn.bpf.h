/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Bytes moving on a tracked connection, from a socket syscall or, for a
 * TLS connection, from the TLS library's plaintext buffer: the first
 * bytes the client sends tell the protocol; HTTP/1.x is framed here, the
 * other protocols' bytes go to user space as data events. */
#ifndef SONDE_CONN_BPF_H
#define SONDE_CONN_BPF_H

#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "http.bpf.h"
#include "proto.bpf.h"

/* iovecs looked through for an offset in a call's bytes. */
#define TAIL_MAX_IOV 8
/* Responses to pipelined requests framed in one call after its first. */
#define SONDE_PIPELINE_MAX 32

/* Whether bytes at data start a response head. */
static __always_inline int starts_response(__u64 data, __u32 seg_len)
{
	char h[5];

	if (seg_len < sizeof(h) || bpf_probe_read_user(h, sizeof(h), (void *)data))
		return 0;
	return h[0] == 'H' && h[1] == 'T' && h[2] == 'T' && h[3] == 'P' && h[4] == '/';
}

/* The bytes of a call from its offset off on: in its buffer, or up to the
 * end of the iovec holding that offset, among the first TAIL_MAX_IOV. */
static __always_inline __u64 segment_at(const struct sonde_io *a, __u64 ret, __u64 off, __u32 *seg_len)
{
	struct iovec iov;
	__u64 left = ret - off;
	__u32 i;

	if (!a->iovcnt) {
		*seg_len = left > 0xffffffff ? 0xffffffff : left;
		return a->buf + off;
	}
#pragma unroll
	for (i = 0; i < TAIL_MAX_IOV; i++) {
		if (i >= a->iovcnt)
			return 0;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(a->buf + i * sizeof(iov))))
			return 0;
		if (off < iov.iov_len) {
			left = iov.iov_len - off < left ? iov.iov_len - off : left;
			*seg_len = left > 0xffffffff ? 0xffffffff : left;
			return (__u64)iov.iov_base + off;
		}
		off -= iov.iov_len;
	}
	return 0;
}

/* The first bytes of the data a call moved: its buffer, or its first
 * iovec, cut to what the call returned. */
static __always_inline __u64 first_segment(const struct sonde_io *a, __u64 ret, __u32 *seg_len)
{
	return segment_at(a, ret, 0, seg_len);
}

/* Whether the bytes a write moved end with the last chunk of a chunked
 * body, "0\r\n\r\n", within one of its first TAIL_MAX_IOV iovecs: nginx
 * writes the last chunk within its first few. */
static __always_inline int ends_with_last_chunk(const struct sonde_io *a, __u64 ret)
{
	char tail[5] = {};
	__u32 seg_len = 0;
	__u64 at;

	if (!a->buf || ret < sizeof(tail))
		return 0;
	at = segment_at(a, ret, ret - sizeof(tail), &seg_len);
	if (!at || seg_len < sizeof(tail) || bpf_probe_read_user(tail, sizeof(tail), (void *)at))
		return 0;
	return tail[0] == '0' && tail[1] == '\r' && tail[2] == '\n' && tail[3] == '\r' && tail[4] == '\n';
}

/* Ends the exchange if its response's framing says it is complete.
 * Returns the bytes of the call past its end, which start the next
 * response: responses to pipelined requests, several in one call. */
static __always_inline __u64 response_framed(struct sonde_conn *c, struct sonde_exchange *x, const struct sonde_io *a,
					     long ret)
{
	__u64 excess;

	x->ev.end_ns = bpf_ktime_get_ns();
	if (c->resp_expected && x->ev.resp_bytes >= c->resp_expected) {
		excess = x->ev.resp_bytes - c->resp_expected;
		x->ev.resp_bytes = c->resp_expected;
		exchange_emit(c, x, SONDE_END_FRAMED);
		return excess < (__u64)ret ? excess : 0;
	}
	if (c->chunked && ends_with_last_chunk(a, ret))
		exchange_emit(c, x, SONDE_END_FRAMED);
	return 0;
}

/* The responses after the first in one call, one per bpf_loop step. */
struct next_responses {
	struct sonde_conn *c;
	struct sonde_io a;
	__u64 key;
	long ret;
	__u64 excess; /* the call's bytes not yet framed */
};

static long next_response(__u32 i, void *arg)
{
	struct next_responses *n = arg;
	struct sonde_conn *c = n->c;
	struct sonde_exchange *x;
	__u32 seg_len = 0;
	__u64 data;

	if (!c || !n->excess || n->excess >= (__u64)n->ret)
		return 1;
	data = n->a.buf ? segment_at(&n->a, n->ret, n->ret - n->excess, &seg_len) : 0;
	if (!data || !starts_response(data, seg_len))
		return 1;
	x = exchange_pipelined(c, n->key);
	if (!x || !response_start(c, x, data, seg_len))
		return 1;
	x->ev.resp_bytes = n->excess;
	n->excess = response_framed(c, x, &n->a, n->ret);
	return !n->excess;
}

/* Bytes of the response moving: its head starts the response, and its
 * framing says when it is complete. Response bytes on a connection at
 * rest that spoke HTTP start the response to a pipelined request. */
static __always_inline void exchange_response(struct sonde_conn *c, __u64 key, const struct sonde_io *a, long ret)
{
	struct sonde_exchange *x;
	__u32 seg_len = 0;
	__u64 data = 0, excess;

	if (c->state != SONDE_CONN_RESPONSE) {
		data = a->buf ? first_segment(a, ret, &seg_len) : 0;
		/* Body bytes by sendfile before any head: not HTTP framing we
		 * know, so the exchange waits for its next event. */
		if (!data)
			return;
	}
	if (c->state == SONDE_CONN_IDLE && c->spoke) {
		if (!starts_response(data, seg_len))
			return;
		x = exchange_pipelined(c, key);
	} else if (c->state == SONDE_CONN_REQUEST || c->state == SONDE_CONN_RESPONSE) {
		x = exchange_of(c, key);
	} else {
		return;
	}
	if (!x)
		return;
	if (c->state == SONDE_CONN_REQUEST && !response_start(c, x, data, seg_len))
		return;
	x->ev.resp_bytes += ret;
	excess = response_framed(c, x, a, ret);
	if (excess) {
		struct next_responses n = { .c = c, .a = *a, .key = key, .ret = ret, .excess = excess };

		bpf_loop(SONDE_PIPELINE_MAX, next_response, &n, 0);
	}
}

static __always_inline void exchange_request_bytes(struct sonde_conn *c, __u64 key, const struct sonde_io *a, long ret)
{
	__u32 seg_len = 0;
	__u64 data;

	data = a->buf ? first_segment(a, ret, &seg_len) : 0;
	if (data)
		exchange_request(c, key, data, seg_len, ret, (__u32)bpf_get_current_pid_tgid());
}

/* Whether connection c moved bytes before these ret of its client's,
 * from its socket's own counts: one older than sonde, or than its
 * process's selection, whose protocol's start went unseen. */
static __always_inline int conn_joined(const struct sonde_conn *c, long ret)
{
	struct tcp_sock *tp = (struct tcp_sock *)c->sk;
	__u64 received = BPF_CORE_READ(tp, bytes_received), acked = BPF_CORE_READ(tp, bytes_acked);

	/* A server's read is in its received bytes already. */
	if (c->role == SONDE_ROLE_SERVER)
		return acked > 0 || received > (__u64)ret;
	return acked > 0 || received > 0;
}

/* A DNS query over TCP written as its length in one iovec, then the
 * query (dig does; glibc's resolver writes two such pairs at once): the
 * length's two bytes are all of the first. */
static __always_inline int dns_query_after_length(const struct sonde_io *a, long ret, const __u8 *head, __u32 seg_len)
{
	__u32 len = (__u32)head[0] << 8 | head[1], seg = 0;
	__u8 h[DNS_MIN] = {}, qr = 1;
	__u64 data;

	if (seg_len != 2 || a->iovcnt < 2 || len < DNS_MIN || len + 2 > ret)
		return 0;
	data = segment_at(a, ret, 2, &seg);
	if (!data || seg < DNS_MIN || bpf_probe_read_user(h, sizeof(h), (void *)data))
		return 0;
	return dns_header(h, seg, &qr) && !qr;
}

/* Classifies a connection at its client's first bytes. Returns 1 when
 * they start a protocol followed here; a TLS handshake marks the
 * connection for the TLS library's probes instead, and a negotiation
 * (PostgreSQL's SSLRequest) leaves it to the next bytes, as does a MySQL
 * packet's header read alone. */
static __always_inline int conn_classify(struct sonde_conn *c, const struct sonde_io *a, long ret, __u8 tls_flag)
{
	__u8 head[METHOD_PEEK] = {}, next;
	__u32 seg_len = 0, peek, hdr;
	__u64 data;

	data = a->buf ? first_segment(a, ret, &seg_len) : 0;
	if (!data)
		return 0;
	peek = seg_len < METHOD_PEEK ? seg_len : METHOD_PEEK;
	barrier_var(peek);
	peek &= 31;
	if (peek > METHOD_PEEK)
		return 0;
	bpf_probe_read_user(head, peek, (void *)data);
	if (seg_len == 1 && !c->dns_have && (c->mqtt_head ? c->mqtt_head < 5 : head[0] == 0x10)) {
		c->mqtt_head++;
		return 0;
	}
	/* A DNS server reads a message's length alone, a byte or two at a
	 * time; a length under 4096 starts with no other protocol's byte. */
	if (c->role == SONDE_ROLE_SERVER && !c->mqtt_head && !c->mysql_head && seg_len == ret &&
	    c->dns_have + seg_len <= 2 && (c->dns_have || head[0] < 0x10)) {
		if (c->dns_have)
			c->dns_len |= head[0];
		else
			c->dns_len = (__u16)head[0] << 8 | (seg_len == 2 ? head[1] : 0);
		c->dns_have += seg_len;
		return 0;
	}
	/* Half a length, then more than its other half: no DNS read here. */
	if (c->dns_have == 1)
		c->dns_have = 0;
	if (!c->mysql_head && !c->mqtt_head && !c->dns_have && mysql_header(head, seg_len)) {
		__builtin_memcpy(&c->mysql_head, head, sizeof(c->mysql_head));
		return 0;
	}
	next = CLASSIFY_DONE;
	if (c->mqtt_head) {
		c->proto = mqtt_name_at(head, seg_len, 0) ? SONDE_PROTO_MQTT : SONDE_PROTO_UNKNOWN;
	} else if (c->mysql_head) {
		hdr = c->mysql_head;
		c->mysql_head = 0;
		c->proto = mysql_payload(hdr, head, seg_len, &next);
		if (c->proto == SONDE_PROTO_MYSQL_JOINED && (tls_flag || !conn_joined(c, ret)))
			c->proto = SONDE_PROTO_UNKNOWN;
		/* The header the parser needs first. */
		if (c->proto != SONDE_PROTO_UNKNOWN)
			data_emit_word(c, hdr, 4, (c->role == SONDE_ROLE_SERVER ? 0 : SONDE_DATA_SENT) | tls_flag);
	} else if (c->dns_have == 2) {
		__u8 qr = 1;

		c->dns_have = 0;
		/* The query's start: a server may read less of it, or more. */
		c->proto = c->dns_len >= DNS_MIN && dns_header(head, seg_len, &qr) && !qr ? SONDE_PROTO_DNS_TCP :
											    SONDE_PROTO_UNKNOWN;
		/* The length, in its bytes' order, which the parser frames by. */
		if (c->proto != SONDE_PROTO_UNKNOWN)
			data_emit_word(c, c->dns_len >> 8 | (__u32)(c->dns_len & 0xff) << 8, 2, tls_flag);
	} else if (dns_query_after_length(a, ret, head, seg_len)) {
		c->proto = SONDE_PROTO_DNS_TCP;
	} else {
		c->proto = classify(head, seg_len, &next);
	}
	/* Bytes no connection starts with: one older than sonde may be past
	 * its start (the socket's counts tell, read only then). */
	if (c->proto == SONDE_PROTO_UNKNOWN && next == CLASSIFY_DONE && !tls_flag) {
		__u8 joined = joined_proto(head, seg_len);

		if (joined && conn_joined(c, ret))
			c->proto = joined;
	}
	if (next == CLASSIFY_AGAIN)
		return 0;
	if (next == CLASSIFY_TLS && !tls_flag) {
		c->tls = 1;
		stat_inc(SONDE_STAT_TLS_CONNS);
		return 0;
	}
	if (c->proto == SONDE_PROTO_UNKNOWN) {
		conn_left_alone(c);
		return 0;
	}
	if (c->proto > SONDE_PROTO_HTTP1)
		pid_bit_set(&data_procs, c->tgid, 1);
	return 1;
}

/* ret bytes moved on connection c: a server receives requests and sends
 * responses, a client the reverse. tls_flag is SONDE_DATA_TLS when they
 * are plaintext from the TLS library. */
static __always_inline void conn_bytes(struct sonde_conn *c, const struct sonde_io *a, long ret, int received,
				       __u8 tls_flag)
{
	int request = (c->role == SONDE_ROLE_SERVER) == received;
	__u64 key = c->sk;

	if (c->proto == SONDE_PROTO_UNKNOWN && (!request || !conn_classify(c, a, ret, tls_flag)))
		return;
	if (c->proto == SONDE_PROTO_HTTP1) {
		if (request)
			exchange_request_bytes(c, key, a, ret);
		else
			exchange_response(c, key, a, ret);
		return;
	}
	data_emit(c, a->buf, a->iovcnt, ret, (received ? 0 : SONDE_DATA_SENT) | tls_flag);
}

#endif
