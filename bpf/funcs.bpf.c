// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The functions named in the configuration: an entry probe pushes the
 * call on its thread's stack of calls in flight (its goroutine's in Go),
 * the return pops it and writes one event with its duration and return
 * value. User space attaches the probes to the processes of the
 * function's service only, so nothing here filters by process.
 * Native returns are uretprobes; Go's are probes on the function's return
 * instructions, since a goroutine's stack moves and a rewritten return
 * address would go with it; Python's are CPython's function__return. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"

static const struct sonde_func_stack no_calls;

/* Where the call stands: the thread's stack pointer, or in Go the depth
 * below the top of the goroutine's stack, which a stack that grows and
 * moves keeps. */
static __always_inline int func_where(struct pt_regs *ctx, __u64 cookie, struct sonde_func_key *key, __u64 *tag)
{
	__u64 id = bpf_get_current_pid_tgid(), hi = 0;

	key->tgid = id >> 32;
	key->pad = 0;
	if (!(cookie & SONDE_FUNC_COOKIE_GO)) {
		key->id = (__u32)id;
		*tag = cookie & SONDE_FUNC_COOKIE_PYTHON ? 0 : ctx->sp;
		return 0;
	}
	/* runtime.g in r14 (the register ABI); its stack.hi 8 bytes in. */
	key->id = ctx->r14;
	if (bpf_probe_read_user(&hi, sizeof(hi), (void *)(ctx->r14 + 8)))
		return -1;
	*tag = hi - ctx->sp;
	return 0;
}

static __always_inline void func_push(struct pt_regs *ctx, __u64 cookie, __u32 func_id)
{
	struct sonde_func_stack *st;
	struct sonde_func_key key;
	__u64 tag;
	__u32 n;

	if (func_where(ctx, cookie, &key, &tag))
		return;
	st = bpf_map_lookup_elem(&func_stacks, &key);
	if (!st) {
		bpf_map_update_elem(&func_stacks, &key, &no_calls, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&func_stacks, &key);
		if (!st)
			return;
	}
	n = st->n;
	/* Deeper than the stack holds: its return finds no entry, and counts
	 * it. */
	if (n >= SONDE_FUNC_DEPTH)
		return;
	/* Go runs a function's stack check again once its stack has grown:
	 * the same call. */
	if (n && st->frames[(n - 1) & (SONDE_FUNC_DEPTH - 1)].func_id == func_id &&
	    st->frames[(n - 1) & (SONDE_FUNC_DEPTH - 1)].tag == tag && (cookie & SONDE_FUNC_COOKIE_GO))
		return;
	st->frames[n & (SONDE_FUNC_DEPTH - 1)].start_ns = bpf_ktime_get_ns();
	st->frames[n & (SONDE_FUNC_DEPTH - 1)].tag = tag;
	st->frames[n & (SONDE_FUNC_DEPTH - 1)].func_id = func_id;
	st->n = n + 1;
}

/* The register a USDT argument is in (a SONDE_FUNC_REG_*): copied out,
 * as the verifier lets no computed offset into the context be read. */
static __always_inline __u64 func_reg(struct pt_regs *ctx, __u64 reg)
{
	__u64 regs[16] = {
		[SONDE_FUNC_REG_RAX] = ctx->ax,	 [SONDE_FUNC_REG_RBX] = ctx->bx,  [SONDE_FUNC_REG_RCX] = ctx->cx,
		[SONDE_FUNC_REG_RDX] = ctx->dx,	 [SONDE_FUNC_REG_RSI] = ctx->si,  [SONDE_FUNC_REG_RDI] = ctx->di,
		[SONDE_FUNC_REG_RBP] = ctx->bp,	 [SONDE_FUNC_REG_R8] = ctx->r8,	  [SONDE_FUNC_REG_R9] = ctx->r9,
		[SONDE_FUNC_REG_R10] = ctx->r10, [SONDE_FUNC_REG_R11] = ctx->r11, [SONDE_FUNC_REG_R12] = ctx->r12,
		[SONDE_FUNC_REG_R13] = ctx->r13, [SONDE_FUNC_REG_R14] = ctx->r14, [SONDE_FUNC_REG_R15] = ctx->r15,
	};

	return regs[reg & 15];
}

