/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* An SSL object's socket, remembered per (SSL object, process) in ssl_socks:
 * learnt from a syscall inside a TLS call, or from the socket a thread
 * received on last, and used by calls the library serves with no syscall.
 * Shared by the TLS probes and the socket reads and writes that tie them. */
#ifndef SONDE_TLS_BPF_H
#define SONDE_TLS_BPF_H

#include "maps.bpf.h"
#include "conn.bpf.h"
#include "note.bpf.h"

/* The connection the SSL object is known to be on, NULL if none or if
 * another connection holds a socket at that address now. */
static __always_inline struct sonde_conn *tls_known_conn(const struct sonde_ssl_conn *known)
{
	__u64 key = known->sk;
	struct sonde_conn *c = bpf_map_lookup_elem(&conns, &key);

	return c && c->conn_id == known->conn_id ? c : 0;
}

/* Remembers that the SSL object is on connection c. */
static __always_inline void tls_bind(const struct sonde_ssl_key *key, const struct sonde_conn *c)
{
	struct sonde_ssl_conn bound = { .conn_id = c->conn_id, .sk = c->sk };

	bpf_map_update_elem(&ssl_socks, key, &bound, BPF_ANY);
}

/* The connection's TLS is one no probe reads, when its process never
 * made a call the probes saw: said once, to user space. */
static __always_inline void tls_unreadable(struct sonde_conn *c)
{
	if (pid_bit_has(&tls_procs, c->tgid))
		return;
	c->blind = SONDE_TLS_SAID;
	conn_note(c, SONDE_CONN_TLS_UNREADABLE);
}

/* The goroutine this thread runs: a Go executable keeps its runtime.g in
 * the thread's TLS, 8 bytes below the FS base. */
static __always_inline __u64 go_current_g(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 g = 0;

	bpf_probe_read_user(&g, sizeof(g), (void *)(t->thread.fsbase - sizeof(g)));
	return g;
}

/* The TLS call in flight on this thread, made if create and none is: in
 * its own storage, or in a Go process, its goroutine's (never made here). */
static __always_inline struct sonde_tls_call *tls_call_current(__u32 tgid, int create)
{
	if (pid_bit_has(&go_procs, tgid)) {
		struct sonde_go_key key = { .g = go_current_g(), .tgid = tgid };

		return bpf_map_lookup_elem(&go_calls, &key);
	}
	return bpf_task_storage_get(&tls_calls, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* Plaintext a TLS call moved on connection c, to its framing. */
static __always_inline void tls_plain(struct sonde_conn *c, __u64 buf, __u64 n, int received)
{
	struct sonde_io plain = { .buf = buf };

	c->blind = SONDE_TLS_READ;
	if (c->tls && c->state != SONDE_CONN_NOT_HTTP)
		conn_bytes(c, &plain, n, received, SONDE_DATA_TLS);
}

#endif
