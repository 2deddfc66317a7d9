// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "base/log.h"
#include "kernel/features.h"

#define TRACEFS "/sys/kernel/tracing"

/* Every tracepoint the BPF objects attach to by name in both modes; the
 * BTF ones (tp_btf/...) come with the kernel's BTF. */
static const char *const hooks[] = {
	"sched/sched_process_exec", "sched/sched_process_exit", "sched/sched_process_fork",
	"sock/inet_sock_set_state", "tcp/tcp_retransmit_skb",
};

/* What the mode "sockets" attaches to, by their BTF names. */
static const struct {
	const char *name;
	int kind;
} socket_hooks[] = {
	{ "btf_trace_sock_send_length", BTF_KIND_TYPEDEF }, /* Linux 6.3 */
	{ "btf_trace_sock_recv_length", BTF_KIND_TYPEDEF },
};

static int sockets_mode;

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

/* Returns 0 when the mode "sockets" can run here, else -EOPNOTSUPP with
 * what is missing in why. */
static int socket_hooks_check(char *why, size_t whylen)
{
	struct btf *btf;
	int ret = 0;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(why, whylen, "the kernel's BTF does not load");
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < sizeof(socket_hooks) / sizeof(socket_hooks[0]) && !ret; i++) {
		if (btf__find_by_name_kind(btf, socket_hooks[i].name, socket_hooks[i].kind) < 0) {
			snprintf(why, whylen, "the kernel has no %s", socket_hooks[i].name);
			ret = -EOPNOTSUPP;
		}
	}
	btf__free(btf);
	return ret;
}

/* Picks the mode: sockets where the kernel has its hooks, unless told. */
static int choose_mode(enum hooks_mode wanted, char *err, size_t errlen)
{
	char why[160];

	if (wanted == HOOKS_SYSCALLS) {
		sockets_mode = 0;
		return 0;
	}
	if (socket_hooks_check(why, sizeof(why))) {
		if (wanted == HOOKS_SOCKETS) {
			snprintf(err, errlen, "--hooks sockets: %s", why);
			return -EOPNOTSUPP;
		}
		log_info("kernel", "socket hooks unavailable (%s): following every syscall's exit", why);
		sockets_mode = 0;
		return 0;
	}
	sockets_mode = 1;
	return 0;
}

int features_check(enum hooks_mode wanted, char *err, size_t errlen)
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
	ret = choose_mode(wanted, err, errlen);
	if (ret || sockets_mode)
		return ret;
	if (access(TRACEFS "/events/syscalls/sys_enter_close/id", R_OK)) {
		snprintf(err, errlen, "kernel hook missing: tracepoint syscalls/sys_enter_close");
		return -ENOENT;
	}
	return 0;
}

int features_sockets(void)
{
	return sockets_mode;
}

const char *features_mode(void)
{
	return sockets_mode ? "sockets" : "syscalls";
}

int features_socket_programs(char *why, size_t whylen)
{
	/* Network program types and sockhash ask for CAP_NET_ADMIN (or
	 * CAP_SYS_ADMIN): probed with the capabilities sonde kept. */
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SOCK_OPS, NULL) <= 0 ||
	    libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SK_MSG, NULL) <= 0 ||
	    libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SOCKHASH, NULL) <= 0) {
		snprintf(why, whylen, "sockops and sk_msg cannot be loaded (they need CAP_NET_ADMIN)");
		return 0;
	}
	return 1;
}
