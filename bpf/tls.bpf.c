// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* OpenSSL's SSL_read and SSL_write (and their _ex forms), attached by user
 * space to each libssl a target maps: the plaintext of a TLS connection,
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

static __always_inline int tls_enter(void *ssl, void *buf, void *len_ptr, __u64 num, int write)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_tls_call *a;

	if (!followed_has(tgid))
		return 0;
	if (!pid_bit_has(&tls_procs, tgid))
		pid_bit_set(&tls_procs, tgid, 1);
	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->ssl = (__u64)ssl;
	a->buf = (__u64)buf;
	a->len_ptr = (__u64)len_ptr;
	a->sk = 0;
	a->num = num;
	a->write = write;
	a->done = 0;
	if (write && num)
		tls_write(a, tgid);
	return 0;
}

/* A read's return, ret a byte count, or for the _ex forms 1 with the
 * count written at tls_len_ptr. */
static __always_inline int tls_exit(long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_ssl_key key = {};
	struct sonde_ssl_conn *known;
	struct sonde_tls_call *a;
	struct sonde_conn *c = 0;
	__u64 n = 0, want = 0, sk;

	a = bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->ssl)
		return 0;
	key.ssl = a->ssl;
	key.tgid = tgid;
	if (a->len_ptr) {
		if (ret == 1)
			bpf_probe_read_user(&n, sizeof(n), (void *)a->len_ptr);
	} else if (ret > 0) {
		n = ret;
	}
	sk = a->sk;
	a->ssl = 0;
	/* Nothing moved: a read that would block. */
	if (!n)
		return 0;
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
			return 0;
		c = bpf_map_lookup_elem(&conns, &sk);
		if (!c || (want && c->conn_id != want))
			return 0;
		tls_bind(&key, c);
	}
	tls_plain(c, a->buf, n, 1);
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

char LICENSE[] SEC("license") = "Dual BSD/GPL";