/* The followed Python function a USDT probe fired for, or 0: every
 * Python call of the process gets here. */
static __always_inline __u32 py_func(struct pt_regs *ctx, __u64 cookie)
{
	struct sonde_py_key key = { .service_id = (__u32)(cookie & SONDE_FUNC_COOKIE_ID) };
	__u64 name = func_reg(ctx, (cookie >> SONDE_FUNC_COOKIE_NAME_SHIFT) & 0xff);
	__u32 *id;

	if (bpf_probe_read_user_str(key.name, sizeof(key.name), (void *)name) <= 0)
		return 0;
	id = bpf_map_lookup_elem(&py_funcs, &key);
	return id ? *id : 0;
}

SEC("uprobe")
int sonde_func_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 id = (__u32)(cookie & SONDE_FUNC_COOKIE_ID);

	if (cookie & SONDE_FUNC_COOKIE_PYTHON)
		id = py_func(ctx, cookie);
	if (id)
		func_push(ctx, cookie, id);
	return 0;
}

/* The call of func_id whose entry stood where the return does, popped
 * with the calls above it (a longjmp, an exception that skipped their
 * returns): its frame's index, or -1 when its entry was not seen. */
static __always_inline int func_pop(struct sonde_func_stack *st, __u32 func_id, __u64 tag, int python)
{
	__u32 n = st->n;

	for (int k = 0; k < SONDE_FUNC_DEPTH; k++) {
		int i = (int)n - 1 - k;
		struct sonde_func_frame *f;

		if (i < 0)
			break;
		f = &st->frames[i & (SONDE_FUNC_DEPTH - 1)];
		if (f->func_id != func_id || (!python && f->tag != tag))
			continue;
		st->n = i;
		return i;
	}
	return -1;
}

SEC("uprobe")
int sonde_func_return(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), tag;
	__u32 id = (__u32)(cookie & SONDE_FUNC_COOKIE_ID);
	int python = !!(cookie & SONDE_FUNC_COOKIE_PYTHON), i;
	struct sonde_func_stack *st;
	struct sonde_func_event *e;
	struct sonde_func_key key;
	__u64 start;

	if (python)
		id = py_func(ctx, cookie);
	if (!id || func_where(ctx, cookie, &key, &tag))
		return 0;
	/* A uretprobe runs once the return address is popped. */
	if (!python && !(cookie & SONDE_FUNC_COOKIE_GO))
		tag -= 8;
	st = bpf_map_lookup_elem(&func_stacks, &key);
	i = st ? func_pop(st, id, tag, python) : -1;
	if (i < 0) {
		stat_inc(SONDE_STAT_FUNC_DEPTH);
		return 0;
	}
	start = st->frames[i & (SONDE_FUNC_DEPTH - 1)].start_ns;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(SONDE_STAT_LOST);
		return 0;
	}
	e->type = SONDE_EVENT_FUNC;
	e->func_id = id;
	e->start_ns = start;
	e->end_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	/* Native code's is read as a C int, Go's as an int (64 bits). */
	e->ret = python ? 0 : cookie & SONDE_FUNC_COOKIE_GO ? (__s64)ctx->ax : (__s64)(__s32)ctx->ax;
	e->tgid = key.tgid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->depth = (__u16)i;
	e->file_len = 0;
	e->pad = 0;
	if (python) {
		long n =
			bpf_probe_read_user_str(e->file, sizeof(e->file),
						(void *)func_reg(ctx, (cookie >> SONDE_FUNC_COOKIE_FILE_SHIFT) & 0xff));

		e->file_len = n > 0 ? (__u16)(n - 1) : 0;
	}
	bpf_ringbuf_submit(e, wakeup_flag());
	stat_inc(SONDE_STAT_EVENTS);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
