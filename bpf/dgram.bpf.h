/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A target's UDP sockets: no connection, each datagram a message of its
 * own. A socket is followed from its first datagram, when that is a DNS
 * message, as the server's when it received a query or sent an answer,
 * else as the client's; every datagram then goes to user space, which
 * pairs queries and answers. A socket whose first datagram is no DNS is
 * left alone. Entries are in the dgrams map: their end is seen at close()
 * in the mode "syscalls"; else a socket made later at the same address
 * tells by its inode, and the LRU ages out the rest. */
#ifndef SONDE_DGRAM_BPF_H
#define SONDE_DGRAM_BPF_H

#include "maps.bpf.h"
#include "conn.bpf.h"
#include "proto.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"

/* Datagrams of one sendmmsg or recvmmsg read. */
#define SONDE_MMSG_MAX 8

/* The inode number of sk's socket: its inode is allocated with it
 * (struct socket_alloc), so two reads find it, not four. */
static __always_inline __u32 sock_ino(struct sock *sk)
{
	struct socket_alloc *sa = (struct socket_alloc *)BPF_CORE_READ(sk, sk_socket);

	return sa ? BPF_CORE_READ(sa, vfs_inode.i_ino) : 0;
}

/* UDP socket c, under key, is over: its parser goes. */
static __always_inline void dgram_close(struct sonde_conn *c, __u64 key)
{
	if (c->proto != SONDE_PROTO_UNKNOWN)
		data_emit(c, 0, 0, 0, SONDE_DATA_CLOSE);
	bpf_map_delete_elem(&dgrams, &key);
}

/* The entry of UDP socket sk, which the current process uses at fd: made
 * at its first datagram for a target's, which tells its protocol and its
 * role. */
static __always_inline struct sonde_conn *dgram_of(struct sock *sk, __u32 fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, ino = sock_ino(sk), service;
	__u64 key = (__u64)sk;
	struct sonde_conn *c = bpf_map_lookup_elem(&dgrams, &key);

	if (c && c->ino == ino)
		return c;
	if (c)
		dgram_close(c, key);
	if (!select_current(&service))
		return 0;
	struct sonde_conn v = {
		.conn_id = bpf_ktime_get_ns(),
		.sk = key,
		.cgroup_id = bpf_get_current_cgroup_id(),
		.service_id = service,
		.tgid = tgid,
		.fd = fd,
		.dgram = 1,
		.ino = ino,
	};

	sock_peer(sk, &v.peer);
	if (bpf_map_update_elem(&dgrams, &key, &v, BPF_ANY))
		return 0;
	/* Its close() is seen then, in the mode "syscalls". */
	followed_set(tgid, 1);
	return bpf_map_lookup_elem(&dgrams, &key);
}

/* The address a datagram was sent to, from the sockaddr at name: its
 * family first, then as much as that family's holds. */
static __always_inline void dgram_peer(__u64 name, struct sonde_peer *p)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	__u16 family;

	if (bpf_probe_read_user(&family, sizeof(family), (void *)name))
		return;
	if (family == AF_INET && !bpf_probe_read_user(&a4, sizeof(a4), (void *)name)) {
		p->family = AF_INET;
		p->port = bpf_ntohs(a4.sin_port);
		__builtin_memcpy(p->addr, &a4.sin_addr, 4);
	} else if (family == AF_INET6 && !bpf_probe_read_user(&a6, sizeof(a6), (void *)name)) {
		p->family = AF_INET6;
		p->port = bpf_ntohs(a6.sin6_port);
		__builtin_memcpy(p->addr, &a6.sin6_addr, 16);
	}
}

/* One datagram of ret bytes on UDP socket c. A send to an address says
 * whom the socket talks to now: an unconnected client's answer comes from
 * there, and a server's answer names its client. */
