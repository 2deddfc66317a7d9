// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "base/log.h"
#include "daemon/privileges.h"

/* What the running daemon may need, kept where it was given: BPF, to read
 * and update its maps and attach each new target's probe events to their
 * programs; PERFMON, to open those perf events; SYS_ADMIN, which this
 * kernel asks of a uprobe perf event opened for every process mapping a
 * file (observing all, or by cgroup: BPF and PERFMON alone get EACCES;
 * what else it grants, mount, namespaces and the like, the seccomp filter
 * denies); NET_ADMIN (or SYS_ADMIN), to load sockops and sk_msg, network
 * programs, and their sockhash; SYS_PTRACE, to read another user's
 * /proc/PID/maps, exe and root and the probed bytes of its memory; DAC_READ_SEARCH, to reach the
 * files a process maps through its root; SYS_RESOURCE, the memlock limit
 * the BPF objects load under on kernels before 5.11. */
static const cap_value_t kept[] = { CAP_BPF,	    CAP_PERFMON,	 CAP_SYS_ADMIN,	  CAP_NET_ADMIN,
				    CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_SYS_RESOURCE };
#define NKEPT (sizeof(kept) / sizeof(kept[0]))

static bool is_kept(cap_value_t c)
{
	for (size_t i = 0; i < NKEPT; i++)
		if (kept[i] == c)
			return true;
	return false;
}

int privileges_drop(char *err, size_t errlen)
{
	cap_t now = cap_get_proc(), next = cap_init();
	cap_value_t keep[NKEPT];
	char *text = NULL;
	int n = 0, ret = 0;

	if (!now || !next) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the capabilities: %s", strerror(-ret));
		goto out;
	}
	for (size_t i = 0; i < NKEPT; i++) {
		cap_flag_value_t has = CAP_CLEAR;

		if (!cap_get_flag(now, kept[i], CAP_PERMITTED, &has) && has == CAP_SET)
			keep[n++] = kept[i];
	}
	/* The bounding set first, while CAP_SETPCAP is in effect; without it
	 * (started with fewer capabilities) the bound stays, and the sets
	 * below and no_new_privs still hold. */
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++)
		if (!is_kept(c) && cap_drop_bound(c) && errno != EINVAL && errno != EPERM)
			break;
	cap_reset_ambient();
	if ((n && (cap_set_flag(next, CAP_PERMITTED, n, keep, CAP_SET) ||
		   cap_set_flag(next, CAP_EFFECTIVE, n, keep, CAP_SET))) ||
	    cap_set_proc(next)) {
		ret = -errno;
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(-ret));
		goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		snprintf(err, errlen, "cannot set no_new_privs: %s", strerror(-ret));
		goto out;
	}
	text = cap_to_text(next, NULL);
	log_info("privileges", "capabilities kept: %s; every other dropped, the bounding set too; no_new_privs set",
		 text && *text ? text : "none");
out:
	cap_free(text);
	cap_free(next);
	cap_free(now);
	return ret;
}

/* Memory, threads, time, signals, files and /proc, sockets (the endpoints,
 * checks, notifiers, exporter, the API server's watch, DNS), events and
 * polling, and the kernel side: bpf, perf_event_open, process_vm_readv.
 * Not there, among others: execve, ptrace, mount, module loading, setuid
 * and the other credential changes, namespaces, chroot, keyrings. */
static const char *const allowed[] = {
	"read",
	"write",
	"readv",
	"writev",
	"pread64",
	"pwrite64",
	"preadv",
	"pwritev",
	"preadv2",
	"pwritev2",
	"open",
	"openat",
	"openat2",
	"close",
	"close_range",
	"creat",
	"lseek",
	"stat",
	"fstat",
	"lstat",
	"newfstatat",
	"statx",
	"statfs",
	"fstatfs",
	"access",
	"faccessat",
	"faccessat2",
	"readlink",
	"readlinkat",
	"getdents64",
	"getcwd",
	"fcntl",
	"ioctl",
	"flock",
	"fsync",
	"fdatasync",
	"ftruncate",
	"unlink",
	"unlinkat",
	"rename",
	"renameat",
	"renameat2",
	"mkdir",
	"mkdirat",
	"dup",
	"dup2",
	"dup3",
	"pipe",
	"pipe2",
	"memfd_create",
	"mmap",
	"munmap",
	"mprotect",
	"mremap",
	"madvise",
	"brk",
	"mlock",
	"munlock",
	"mincore",
	"membarrier",
	"futex",
	"futex_waitv",
	"set_robust_list",
	"get_robust_list",
	"rseq",
	"clone",
	"clone3",
	"exit",
	"exit_group",
	"wait4",
	"waitid",
	"set_tid_address",
	"arch_prctl",
	"prctl",
	"sched_yield",
	"sched_getaffinity",
	"sched_setaffinity",
	"sched_getparam",
	"sched_getscheduler",
	"getpriority",
	"setpriority",
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"rt_sigtimedwait",
	"rt_sigsuspend",
	"sigaltstack",
	"kill",
	"tgkill",
	"tkill",
	"restart_syscall",
	"nanosleep",
	"clock_nanosleep",
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"time",
	"alarm",
	"setitimer",
	"getitimer",
	"timer_create",
	"timer_settime",
	"timer_delete",
	"timerfd_create",
	"timerfd_settime",
	"timerfd_gettime",
	"getpid",
	"getppid",
	"gettid",
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getgroups",
	"getresuid",
	"getresgid",
	"getpgrp",
	"getpgid",
	"getsid",
	"capget",
	"uname",
	"sysinfo",
	"getrlimit",
	"prlimit64",
	"getrusage",
	"times",
	"getrandom",
	"umask",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"epoll_pwait2",
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"eventfd",
	"eventfd2",
	"signalfd",
	"signalfd4",
	"inotify_init1",
	"inotify_add_watch",
	"inotify_rm_watch",
	"socket",
	"socketpair",
	"connect",
	"accept",
	"accept4",
	"bind",
	"listen",
	"shutdown",
	"getsockname",
	"getpeername",
	"setsockopt",
	"getsockopt",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	"sendmmsg",
	"recvmmsg",
	"sendfile",
	"splice",
	"bpf",
	"perf_event_open",
	"process_vm_readv",
};

int privileges_confine(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	size_t n = 0;
	int ret;

	if (!ctx) {
		snprintf(err, errlen, "cannot make a seccomp filter");
		return -ENOMEM;
	}
	/* Every thread at once, those of the libraries too. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; !ret && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		/* A name this architecture lacks. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		n++;
	}
	ret = ret ?: seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret) {
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-ret));
		return ret;
	}
	log_info("privileges", "seccomp: %zu syscalls allowed in every thread, any other fails with EPERM", n);
	return 0;
}
