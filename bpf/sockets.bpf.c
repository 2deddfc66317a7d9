// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Socket syscalls of the targets. A server connection is tracked from its
 * accept, a client connection from its connect; a process that holds none
 * leaves every read and write at one bit of the followed map, and a file
 * of one that does at its lookup in the connection map. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#define SONDE_DEFINE_HEAD_SCAN
#include "maps.bpf.h"
#include "conn.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"
#include "syscalls.bpf.h"
#include "tls.bpf.h"

#define EINPROGRESS 115
#define EAGAIN 11

/* Whether an entry already under a key is still counted live: one of
 * the current process (an fd reused without a close seen), not one left
 * by an exited process whose pid came back, uncounted at its exit. */
static __always_inline int conn_counted(const struct sonde_conn *old, __u64 key)
{
	struct task_struct *leader = bpf_get_current_task_btf()->group_leader;

	return key >> 32 == bpf_get_current_pid_tgid() >> 32 && old->conn_id >= BPF_CORE_READ(leader, start_time);
}

/* Puts a connection in the table, unless max_conns live ones are there
 * already: then it is not followed, and that is counted. Entries of
 * processes that exited are not live, and are the first the kernel's LRU
 * gives up for new ones. */
static __always_inline struct sonde_conn *conn_insert(__u64 key, const struct sonde_conn *v)
{
	struct sonde_config *cfg = config_get();
	__u32 zero = 0;
	__s64 *live = bpf_map_lookup_elem(&conns_live, &zero);
	struct sonde_conn *old;

	if (!live || !cfg)
		return 0;
	old = bpf_map_lookup_elem(&conns, &key);
	if (old && conn_counted(old, key)) {
		if (bpf_map_update_elem(&conns, &key, v, BPF_EXIST))
			return 0;
		return bpf_map_lookup_elem(&conns, &key);
	}
	if (__sync_fetch_and_add(live, 1) >= cfg->max_conns) {
		__sync_fetch_and_add(live, -1);
		stat_inc(SONDE_STAT_CONNS_UNTRACKED);
		return 0;
	}
	if (bpf_map_update_elem(&conns, &key, v, old ? BPF_EXIST : BPF_NOEXIST)) {
		__sync_fetch_and_add(live, -1);
		return 0;
	}
	return bpf_map_lookup_elem(&conns, &key);
}

static __always_inline void conn_delete(__u64 key)
{
	if (!bpf_map_delete_elem(&conns, &key))
		conns_live_add(-1);
}

/* The process's open connection counts, made with its first. */
static __always_inline struct sonde_proc_conns *proc_conns_of(__u32 tgid, __u32 service)
{
	struct sonde_proc_conns zero = { .service_id = service }, *pc;

	pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	if (pc)
		return pc;
	bpf_map_update_elem(&proc_conns, &tgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&proc_conns, &tgid);
}

static __always_inline struct sonde_conn *conn_new(__u32 tgid, __u32 fd, __u32 service, __u8 role, struct sock *sk)
{
	struct sonde_conn v = {
		.conn_id = bpf_ktime_get_ns(),
		.cgroup_id = bpf_get_current_cgroup_id(),
		.service_id = service,
		.tgid = tgid,
		.fd = fd,
		.role = role,
	};
	struct sonde_proc_conns *pc;
	struct sonde_conn *c;

	sock_peer(sk, &v.peer);
	c = conn_insert(conn_key(tgid, fd), &v);
	if (!c)
		return 0;
	followed_set(tgid, 1);
	pc = proc_conns_of(tgid, service);
	if (pc)
		__sync_fetch_and_add(role == SONDE_ROLE_SERVER ? &pc->server : &pc->client, 1);
	return c;
}

static __always_inline int on_accept(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_conn *c;
	__u32 service;
	struct sock *sk;

	if (ret < 0 || !select_current(&service))
		return 0;
	sk = fd_sock(ret);
	if (!sk)
		return 0;
	c = conn_new(tgid, ret, service, SONDE_ROLE_SERVER, sk);
	if (!c)
		return 0;
	sock_track(sk, tgid, service, SONDE_ROLE_SERVER, &c->peer, 0);
	stat_inc(SONDE_STAT_CONNS);
	return 0;
}

/* connect's outcome comes from the TCP state hooks; here it only starts
 * following the connection's bytes, for client requests. */
