// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* OpenSSL's SSL_read and SSL_write (and their _ex forms), attached by user
 * space to each libssl a target maps, and Go's crypto/tls in the Go
 * executables targets run: the plaintext of a TLS connection,
 * fed to the same per-connection framing as a plaintext socket's bytes.
 * The socket is the one a syscall inside the call used, remembered per
 * SSL object for the calls the library serves from its own buffer; for a
 * library fed from memory, the socket its thread received on last. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "maps.bpf.h"
#include "conn.bpf.h"
#include "select.bpf.h"
#include "tls.bpf.h"

/* A write's bytes are known at its entry, so it has no return probe:
 * they are framed here when the SSL object's socket is known, else at the
 * first socket call inside the call (io.bpf.h). A call ending where one
 * that would have blocked ended is its retry, whose bytes are framed. */
static __always_inline void tls_write(struct sonde_tls_call *a, __u32 tgid)
{
	struct sonde_ssl_key key = { .ssl = a->ssl, .tgid = tgid };
	struct sonde_ssl_conn *known;
	struct sonde_conn *c;
	__u64 end = a->buf + a->num;

	known = bpf_map_lookup_elem(&ssl_socks, &key);
	c = known ? tls_known_conn(known) : 0;
	if (!c)
		return;
	a->done = 1;
	if (known->pending_end == end) {
		known->pending_end = 0;
		return;
	}
	known->pending_end = 0;
	tls_plain(c, a->buf, a->num, 0);
}

/* A call starts on a: a read's bytes are known at its return, a write's
 * now. */
static __always_inline void tls_call_start(struct sonde_tls_call *a, __u32 tgid, __u64 ssl, __u64 buf, __u64 len_ptr,
					   __u64 num, int write)
{
	a->ssl = ssl;
	a->buf = buf;
	a->len_ptr = len_ptr;
	a->sk = 0;
	a->num = num;
	a->write = write;
	a->done = 0;
	a->bind = 0;
	if (write && num)
		tls_write(a, tgid);
}

/* Whether the TLS probes follow the calling process; marks it as one
 * that makes TLS calls. */
static __always_inline int tls_followed(__u32 tgid)
{
	if (!followed_has(tgid))
		return 0;
	if (!pid_bit_has(&tls_procs, tgid))
		pid_bit_set(&tls_procs, tgid, 1);
	return 1;
}

static __always_inline int tls_enter(void *ssl, void *buf, void *len_ptr, __u64 num, int write)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_tls_call *a;

	if (!tls_followed(tgid))
		return 0;
	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (a)
		tls_call_start(a, tgid, (__u64)ssl, (__u64)buf, (__u64)len_ptr, num, write);
	return 0;
}

/* A read on a returned with n plaintext bytes. */
static __always_inline void tls_read_done(struct sonde_tls_call *a, __u32 tgid, __u64 n)
{
	struct sonde_ssl_key key = { .ssl = a->ssl, .tgid = tgid };
	struct sonde_ssl_conn *known;
	struct sonde_conn *c = 0;
	__u64 want = 0, sk;

	sk = a->sk;
	a->ssl = 0;
	/* Nothing moved: a read that would block. */
	if (!n)
		return;
	/* The SSL object's socket as known, unless a syscall inside the call
	 * names another: an update only when it changes. */
	known = bpf_map_lookup_elem(&ssl_socks, &key);
	if (known && (!sk || known->sk == sk))
		c = tls_known_conn(known);
	if (!c) {
		/* No syscall inside and none known: a library that decrypts
		 * from memory read what this thread just received. */
		if (!sk && a->last_sk) {
			sk = a->last_sk;
			want = a->last_conn_id;
			a->last_sk = 0;
		}
		if (!sk)
			return;
		c = bpf_map_lookup_elem(&conns, &sk);
		if (!c || (want && c->conn_id != want))
			return;
		tls_bind(&key, c);
	}
	tls_plain(c, a->buf, n, 1);
}

/* A read's return, ret a byte count, or for the _ex forms 1 with the
 * count written at tls_len_ptr. */
static __always_inline int tls_exit(long ret)
{
	struct sonde_tls_call *a;
	__u64 n = 0;

	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->ssl)
		return 0;
	if (a->len_ptr) {
		if (ret == 1)
			bpf_probe_read_user(&n, sizeof(n), (void *)a->len_ptr);
	} else if (ret > 0) {
		n = ret;
	}
	tls_read_done(a, bpf_get_current_pid_tgid() >> 32, n);
	return 0;
}

