// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The targets' sockets seen from the socket layer (the mode "sockets"):
 * its tracepoints at every send and receive. No syscall tracepoint is
 * enabled, so a process that is not a target pays nothing for its other
 * syscalls, and for a send or receive a bit of the followed map and one
 * of the strangers. Accept and close are not seen here: a connection
 * starts at connect, at its handshake or at its first bytes, and ends at
 * TCP_CLOSE or its server's FIN (bpf/conn_table.bpf.h, bpf/tcp.bpf.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* The global functions both modes share are defined in this object. */
#define SONDE_DEFINE_SUBPROGS
#include "maps.bpf.h"
#include "conn_table.bpf.h"
#include "io.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"
#include "syscalls.bpf.h"

/* A send or receive's outcome on sk: one of the socket syscalls
 * sonde reads is the one in flight (io_uring and the kernel's own
 * sends are not). */
static __always_inline int sock_io(struct sock *sk, int ret, int received, int flags)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct pt_regs *regs;
	__u32 service;
	long nr;

	if (!followed_has(tgid) && (ret <= 0 || !select_stranger(tgid, &service)))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	nr = SYSCALL_NR(regs);
	if (syscall_compat())
		return 0;
	if ((nr == SYS_SENDMMSG || nr == SYS_RECVMMSG) && ret > 0)
		return io_mmsg(sk, tgid, SYSCALL_ARG0(regs), SYSCALL_ARG1(regs), SYSCALL_ARG2(regs), ret, received, 0);
	if ((unsigned long)nr >= 64 || !((SYS_IO_MASK >> nr) & 1))
		return 0;
	return io_moved((__u64)sk, tgid, regs, nr, ret, received, flags, 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sonde_sock_send, struct sock *sk, int ret, int flags)
{
	return sock_io(sk, ret, 0, flags);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sonde_sock_recv, struct sock *sk, int ret, int flags)
{
	return sock_io(sk, ret, 1, flags);
}
