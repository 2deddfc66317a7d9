// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The targets' sockets seen from their syscalls (the mode "syscalls"),
 * for kernels without the socket layer's tracepoints (before 6.3): one
 * program at every syscall's exit of every process, which leaves at the
 * number unless it is a socket call, and at one bit of the followed map
 * unless the process holds a followed connection. TCP connections end
 * at TCP_CLOSE even when their process exits without close(); UDP
 * sockets at close() (bpf/dgram.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "conn_table.bpf.h"
#include "io.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"
#include "syscalls.bpf.h"

static __always_inline int sys_io(struct pt_regs *regs, long nr, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	int received = nr == SYS_READ || nr == SYS_RECVFROM || nr == SYS_READV || nr == SYS_RECVMSG;
	int flags = 0;
	__u32 service;
	struct sock *sk;

	if (ret <= 0 && ret != -EAGAIN)
		return 0;
	if ((!followed_has(tgid) && (ret <= 0 || !select_stranger(tgid, &service))) || syscall_compat())
		return 0;
	sk = fd_sock(SYSCALL_ARG0(regs));
	if (!sk)
		return 0;
	if (nr == SYS_RECVFROM)
		flags = SYSCALL_ARG3(regs);
	else if (nr == SYS_RECVMSG)
		flags = SYSCALL_ARG2(regs);
	return io_moved((__u64)sk, tgid, regs, nr, ret, received, flags, 1);
}

/* Datagrams moved several at a time: UDP's. */
static __always_inline int sys_mmsg(struct pt_regs *regs, long nr, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 service;

	if (ret <= 0 || (!followed_has(tgid) && !select_stranger(tgid, &service)) || syscall_compat())
		return 0;
	return io_mmsg(fd_sock(SYSCALL_ARG0(regs)), tgid, SYSCALL_ARG0(regs), SYSCALL_ARG1(regs), ret, 0,
		       nr == SYS_RECVMMSG, 1);
}

/* A connection accepted: followed from its handshake when its listener
 * was known, else from here. */
static __always_inline int sys_accept(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_conn *c;
	__u32 service;
	struct sock *sk;
	__u64 key;

	if (ret < 0 || syscall_compat() || !select_current(&service))
		return 0;
	sk = fd_sock(ret);
	if (!sk || !sock_is_tcp(sk))
		return 0;
	key = (__u64)sk;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c) {
		conn_track(sk, service, SONDE_ROLE_SERVER, ret, 0);
		return 0;
	}
	if (c->tgid != tgid)
		conn_move(c, tgid);
	c->fd = ret;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sonde_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = SYSCALL_NR(regs);

	if ((unsigned long)nr < 64 && (SYS_IO_MASK >> nr) & 1)
		return sys_io(regs, nr, ret);
	if (nr == SYS_ACCEPT || nr == SYS_ACCEPT4)
		return sys_accept(ret);
	if (nr == SYS_SENDMMSG || nr == SYS_RECVMMSG)
		return sys_mmsg(regs, nr, ret);
	return 0;
}

/* A server connection closed by the process that accepted it before any
 * byte moved, right after it forked a child once the connection was
 * accepted: the socket now belongs to the child, which serves it
 * (PostgreSQL's postmaster and its backends). A connection that merely
 * closed silently after some older fork (a health probe's, while Redis
 * saves in a child) ends. Returns 1 when the connection moved there. */
static __always_inline int hand_over(struct sonde_conn *c, __u32 tgid)
{
	struct sonde_proc_conns *pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	__u32 child;

	if (!pc || !pc->last_child || c->role != SONDE_ROLE_SERVER || c->state != SONDE_CONN_IDLE || c->spoke ||
	    c->proto || c->tls || pc->fork_ns < c->conn_id || bpf_ktime_get_ns() - pc->fork_ns > SONDE_HAND_OVER_NS)
		return 0;
	child = pc->last_child;
	pc->last_child = 0;
	conn_move(c, child);
	return 1;
}

/* close() of one fd: here the connection ends with it, unless it was
 * handed over, or another process uses it now. */
SEC("tracepoint/syscalls/sys_enter_close")
int sonde_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_conn *c;
	struct sock *sk;
	__u64 key;

	if (!followed_has(tgid))
		return 0;
	sk = fd_sock(ctx->args[0]);
	if (!sk)
		return 0;
	key = (__u64)sk;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c && c->tgid == tgid && !hand_over(c, tgid))
		conn_close(c, key);
	c = c ? 0 : bpf_map_lookup_elem(&dgrams, &key);
	if (c && c->tgid == tgid)
		dgram_close(c, key);
	return 0;
}