static __always_inline int on_connect(__u32 fd, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 service;
	struct sock *sk;

	if ((ret != 0 && ret != -EINPROGRESS) || !select_current(&service))
		return 0;
	sk = fd_sock(fd);
	if (!sk || !sock_is_tcp(sk))
		return 0;
	if (conn_new(tgid, fd, service, SONDE_ROLE_CLIENT, sk))
		stat_inc(SONDE_STAT_CLIENT_CONNS);
	return 0;
}

/* A server connection closed by the process that accepted it before any
 * byte moved, right after it forked a child once the connection was
 * accepted: the socket now belongs to the child, which serves it
 * (PostgreSQL's postmaster and its backends). A connection that merely
 * closed silently after some older fork (a health probe's, while Redis
 * saves in a child) stays where it was. Returns 1 when the connection
 * moved there. */
static __always_inline int hand_over(struct sonde_conn *c, __u32 tgid, __u32 fd, struct sonde_proc_conns *pc)
{
	struct sonde_proc_conns *cpc;
	struct sonde_conn moved;
	__u32 child;

	if (!pc || !pc->last_child || c->role != SONDE_ROLE_SERVER || c->state != SONDE_CONN_IDLE || c->spoke ||
	    c->proto || c->tls || pc->fork_ns < c->conn_id || bpf_ktime_get_ns() - pc->fork_ns > SONDE_HAND_OVER_NS)
		return 0;
	child = pc->last_child;
	pc->last_child = 0;
	moved = *c;
	moved.tgid = child;
	if (!conn_insert(conn_key(child, fd), &moved))
		return 0;
	followed_set(child, 1);
	cpc = proc_conns_of(child, c->service_id);
	if (cpc)
		__sync_fetch_and_add(&cpc->server, 1);
	return 1;
}

/* The child first to use a socket its parent accepted and handed it by
 * forking, before the parent closed its copy: it takes the connection. */
static __always_inline struct sonde_conn *take_over(__u32 tgid, __u32 fd)
{
	__u32 parent = BPF_CORE_READ(bpf_get_current_task_btf(), real_parent, tgid);
	struct sonde_proc_conns *ppc = bpf_map_lookup_elem(&proc_conns, &parent);
	__u64 pkey = conn_key(parent, fd), key = conn_key(tgid, fd);
	struct sonde_conn *pc;

	if (!ppc || ppc->last_child != tgid)
		return 0;
	pc = bpf_map_lookup_elem(&conns, &pkey);
	if (!pc || !hand_over(pc, parent, fd, ppc))
		return 0;
	conn_delete(pkey);
	__sync_fetch_and_add(&ppc->server, -1);
	return bpf_map_lookup_elem(&conns, &key);
}

/* Ciphertext on a TLS connection: only tells a TLS call its socket, the
 * one in flight or, for a receive, the next of this thread; and frames a
 * write whose SSL object's socket was not known at its entry. A write
 * has no return probe, so its call stays in the thread's storage after
 * it: a receive then is outside any call. */
static __always_inline void tls_socket(struct sonde_conn *c, __u32 fd, int received)
{
	struct sonde_tls_call *a;

	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0,
				 received ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!a)
		return;
	if (a->ssl && !(a->write && received)) {
		a->fd = fd + 1;
		if (a->write && !a->done) {
			struct sonde_ssl_key key = { .ssl = a->ssl, .tgid = c->tgid };

			a->done = 1;
			tls_bind(&key, c, fd);
			tls_plain(c, a->buf, a->num, 0);
		}
	} else if (received) {
		a->last_fd = fd + 1;
		a->last_conn_id = c->conn_id;
	}
}

/* A TLS write's syscall that would block: the call returns without its
 * bytes sent, and the library's retry ends where it did. */
static __always_inline void tls_blocked(__u32 tgid, __u32 fd)
{
	__u64 key = conn_key(tgid, fd);
	struct sonde_ssl_conn *known;
	struct sonde_ssl_key skey = {};
	struct sonde_tls_call *a;
	struct sonde_conn *c;

	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || !c->tls)
		return;
	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->ssl || !a->write || !a->done)
		return;
	skey.ssl = a->ssl;
	skey.tgid = tgid;
	known = bpf_map_lookup_elem(&ssl_fds, &skey);
	if (known && known->fd == fd)
		known->pending_end = a->buf + a->num;
}