/* What a probe's cookie says of the function it sits on. */
#define TLS_COOKIE_WRITE 1 /* SSL_write and kin; else a read */
#define TLS_COOKIE_EX 2 /* (ssl, buf, num, size_t *done); else (ssl, buf, int num) */

static __always_inline int tls_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), num;
	int ex = cookie & TLS_COOKIE_EX;

	/* The plain forms' count is an int: the register's upper half is not. */
	num = ex ? PT_REGS_PARM3(ctx) : (__u64)(int)PT_REGS_PARM3(ctx);
	if ((__s64)num < 0)
		num = 0;
	return tls_enter((void *)PT_REGS_PARM1(ctx), (void *)PT_REGS_PARM2(ctx), ex ? (void *)PT_REGS_PARM4(ctx) : 0,
			 num, !!(cookie & TLS_COOKIE_WRITE));
}

/* Every OpenSSL function returns an int: a byte count, or 1 for the _ex
 * forms and the internal functions they call. Reads only: user space
 * puts no return probe on a write. */
static __always_inline int tls_return(struct pt_regs *ctx)
{
	return tls_exit((int)PT_REGS_RC(ctx));
}

/* Attached through perf events: per file, or on tracefs events that
 * the target processes' own perf events filter (kernel/uprobe_links.h). */
SEC("uprobe")
int sonde_tls_entry(struct pt_regs *ctx)
{
	return tls_entry(ctx);
}

SEC("uretprobe")
int sonde_tls_return(struct pt_regs *ctx)
{
	return tls_return(ctx);
}

/* Go's crypto/tls, Go 1.18 and later (the register ABI): (*Conn).Read
 * and Write(b []byte) (int, error) find the receiver in rax and b's
 * pointer and length in rbx and rcx at their entry (user space probes the
 * branch after the stack check, which the kernel emulates), and Read's
 * count in rax at each of its return instructions. r14 holds the
 * goroutine, which keys the call. */
static const struct sonde_tls_call no_call;

/* The goroutine's call entry, made if none. */
static __always_inline struct sonde_tls_call *go_call(const struct sonde_go_key *key)
{
	struct sonde_tls_call *a = bpf_map_lookup_elem(&go_calls, key);

	if (a || bpf_map_update_elem(&go_calls, key, &no_call, BPF_ANY))
		return a;
	return bpf_map_lookup_elem(&go_calls, key);
}

/* The goroutine's key, in a process the probes follow (marked as Go's). */
static __always_inline int go_followed(struct pt_regs *ctx, struct sonde_go_key *key)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!tls_followed(tgid))
		return 0;
	if (!pid_bit_has(&go_procs, tgid))
		pid_bit_set(&go_procs, tgid, 1);
	key->g = ctx->r14;
	key->tgid = tgid;
	return 1;
}

SEC("uprobe")
int sonde_go_tls_entry(struct pt_regs *ctx)
{
	__u64 num = (__s64)ctx->cx > 0 ? ctx->cx : 0;
	struct sonde_go_key key = {};
	struct sonde_tls_call *a;

	if (!go_followed(ctx, &key))
		return 0;
	a = go_call(&key);
	if (a)
		tls_call_start(a, key.tgid, ctx->ax, ctx->bx, 0, num, bpf_get_attach_cookie(ctx) & TLS_COOKIE_WRITE);
	return 0;
}

/* (*Conn).handshakeContext(ctx) (ret error): Go's HTTP server shakes
 * hands before its first Read, which the bytes read meanwhile may serve
 * with no syscall; a socket call inside names the connection's socket.
 * Inside a Read or Write of the connection, that call stays. */
SEC("uprobe")
int sonde_go_tls_handshake(struct pt_regs *ctx)
{
	struct sonde_go_key key = {};
	struct sonde_tls_call *a;

	if (!go_followed(ctx, &key))
		return 0;
	a = go_call(&key);
	if (!a)
		return 0;
	if (a->ssl != ctx->ax)
		tls_call_start(a, key.tgid, ctx->ax, 0, 0, 0, 0);
	a->bind = 1;
	return 0;
}

SEC("uprobe")
int sonde_go_tls_return(struct pt_regs *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_go_key key = { .g = ctx->r14, .tgid = tgid };
	struct sonde_tls_call *a = bpf_map_lookup_elem(&go_calls, &key);

	if (!a || !a->ssl || a->write)
		return 0;
	tls_read_done(a, tgid, (__s64)ctx->ax > 0 ? ctx->ax : 0);
	bpf_map_delete_elem(&go_calls, &key);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
