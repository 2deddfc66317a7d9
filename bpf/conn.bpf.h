/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Bytes moving on a tracked connection, from a socket syscall or, for a
 * TLS connection, from the TLS library's plaintext buffer: the first
 * bytes the client sends tell the protocol; HTTP/1.x is framed here, the
 * other protocols' bytes go to user space as data events. */
#ifndef SONDE_CONN_BPF_H
#define SONDE_CONN_BPF_H

#include "maps.bpf.h"
#include "http.bpf.h"
#include "proto.bpf.h"

/* iovecs looked through for the end of a chunked body: nginx writes the
 * last chunk within its first few. */
#define TAIL_MAX_IOV 8

/* The first bytes of the data a syscall moved: its buffer, or the first
 * iovec, cut to what the syscall returned. */
static __always_inline __u64 first_segment(const struct sonde_io *a, __u64 ret, __u32 *seg_len)
{
	struct iovec iov;

	if (!a->iovcnt) {
		*seg_len = ret > 0xffffffff ? 0xffffffff : ret;
		return a->buf;
	}
	if (bpf_probe_read_user(&iov, sizeof(iov), (void *)a->buf))
		return 0;
	*seg_len = iov.iov_len < ret ? iov.iov_len : ret;
	return (__u64)iov.iov_base;
}

/* Whether the bytes a write moved end with the last chunk of a chunked
 * body, "0\r\n\r\n". */
static __always_inline int ends_with_last_chunk(const struct sonde_io *a, __u64 ret)
{
	char tail[5] = {};
	__u64 end = 0, left = ret;
	struct iovec iov;
	__u32 i;

	if (!a->buf)
		return 0;
	if (!a->iovcnt) {
		end = a->buf + ret;
	} else {
#pragma unroll
		for (i = 0; i < TAIL_MAX_IOV; i++) {
			if (i >= a->iovcnt)
				return 0;
			if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(a->buf + i * sizeof(iov))))
				return 0;
			if (left <= iov.iov_len) {
				if (left < sizeof(tail))
					return 0;
				end = (__u64)iov.iov_base + left;
				break;
			}
			left -= iov.iov_len;
		}
	}
	if (!end || ret < sizeof(tail))
		return 0;
	if (bpf_probe_read_user(tail, sizeof(tail), (void *)(end - sizeof(tail))))
		return 0;
	return tail[0] == '0' && tail[1] == '\r' && tail[2] == '\n' && tail[3] == '\r' && tail[4] == '\n';
}

/* Bytes of the response moving: its head starts the response, and its
 * framing says when it is complete. */
static __always_inline void exchange_response(struct sonde_conn *c, __u64 key, const struct sonde_io *a, long ret)
{
	struct sonde_exchange *x;
	__u32 seg_len = 0;
	__u64 data;

	if (c->state != SONDE_CONN_REQUEST && c->state != SONDE_CONN_RESPONSE)
		return;
	x = exchange_of(c, key);
	if (!x)
		return;
	if (c->state == SONDE_CONN_REQUEST) {
		data = a->buf ? first_segment(a, ret, &seg_len) : 0;
		/* Body bytes by sendfile before any head: not HTTP framing we
		 * know, so the exchange waits for its next event. */
		if (!data || !response_start(c, x, data, seg_len))
			return;
	}
	x->ev.resp_bytes += ret;
	x->ev.end_ns = bpf_ktime_get_ns();
	if (c->resp_expected && x->ev.resp_bytes >= c->resp_expected)
		exchange_emit(c, x, SONDE_END_FRAMED);
	else if (c->chunked && ends_with_last_chunk(a, ret))
		exchange_emit(c, x, SONDE_END_FRAMED);
}

static __always_inline void exchange_request_bytes(struct sonde_conn *c, __u64 key, const struct sonde_io *a,
						   long ret)
{
	__u32 seg_len = 0;
	__u64 data;

	data = a->buf ? first_segment(a, ret, &seg_len) : 0;
	if (data)
		exchange_request(c, key, data, seg_len, ret, (__u32)bpf_get_current_pid_tgid());
}

/* Classifies a connection at its client's first bytes. Returns 1 when
 * they start a protocol followed here; a TLS handshake marks the
 * connection for the TLS library's probes instead, and a negotiation
 * (PostgreSQL's SSLRequest) leaves it to the next bytes. */
static __always_inline int conn_classify(struct sonde_conn *c, const struct sonde_io *a, long ret, __u8 tls_flag)
{
	__u8 head[8] = {}, next;
	__u32 seg_len = 0, peek;
	__u64 data;

	data = a->buf ? first_segment(a, ret, &seg_len) : 0;
	if (!data)
		return 0;
	peek = seg_len < 8 ? seg_len : 8;
	barrier_var(peek);
	peek &= 15;
	if (peek > 8)
		return 0;
	bpf_probe_read_user(head, peek, (void *)data);
	c->proto = classify(head, seg_len, &next);
	if (next == CLASSIFY_AGAIN)
		return 0;
	if (next == CLASSIFY_TLS && !tls_flag) {
		c->tls = 1;
		stat_inc(SONDE_STAT_TLS_CONNS);
		return 0;
	}
	if (c->proto == SONDE_PROTO_UNKNOWN) {
		c->state = SONDE_CONN_NOT_HTTP;
		stat_inc(SONDE_STAT_NOT_HTTP);
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
