// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Socket syscalls of the targets. A server connection is tracked from its
 * accept, a client connection from its connect; every read and write hook
 * leaves at its first lookup, in the connection map, unless the fd is such
 * a connection, so untargeted processes and files cost one hash lookup. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#define SONDE_DEFINE_HEAD_SCAN
#include "maps.bpf.h"
#include "conn.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"

#define EINPROGRESS 115
#define IO_ACTIVE 1
#define IO_CONNECT 2

static const struct sonde_conn zero_conn;

static __always_inline struct sonde_conn *conn_new(__u32 tgid, __u32 fd, __u32 service, __u8 role, struct sock *sk)
{
	__u64 key = conn_key(tgid, fd);
	struct sonde_conn *c;

	if (bpf_map_update_elem(&conns, &key, &zero_conn, BPF_ANY))
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	c->ev.type = SONDE_EVENT_HTTP;
	c->ev.conn_id = bpf_ktime_get_ns();
	c->ev.cgroup_id = bpf_get_current_cgroup_id();
	c->ev.service_id = service;
	c->ev.tgid = tgid;
	c->ev.fd = fd;
	c->ev.role = role;
	sock_peer(sk, &c->ev.peer);
	return c;
}

static __always_inline int on_accept(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_proc_conns zero = {}, *pc;
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
	sock_track(sk, tgid, service, SONDE_ROLE_SERVER, &c->ev.peer, 0);
	pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	if (!pc) {
		zero.service_id = service;
		bpf_map_update_elem(&proc_conns, &tgid, &zero, BPF_NOEXIST);
		pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	}
	if (pc)
		__sync_fetch_and_add(&pc->server, 1);
	stat_inc(SONDE_STAT_CONNS);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int sonde_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int sonde_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return on_accept(ctx->ret);
}

