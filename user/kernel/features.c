// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "base/log.h"
#include "kernel/features.h"

#define TRACEFS "/sys/kernel/tracing"

/* Every tracepoint the BPF objects attach to by name; the raw syscall
 * exit (tp_btf/sys_exit) comes with the kernel's BTF. */
static const char *const hooks[] = {
	"sched/sched_process_exec", "sched/sched_process_exit", "sched/sched_process_fork",
	"syscalls/sys_enter_close", "sock/inet_sock_set_state", "tcp/tcp_retransmit_skb",
};

static int tracefs_ready(void)
{
	struct statfs st;

	if (statfs(TRACEFS, &st) == 0 && st.f_type == TRACEFS_MAGIC)
		return 0;
	/* Tracepoints by name need tracefs, which a fresh machine may not
	 * have mounted; mount it as bpftrace and perf do. */
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	log_info("kernel", "mounted tracefs at %s", TRACEFS);
	return 0;
}

int features_check(char *err, size_t errlen)
{
	char path[256];
	int ret;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "no kernel BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF)");
		return -ENOENT;
	}
	ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);
	if (ret <= 0) {
		snprintf(err, errlen, "cannot load BPF programs: %s (run as root, or with CAP_BPF and CAP_PERFMON)",
			 ret < 0 ? strerror(-ret) : "tracepoint programs unsupported");
		return ret < 0 ? ret : -EOPNOTSUPP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0) {
		snprintf(err, errlen, "the kernel has no BPF ring buffer (needs Linux 5.8 or later)");
		return -EOPNOTSUPP;
	}
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0) {
		snprintf(err, errlen, "the kernel has no bpf_loop helper (needs Linux 5.17 or later)");
		return -EOPNOTSUPP;
	}
	ret = tracefs_ready();
	if (ret) {
		snprintf(err, errlen, "tracefs is not mounted at %s and mounting it failed: %s", TRACEFS,
			 strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/%s/id", hooks[i]);
		if (access(path, R_OK)) {
			snprintf(err, errlen, "kernel hook missing: tracepoint %s", hooks[i]);
			return -ENOENT;
		}
	}
	return 0;
}

const char *features_mode(void)
{
	return "raw-syscall-exit";
}
