/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel's view of a target's TCP sockets: the struct sock behind an
 * fd, its peer, and the socks map that lets softirq-side hooks (state
 * changes, retransmits) attribute what they see. */
#ifndef SONDE_SOCK_BPF_H
#define SONDE_SOCK_BPF_H

#include <bpf/bpf_endian.h>
#include "maps.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define S_IFMT 00170000
#define S_IFSOCK 0140000

static __always_inline int file_is_socket(struct file *file)
{
	return (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) == S_IFSOCK;
}

/* The socket behind one of the current process's fds, NULL if none. */
static __always_inline struct sock *fd_sock(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = 0;
	struct socket *sock;

	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file || !file_is_socket(file))
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

/* Whether sk is an IPv4 or IPv6 socket of protocol proto (IPPROTO_*). */
static __always_inline int sock_is_inet(struct sock *sk, __u16 proto)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) && BPF_CORE_READ(sk, sk_protocol) == proto;
}

static __always_inline int sock_is_tcp(struct sock *sk)
{
	return sock_is_inet(sk, IPPROTO_TCP);
}

static __always_inline int sock_is_udp(struct sock *sk)
{
	return sock_is_inet(sk, IPPROTO_UDP);
}

static __always_inline void sock_peer(struct sock *sk, struct sonde_peer *p)
{
	__u32 addr4;

	p->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	p->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (p->family == AF_INET) {
		addr4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(p->addr, &addr4, sizeof(addr4));
	} else if (p->family == AF_INET6) {
		BPF_CORE_READ_INTO(&p->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* Records a target's socket; of the current process, or when who is
 * given (softirq context), of the listener's. */
static __always_inline void sock_track(struct sock *sk, __u32 tgid, __u32 service, __u8 role,
				       const struct sonde_peer *peer, __u64 start_ns, const struct sonde_listener *who)
{
	struct sonde_sock s = {
		.tgid = tgid,
		.service_id = service,
		.start_ns = start_ns,
		.role = role,
		.peer = *peer,
	};
	__u64 key = (__u64)sk;

	if (who) {
		s.cgroup_id = who->cgroup_id;
		s.tid = who->tgid;
		__builtin_memcpy(s.comm, who->comm, sizeof(s.comm));
	} else {
		s.cgroup_id = bpf_get_current_cgroup_id();
		s.tid = (__u32)bpf_get_current_pid_tgid();
		bpf_get_current_comm(s.comm, sizeof(s.comm));
	}
	if (bpf_map_update_elem(&socks, &key, &s, BPF_ANY))
		stat_inc(SONDE_STAT_SOCKS_UNTRACKED);
}

static __always_inline void conn_event(const struct sonde_sock *s, __u8 what, __s32 error, __u64 duration_ns,
				       __u64 sent, __u64 received, const struct sonde_peer *local)
{
	struct sonde_conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(SONDE_STAT_LOST);
		return;
	}
	e->type = SONDE_EVENT_CONN;
	e->tgid = s->tgid;
	e->service_id = s->service_id;
	e->what = what;
	e->role = s->role;
	e->pad = 0;
	e->error = error;
	e->tid = s->tid;
	e->cgroup_id = s->cgroup_id;
	e->ts_ns = bpf_ktime_get_ns();
	e->duration_ns = duration_ns;
	e->bytes_sent = sent;
	e->bytes_received = received;
	e->peer = s->peer;
	if (local)
		e->local = *local;
	else
		__builtin_memset(&e->local, 0, sizeof(e->local));
	__builtin_memcpy(e->comm, s->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wakeup_flag());
	stat_inc(SONDE_STAT_EVENTS);
}

#endif