static __always_inline int io_enter(__u32 fd, __u64 buf, __u32 iovcnt, int received)
{
	__u64 key = conn_key(bpf_get_current_pid_tgid() >> 32, fd);
	struct sonde_io_args *a;
	struct sonde_conn *c;

	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->state == SONDE_CONN_NOT_HTTP)
		return 0;
	if (c->tls) {
		/* Ciphertext: only tells a TLS call its socket, the one in
		 * flight or, for a receive, the next of this thread. */
		a = bpf_task_storage_get(&io_args, bpf_get_current_task_btf(), 0,
					 received ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (!a)
			return 0;
		if (a->tls_ssl) {
			a->tls_fd = fd + 1;
		} else if (received) {
			a->tls_last_fd = fd + 1;
			a->tls_last_conn_id = c->ev.conn_id;
		}
		return 0;
	}
	a = bpf_task_storage_get(&io_args, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->buf = buf;
	a->iovcnt = iovcnt;
	a->fd = fd;
	a->active = IO_ACTIVE;
	return 0;
}

static __always_inline int msg_enter(__u32 fd, __u64 msg, int received)
{
	struct user_msghdr m;

	if (bpf_probe_read_user(&m, sizeof(m), (void *)msg))
		return 0;
	if (!m.msg_iovlen)
		return 0;
	return io_enter(fd, (__u64)m.msg_iov, m.msg_iovlen, received);
}

static __always_inline struct sonde_conn *io_exit(long ret, struct sonde_io_args *out)
{
	struct sonde_io_args *a;
	__u64 key;

	a = bpf_task_storage_get(&io_args, bpf_get_current_task_btf(), 0, 0);
	if (!a || a->active != IO_ACTIVE)
		return 0;
	*out = *a;
	a->active = 0;
	if (ret <= 0)
		return 0;
	key = conn_key(bpf_get_current_pid_tgid() >> 32, out->fd);
	return bpf_map_lookup_elem(&conns, &key);
}

/* Bytes a syscall moved on a connection. */
static __always_inline int moved(long ret, int received)
{
	struct sonde_io_args a;
	struct sonde_conn *c;

	c = io_exit(ret, &a);
	if (c)
		conn_bytes(c, &a, ret, received, 0);
	return 0;
}

#define MSG_PEEK 2 /* uapi socket.h: not in vmlinux.h, which has no macros */

/* One program per syscall tracepoint, in these shapes: a buffer, an iovec
 * array, a msghdr at entry; the byte count at exit. A receive that only
 * peeks is left out: the bytes come again with the read that takes them. */
#define ENTER_BUF(call, received)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #call)                       \
	int sonde_enter_##call(struct trace_event_raw_sys_enter *ctx)     \
	{                                                                 \
		return io_enter(ctx->args[0], ctx->args[1], 0, received); \
	}
#define ENTER_IOV(call, received)                                                                       \
	SEC("tracepoint/syscalls/sys_enter_" #call)                                                     \
	int sonde_enter_##call(struct trace_event_raw_sys_enter *ctx)                                   \
	{                                                                                               \
		return ctx->args[2] ? io_enter(ctx->args[0], ctx->args[1], ctx->args[2], received) : 0; \
	}
#define ENTER_MSG(call)                                               \
	SEC("tracepoint/syscalls/sys_enter_" #call)                   \
	int sonde_enter_##call(struct trace_event_raw_sys_enter *ctx) \
	{                                                             \
		return msg_enter(ctx->args[0], ctx->args[1], 0);      \
	}
#define ENTER_RECVMSG(call)                                           \
	SEC("tracepoint/syscalls/sys_enter_" #call)                   \
	int sonde_enter_##call(struct trace_event_raw_sys_enter *ctx) \
	{                                                             \
		if (ctx->args[2] & MSG_PEEK)                          \
			return 0;                                     \
		return msg_enter(ctx->args[0], ctx->args[1], 1);      \
	}
#define ENTER_RECV(call)                                              \
	SEC("tracepoint/syscalls/sys_enter_" #call)                   \
	int sonde_enter_##call(struct trace_event_raw_sys_enter *ctx) \
	{                                                             \
		if (ctx->args[3] & MSG_PEEK)                          \
			return 0;                                     \
		return io_enter(ctx->args[0], ctx->args[1], 0, 1);    \
	}
#define EXIT(call, received)                                        \
	SEC("tracepoint/syscalls/sys_exit_" #call)                  \
	int sonde_exit_##call(struct trace_event_raw_sys_exit *ctx) \
	{                                                           \
		return moved(ctx->ret, received);                   \
	}

ENTER_BUF(read, 1)
ENTER_RECV(recvfrom)
ENTER_IOV(readv, 1)
ENTER_RECVMSG(recvmsg)
EXIT(read, 1)
EXIT(recvfrom, 1)
EXIT(readv, 1)
EXIT(recvmsg, 1)

ENTER_BUF(write, 0)
ENTER_BUF(sendto, 0)
ENTER_IOV(writev, 0)
ENTER_MSG(sendmsg)
EXIT(write, 0)
EXIT(sendto, 0)
EXIT(writev, 0)
EXIT(sendmsg, 0)

/* sendfile moves body bytes from a file: counted, never read. */
SEC("tracepoint/syscalls/sys_enter_sendfile64")
int sonde_enter_sendfile(struct trace_event_raw_sys_enter *ctx)
{
	return io_enter(ctx->args[0], 0, 0, 0);
}

EXIT(sendfile64, 0)

/* connect's outcome comes from the TCP state hooks; here it only starts
 * following the connection's bytes, for client requests. */
SEC("tracepoint/syscalls/sys_enter_connect")
int sonde_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct sonde_io_args *a;
	__u32 service;

	if (!select_current(&service))
		return 0;
	a = bpf_task_storage_get(&io_args, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->fd = ctx->args[0];
	a->buf = service;
	a->active = IO_CONNECT;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int sonde_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_io_args *a;
	struct sock *sk;
	__u32 fd;

	a = bpf_task_storage_get(&io_args, bpf_get_current_task_btf(), 0, 0);
	if (!a || a->active != IO_CONNECT)
		return 0;
	a->active = 0;
	if (ctx->ret != 0 && ctx->ret != -EINPROGRESS)
		return 0;
	fd = a->fd;
	sk = fd_sock(fd);
	if (!sk || !sock_is_tcp(sk))
		return 0;
	if (conn_new(tgid, fd, (__u32)a->buf, SONDE_ROLE_CLIENT, sk))
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
	struct sonde_proc_conns zero = {}, *cpc;
	__u32 child;
	__u64 key;

	if (!pc || !pc->last_child || c->ev.role != SONDE_ROLE_SERVER || c->state != SONDE_CONN_IDLE ||
	    c->ev.start_ns || c->proto || c->tls || pc->fork_ns < c->ev.conn_id ||
	    bpf_ktime_get_ns() - pc->fork_ns > SONDE_HAND_OVER_NS)
		return 0;
	child = pc->last_child;
	pc->last_child = 0;
	c->ev.tgid = child;
	key = conn_key(child, fd);
	if (bpf_map_update_elem(&conns, &key, c, BPF_ANY))
		return 0;
	zero.service_id = c->ev.service_id;
	bpf_map_update_elem(&proc_conns, &child, &zero, BPF_NOEXIST);
	cpc = bpf_map_lookup_elem(&proc_conns, &child);
	if (cpc)
		__sync_fetch_and_add(&cpc->server, 1);
	return 1;
}

SEC("tracepoint/syscalls/sys_enter_close")
int sonde_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 key = conn_key(tgid, ctx->args[0]);
	struct sonde_proc_conns *pc;
	struct sonde_conn *c;

	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	pc = c->ev.role == SONDE_ROLE_SERVER ? bpf_map_lookup_elem(&proc_conns, &tgid) : 0;
	if (!hand_over(c, tgid, ctx->args[0], pc)) {
		if (c->proto > SONDE_PROTO_HTTP1)
			data_emit(c, 0, 0, 0, SONDE_DATA_CLOSE);
		else if (c->state == SONDE_CONN_RESPONSE)
			exchange_emit(c, SONDE_END_CLOSE);
		else if (c->state == SONDE_CONN_REQUEST)
			stat_inc(SONDE_STAT_UNANSWERED);
	}
	if (pc)
		__sync_fetch_and_add(&pc->server, -1);
	bpf_map_delete_elem(&conns, &key);
	return 0;
}