#define MSG_PEEK 2 /* uapi socket.h: not in vmlinux.h, which has no macros */

/* The bytes a msghdr's iovecs hold. */
static __always_inline int msg_io(__u64 msg, struct sonde_io *io)
{
	struct user_msghdr m;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg) || !m.msg_iovlen)
		return -1;
	io->buf = (__u64)m.msg_iov;
	io->iovcnt = m.msg_iovlen;
	return 0;
}

/* A socket syscall that moved ret bytes, its arguments still in the
 * registers: the buffer and how it is shaped come from the call. A
 * receive that only peeks is left out: the bytes come again with the
 * read that takes them. sendfile moves body bytes from a file: counted,
 * never read. */
static __always_inline int io_moved(struct pt_regs *regs, long nr, long ret)
{
	struct sonde_io io = { .fd = SYSCALL_ARG0(regs) };
	struct sonde_conn *c;
	__u32 tgid;
	__u64 key;
	int received;

	if (ret <= 0) {
		if (ret == -EAGAIN && (nr == SYS_WRITE || nr == SYS_WRITEV || nr == SYS_SENDTO || nr == SYS_SENDMSG)) {
			tgid = bpf_get_current_pid_tgid() >> 32;
			if (followed_has(tgid) && !syscall_compat())
				tls_blocked(tgid, io.fd);
		}
		return 0;
	}
	tgid = bpf_get_current_pid_tgid() >> 32;
	if (!followed_has(tgid) || syscall_compat())
		return 0;
	key = conn_key(tgid, io.fd);
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		c = take_over(tgid, io.fd);
	if (!c || c->state == SONDE_CONN_NOT_HTTP)
		return 0;
	received = nr == SYS_READ || nr == SYS_RECVFROM || nr == SYS_READV || nr == SYS_RECVMSG;
	if (c->tls) {
		tls_socket(c, io.fd, received);
		return 0;
	}
	switch (nr) {
	case SYS_READ:
	case SYS_WRITE:
	case SYS_SENDTO:
		io.buf = SYSCALL_ARG1(regs);
		break;
	case SYS_RECVFROM:
		if (SYSCALL_ARG3(regs) & MSG_PEEK)
			return 0;
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
		if (SYSCALL_ARG2(regs) & MSG_PEEK)
			return 0;
		if (msg_io(SYSCALL_ARG1(regs), &io))
			return 0;
		break;
	case SYS_SENDMSG:
		if (msg_io(SYSCALL_ARG1(regs), &io))
			return 0;
		break;
	default: /* sendfile */
		break;
	}
	conn_bytes(c, &io, ret, received, 0);
	return 0;
}

/* Every syscall's exit, of every process: one that is not followed here
 * leaves at its number, the socket ones at the followed bit of the
 * process; their arguments are still in the registers, so no program
 * runs at their entry. */
SEC("tp_btf/sys_exit")
int BPF_PROG(sonde_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = SYSCALL_NR(regs);

	if ((unsigned long)nr < 64 && (SYS_IO_MASK >> nr) & 1)
		return io_moved(regs, nr, ret);
	if (nr == SYS_ACCEPT || nr == SYS_ACCEPT4)
		return syscall_compat() ? 0 : on_accept(ret);
	if (nr == SYS_CONNECT)
		return syscall_compat() ? 0 : on_connect(SYSCALL_ARG0(regs), ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int sonde_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = conn_key(tgid, ctx->args[0]);
	struct sonde_proc_conns *pc;
	struct sonde_exchange *x;
	struct sonde_conn *c;

	if (!followed_has(tgid))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	if (!hand_over(c, tgid, ctx->args[0], pc)) {
		if (c->proto > SONDE_PROTO_HTTP1) {
			data_emit(c, 0, 0, 0, SONDE_DATA_CLOSE);
		} else if (c->state == SONDE_CONN_RESPONSE) {
			x = exchange_of(c, key);
			if (x)
				exchange_emit(c, x, SONDE_END_CLOSE);
		} else if (c->state == SONDE_CONN_REQUEST) {
			stat_inc(SONDE_STAT_UNANSWERED);
		}
	}
	if (pc)
		__sync_fetch_and_add(c->role == SONDE_ROLE_SERVER ? &pc->server : &pc->client, -1);
	bpf_map_delete_elem(&exchanges, &key);
	conn_delete(key);
	return 0;
}
