// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Target selection in the kernel: a process whose command name matches an
 * exe selector is selected at exec, before its first socket syscall, and
 * children of selected processes are selected at fork (nginx workers are
 * forks of a selected master, not execs). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "proto.bpf.h"

static __always_inline void target_emit(__u32 pid, __u32 what)
{
	struct sonde_target_event ev = { .pid = pid, .what = what, .ts_ns = bpf_ktime_get_ns() };

	bpf_ringbuf_output(&target_events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP);
}

SEC("tracepoint/sched/sched_process_exec")
int sonde_exec(void *ctx)
{
	struct sonde_comm_key key = {};
	struct sonde_target *t;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	t = bpf_map_lookup_elem(&exe_targets, &key);
	if (t && !bpf_map_update_elem(&targets, &tgid, t, BPF_ANY))
		target_emit(tgid, SONDE_TARGET_EXEC);
	/* Another program now: whether it is observed is asked again, and
	 * whether it makes calls the TLS probes see. */
	pid_bit_set(&strangers, tgid, 0);
	pid_bit_set(&tls_procs, tgid, 0);
	pid_bit_set(&go_procs, tgid, 0);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sonde_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	struct sonde_proc_conns *pc;
	struct sonde_target *t;

	/* A new thread shares its parent's tgid and entry. */
	if (child_tgid == parent_tgid)
		return 0;
	pid_bit_set(&strangers, child_tgid, 0);
	t = bpf_map_lookup_elem(&targets, &parent_tgid);
	if (t && !bpf_map_update_elem(&targets, &child_tgid, t, BPF_ANY))
		target_emit(child_tgid, SONDE_TARGET_FORK);
	pc = bpf_map_lookup_elem(&proc_conns, &parent_tgid);
	if (pc) {
		pc->last_child = child_tgid;
		pc->fork_ns = bpf_ktime_get_ns();
		/* It may serve a connection its parent accepted. */
		followed_set(child_tgid, 1);
	}
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int sonde_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct sonde_func_key calls = { .id = (__u32)id, .tgid = tgid };
	struct sonde_func_stack *st;

	/* The thread's function calls in flight never return. */
	if (followed_has(tgid) && (st = bpf_map_lookup_elem(&func_stacks, &calls))) {
		stat_add(SONDE_STAT_FUNC_EXITED, st->n);
		bpf_map_delete_elem(&func_stacks, &calls);
	}
	/* Only the group leader's exit ends the process: its selection and
	 * counts. Its connections end as the kernel releases their sockets. */
	if ((__u32)id == tgid) {
		if (!bpf_map_delete_elem(&targets, &tgid))
			target_emit(tgid, SONDE_TARGET_EXIT);
		bpf_map_delete_elem(&proc_conns, &tgid);
		followed_set(tgid, 0);
		pid_bit_set(&strangers, tgid, 0);
		if (pid_bit_set(&data_procs, tgid, 0))
			data_exit_emit(tgid);
	}
	return 0;
}