static __always_inline void dgram_bytes(struct sonde_conn *c, const struct sonde_io *io, long ret, int received)
{
	__u8 head[DNS_MIN] = {}, qr = 0;
	__u32 seg_len = 0;
	__u64 data;

	if (c->proto == SONDE_PROTO_UNKNOWN) {
		data = io->buf ? first_segment(io, ret, &seg_len) : 0;
		if (!data || seg_len < DNS_MIN || bpf_probe_read_user(head, sizeof(head), (void *)data) ||
		    !dns_header(head, seg_len, &qr)) {
			c->state = SONDE_CONN_NOT_HTTP;
			return;
		}
		c->role = (!received) == qr ? SONDE_ROLE_SERVER : SONDE_ROLE_CLIENT;
		c->proto = SONDE_PROTO_DNS;
		pid_bit_set(&data_procs, c->tgid, 1);
	}
	if (!received && io->name)
		dgram_peer(io->name, &c->peer);
	data_emit(c, io->buf, io->iovcnt, ret, received ? 0 : SONDE_DATA_SENT);
}

/* dgram_bytes as a global function, which the verifier checks once: the
 * raw syscall exit reaches it in too many states, one vector's loop
 * among them, to check it inline at each. The socket layer's programs
 * keep it inline: checked there with nothing known of its arguments, it
 * cost them more (950,000 instructions processed against 690,000). */
#ifdef SONDE_DEFINE_SUBPROGS
__attribute__((noinline)) int sonde_dgram_bytes(struct sonde_conn *c, const struct sonde_io *io, long ret, int received)
{
	if (c && io)
		dgram_bytes(c, io, ret, received);
	return 0;
}
#else
extern int sonde_dgram_bytes(struct sonde_conn *c, const struct sonde_io *io, long ret, int received);
#endif

/* Datagram i of an mmsghdr vector, len bytes of it moved; subprogs:
 * through the global function. */
static __always_inline void dgram_mmsg_at(struct sonde_conn *c, const struct mmsghdr *m, __u32 len, int received,
					  int subprogs)
{
	struct sonde_io io = {
		.buf = (__u64)m->msg_hdr.msg_iov,
		.iovcnt = m->msg_hdr.msg_iovlen,
		.fd = c->fd,
		.name = received ? 0 : (__u64)m->msg_hdr.msg_name,
	};

	if (io.iovcnt && subprogs)
		sonde_dgram_bytes(c, &io, len, received);
	else if (io.iovcnt)
		dgram_bytes(c, &io, len, received);
}

/* The first n datagrams of a sendmmsg or recvmmsg on UDP socket c, at
 * the syscall's exit (the mode "syscalls"): the kernel wrote each one's
 * length into the vector at vec. */
static __always_inline void dgram_mmsg(struct sonde_conn *c, __u64 vec, long n, int received)
{
	struct mmsghdr m;

	for (__u32 i = 0; i < SONDE_MMSG_MAX && i < n; i++) {
		if (bpf_probe_read_user(&m, sizeof(m), (void *)(vec + i * sizeof(m))) || !m.msg_len)
			return;
		dgram_mmsg_at(c, &m, m.msg_len, received, 1);
		if (c->state == SONDE_CONN_NOT_HTTP)
			return;
	}
}

/* One datagram of a sendmmsg or recvmmsg on UDP socket c, ret bytes, seen
 * as it moves (the socket layer's tracepoints): the kernel writes each
 * one's length after it, so it is the first without one. The vector's
 * lengths are the caller's to clear, as resolvers do (glibc, dig); one
 * reused with its lengths left over is misread. */
static __always_inline void dgram_mmsg_one(struct sonde_conn *c, __u64 vec, __u32 vlen, long ret, int received)
{
	struct mmsghdr m;

	for (__u32 i = 0; i < SONDE_MMSG_MAX && i < vlen; i++) {
		if (bpf_probe_read_user(&m, sizeof(m), (void *)(vec + i * sizeof(m))))
			return;
		if (!m.msg_len) {
			dgram_mmsg_at(c, &m, ret, received, 0);
			return;
		}
	}
	stat_inc(SONDE_STAT_MMSG_UNKNOWN);
}

#endif
