/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The socket syscalls by number, and their arguments in the registers a
 * raw syscall tracepoint sees: at a syscall's exit they still hold what
 * the process passed. */
#ifndef SONDE_SYSCALLS_BPF_H
#define SONDE_SYSCALLS_BPF_H

#if defined(__TARGET_ARCH_x86)
#define SYS_READ 0
#define SYS_WRITE 1
#define SYS_READV 19
#define SYS_WRITEV 20
#define SYS_SENDFILE 40
#define SYS_CONNECT 42
#define SYS_ACCEPT 43
#define SYS_SENDTO 44
#define SYS_RECVFROM 45
#define SYS_SENDMSG 46
#define SYS_RECVMSG 47
#define SYS_ACCEPT4 288
#define SYS_RECVMMSG 299
#define SYS_SENDMMSG 307

#define SYSCALL_NR(regs) ((long)(regs)->orig_ax)
#define SYSCALL_ARG0(regs) ((regs)->di)
#define SYSCALL_ARG1(regs) ((regs)->si)
#define SYSCALL_ARG2(regs) ((regs)->dx)
#define SYSCALL_ARG3(regs) ((regs)->r10)
#define SYSCALL_ARG4(regs) ((regs)->r8)

#define TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h */

/* A 32-bit process's syscalls have numbers of their own. */
static __always_inline int syscall_compat(void)
{
	return bpf_get_current_task_btf()->thread_info.status & TS_COMPAT;
}
#else
#error "syscall numbers and registers for this architecture are not written yet"
#endif

/* The syscalls that move a socket's bytes, all numbered below 64. */
#define SYS_IO_MASK                                                                                       \
	(1ull << SYS_READ | 1ull << SYS_WRITE | 1ull << SYS_READV | 1ull << SYS_WRITEV | 1ull << SYS_SENDFILE | \
	 1ull << SYS_SENDTO | 1ull << SYS_RECVFROM | 1ull << SYS_SENDMSG | 1ull << SYS_RECVMSG)

#endif
