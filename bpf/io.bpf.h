/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Bytes a target's socket call moved, whichever hook saw them (the socket
 * layer's tracepoints, or the raw syscall exit): the call's arguments are
 * still in the registers the process entered the kernel with, so the
 * buffer and how it is shaped come from there. */
#ifndef SONDE_IO_BPF_H
#define SONDE_IO_BPF_H

#include "maps.bpf.h"
#include "conn.bpf.h"
#include "conn_table.bpf.h"
#include "dgram.bpf.h"
#include "syscalls.bpf.h"
#include "tls.bpf.h"

#define EAGAIN 11
#define MSG_PEEK 2 /* uapi socket.h: not in vmlinux.h, which has no macros */

/* Ciphertext on a TLS connection: only tells a TLS call its socket, the
 * one in flight or, for a receive, the next of this thread; and frames a
 * write whose SSL object's socket was not known at its entry. A write
 * has no return probe, so its call stays in the thread's storage after
 * it: a receive then is outside any call. */
static __always_inline void tls_socket(struct sonde_conn *c, int received)
{
	struct sonde_tls_call *a;

	if (c->blind < SONDE_TLS_BLIND_CALLS && ++c->blind == SONDE_TLS_BLIND_CALLS)
		tls_unreadable(c);
	a = tls_call_current(c->tgid, received);
	if (!a)
		return;
	if (a->ssl && !(a->write && received)) {
		struct sonde_ssl_key key = { .ssl = a->ssl, .tgid = c->tgid };

		a->sk = c->sk;
		if (a->bind || (a->write && !a->done))
			tls_bind(&key, c);
		a->bind = 0;
		if (a->write && !a->done) {
			a->done = 1;
			tls_plain(c, a->buf, a->num, 0);
		}
	} else if (received) {
		a->last_sk = c->sk;
		a->last_conn_id = c->conn_id;
	}
}

/* A TLS write's send that would block: the call returns without its
 * bytes sent, and the library's retry ends where it did. Go's retries
 * inside the call. */
static __always_inline void tls_blocked(__u64 sk, __u32 tgid)
{
	struct sonde_ssl_conn *known;
	struct sonde_ssl_key skey = {};
	struct sonde_tls_call *a;
	struct sonde_conn *c;

	c = bpf_map_lookup_elem(&conns, &sk);
	if (!c || !c->tls || pid_bit_has(&go_procs, tgid))
		return;
	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->ssl || !a->write || !a->done)
		return;
	skey.ssl = a->ssl;
	skey.tgid = tgid;
	known = bpf_map_lookup_elem(&ssl_socks, &skey);
	if (known && known->sk == sk)
		known->pending_end = a->buf + a->num;
}

/* The bytes a msghdr's iovecs hold, and where a send goes. */
static __always_inline int msg_io(__u64 msg, struct sonde_io *io)
{
	struct user_msghdr m;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg) || !m.msg_iovlen)
		return -1;
	io->buf = (__u64)m.msg_iov;
	io->iovcnt = m.msg_iovlen;
	io->name = (__u64)m.msg_name;
	return 0;
}

/* The followed entry of socket sk, which process tgid uses at fd: one
 * made now for a socket no entry holds; NULL for one left alone. */
static __always_inline struct sonde_conn *io_conn(__u64 sk, __u32 tgid, __u32 fd)
{
	struct sonde_conn *c = bpf_map_lookup_elem(&conns, &sk);

	if (!c)
		c = sock_is_udp((struct sock *)sk) ? dgram_of((struct sock *)sk, fd) :
						     conn_adopt((struct sock *)sk, fd);
	if (!c || c->state == SONDE_CONN_NOT_HTTP)
		return 0;
	if (c->tgid != tgid)
		conn_move(c, tgid);
	if (c->fd != fd)
		c->fd = fd;
	return c;
}

/* Socket call nr of a followed process (tgid) moved ret bytes on sk, or
 * failed with -ret. A receive that only peeks (flags) is left out: the
 * bytes come again with the read that takes them. sendfile moves body
 * bytes from a file: counted, never read. subprogs: a datagram through
 * the global function, as the raw syscall exit's must. */
static __always_inline int io_moved(__u64 sk, __u32 tgid, struct pt_regs *regs, long nr, long ret, int received,
				    int flags, int subprogs)
{
	struct sonde_io io = { .fd = SYSCALL_ARG0(regs) };
	struct sonde_conn *c;

	if (ret <= 0) {
		if (ret == -EAGAIN && !received)
			tls_blocked(sk, tgid);
		return 0;
	}
	if (received && (flags & MSG_PEEK))
		return 0;
	c = io_conn(sk, tgid, io.fd);
	if (!c)
		return 0;
	if (c->tls) {
		tls_socket(c, received);
		return 0;
	}
	switch (nr) {
	case SYS_SENDTO:
		io.name = SYSCALL_ARG4(regs);
		/* fall through */
	case SYS_READ:
	case SYS_WRITE:
	case SYS_RECVFROM:
		io.buf = SYSCALL_ARG1(regs);
		break;
	case SYS_READV:
	case SYS_WRITEV:
		io.buf = SYSCALL_ARG1(regs);
		io.iovcnt = SYSCALL_ARG2(regs);
		if (!io.iovcnt)
			return 0;
		break;
	case SYS_RECVMSG:
	case SYS_SENDMSG:
		if (msg_io(SYSCALL_ARG1(regs), &io))
			return 0;
		break;
	default: /* sendfile */
		break;
	}
	if (subprogs && c->dgram)
		sonde_dgram_bytes(c, &io, ret, received);
	else if (c->dgram)
		dgram_bytes(c, &io, ret, received);
	else
		conn_bytes(c, &io, ret, received, 0);
	return 0;
}

/* A sendmmsg or recvmmsg of a followed process (tgid) on UDP socket sk
 * at fd: at its exit, the first n datagrams of the vector at vec (one
 * false); as it moves, the one of ret bytes among the first vlen. */
static __always_inline int io_mmsg(struct sock *sk, __u32 tgid, __u32 fd, __u64 vec, long n, long ret, int received,
				   int exit)
{
	struct sonde_conn *c;

	if (!sk || !sock_is_udp(sk))
		return 0;
	c = io_conn((__u64)sk, tgid, fd);
	if (!c || !c->dgram)
		return 0;
	if (exit)
		dgram_mmsg(c, vec, n, received);
	else
		dgram_mmsg_one(c, vec, n, ret, received);
	return 0;
}

#endif
