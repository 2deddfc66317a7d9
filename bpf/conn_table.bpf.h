/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The followed connections, by struct sock: made where a target connects,
 * at the handshake of a listener it serves, or at the first bytes of a
 * socket no entry holds; ended where the TCP state reaches CLOSE (or, in
 * the mode "syscalls", at close()); counted per process. A socket is one connection
 * whichever process uses it, so one handed to a child (PostgreSQL's
 * postmaster and its backends) stays the same entry. */
#ifndef SONDE_CONN_TABLE_BPF_H
#define SONDE_CONN_TABLE_BPF_H

#include "maps.bpf.h"
#include "http.bpf.h"
#include "proto.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"
#include "tls.bpf.h"

/* The process's open connection counts, made with its first. */
static __always_inline struct sonde_proc_conns *proc_conns_of(__u32 tgid, __u32 service)
{
	struct sonde_proc_conns zero = { .service_id = service }, *pc;

	pc = bpf_map_lookup_elem(&proc_conns, &tgid);
	if (pc)
		return pc;
	bpf_map_update_elem(&proc_conns, &tgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&proc_conns, &tgid);
}

/* Connection c opens (n 1) or closes (n -1) in its process. */
static __always_inline void proc_conns_add(const struct sonde_conn *c, __s64 n)
{
	struct sonde_proc_conns *pc;
	__u32 tgid = c->tgid;

	if (c->dgram)
		return;
	pc = n > 0 ? proc_conns_of(tgid, c->service_id) : bpf_map_lookup_elem(&proc_conns, &tgid);
	if (pc)
		__sync_fetch_and_add(c->role == SONDE_ROLE_SERVER ? &pc->server : &pc->client, n);
}

/* Puts a connection in the table, unless max_conns live ones are there
 * already: then it is not followed, and that is counted. An entry left
 * under the same socket address, whose end was not seen, gives way. */
static __always_inline struct sonde_conn *conn_insert(const struct sonde_conn *v)
{
	struct sonde_config *cfg = config_get();
	__u32 zero = 0;
	__s64 *live = bpf_map_lookup_elem(&conns_live, &zero);
	__u64 key = v->sk;
	struct sonde_conn *old;

	if (!live || !cfg)
		return 0;
	old = bpf_map_lookup_elem(&conns, &key);
	if (old) {
		proc_conns_add(old, -1);
		if (bpf_map_update_elem(&conns, &key, v, BPF_EXIST))
			return 0;
		return bpf_map_lookup_elem(&conns, &key);
	}
	if (__sync_fetch_and_add(live, 1) >= cfg->max_conns) {
		__u8 one = 1;

		__sync_fetch_and_add(live, -1);
		if (!bpf_map_update_elem(&unfollowed, &key, &one, BPF_NOEXIST))
			stat_inc(SONDE_STAT_CONNS_UNTRACKED);
		return 0;
	}
	if (bpf_map_update_elem(&conns, &key, v, BPF_NOEXIST)) {
		__sync_fetch_and_add(live, -1);
		return 0;
	}
	return bpf_map_lookup_elem(&conns, &key);
}

/* A connection of a target starting on sk: of the current process, or
 * when who is given (softirq context), of the listener's. */
static __always_inline struct sonde_conn *conn_new(struct sock *sk, __u32 service, __u8 role, __u32 fd,
						   const struct sonde_listener *who)
{
	__u32 tgid = who ? who->tgid : bpf_get_current_pid_tgid() >> 32;
	struct sonde_conn v = {
		.conn_id = bpf_ktime_get_ns(),
		.sk = (__u64)sk,
		.cgroup_id = who ? who->cgroup_id : bpf_get_current_cgroup_id(),
		.service_id = service,
		.tgid = tgid,
		.fd = fd,
		.role = role,
	};
	struct sonde_conn *c;

	sock_peer(sk, &v.peer);
	c = conn_insert(&v);
	if (!c)
		return 0;
	followed_set(tgid, 1);
	proc_conns_add(c, 1);
	return c;
}

#define TCP_ESTABLISHED 1
#define TCP_CLOSE_WAIT 8

static __always_inline struct sonde_listen_key listen_key_of(struct sock *sk)
{
	struct sonde_listen_key key = {
		.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum),
		.port = BPF_CORE_READ(sk, __sk_common.skc_num),
	};

	return key;
}

/* A server connection with bytes tells who serves its listener. */
static __always_inline void listener_learn(struct sock *sk, const struct sonde_conn *c)
{
	struct sonde_listen_key key = listen_key_of(sk);
	struct sonde_listener who = {
		.cgroup_id = c->cgroup_id,
		.tgid = c->tgid,
		.service_id = c->service_id,
	};

	bpf_get_current_comm(who.comm, sizeof(who.comm));
	bpf_map_update_elem(&listeners, &key, &who, BPF_ANY);
}

/* Told before the connection's first request is read: on loopback the
 * caller can read the answer before the server's exchange is emitted, and
 * the service graph needs the server's name by then. */
static __always_inline void conn_accepted(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct sonde_sock *s = bpf_map_lookup_elem(&socks, &key);

	if (s)
		conn_event(s, SONDE_CONN_ACCEPTED, 0, 0, 0, 0, NULL);
}

/* A TCP connection of a target from now on, and its socket: of the
 * current process, which for a server connection tells who serves its
 * listener; or when who is given (softirq context), of the listener's. */
static __always_inline struct sonde_conn *conn_track(struct sock *sk, __u32 service, __u8 role, __u32 fd,
						     const struct sonde_listener *who)
{
	struct sonde_conn *c = conn_new(sk, service, role, fd, who);

	if (!c)
		return 0;
	sock_track(sk, c->tgid, service, role, &c->peer, 0, who);
	if (role == SONDE_ROLE_SERVER) {
		if (!who)
			listener_learn(sk, c);
		conn_accepted(sk);
	}
	stat_inc(role == SONDE_ROLE_SERVER ? SONDE_STAT_CONNS : SONDE_STAT_CLIENT_CONNS);
	return c;
}

/* A TCP socket a target moves bytes on that no connection holds: one it
 * accepted, or connected before it was a target or before sonde started.
 * A connect's port comes from the ephemeral range, in a bind bucket of
 * its own that no bind() or listen() can share (fastreuse -1); an
 * accepted socket is in its listener's. */
static __always_inline struct sonde_conn *conn_adopt(struct sock *sk, __u32 fd)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__u64 key = (__u64)sk;
	__u32 service;
	__u8 role;

	if ((state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT) || !sock_is_tcp(sk) ||
	    bpf_map_lookup_elem(&unfollowed, &key) || !select_current(&service))
		return 0;
	role = BPF_CORE_READ(icsk, icsk_bind_hash, fastreuse) < 0 ? SONDE_ROLE_CLIENT : SONDE_ROLE_SERVER;
	return conn_track(sk, service, role, fd, 0);
}

/* A connection accepted from a listener a target is known to serve, at
 * its handshake's end (softirq context): followed before its first byte,
 * as the listener's until a process of the service uses it. */
static __always_inline void conn_handshaken(struct sock *sk)
{
	struct sonde_listen_key key = listen_key_of(sk);
	struct sonde_listener *who = bpf_map_lookup_elem(&listeners, &key);

	/* A listener whose process exited is not the service's any more. */
	if (!who || (!bpf_map_lookup_elem(&proc_conns, &who->tgid) && !bpf_map_lookup_elem(&targets, &who->tgid)))
		return;
	conn_track(sk, who->service_id, SONDE_ROLE_SERVER, SONDE_FD_UNKNOWN, who);
}

/* The current process uses a connection another process made or used
 * last: a child serving what its parent accepted. It is counted there
 * from now on, and its events say so. */
static __always_inline void conn_move(struct sonde_conn *c, __u32 tgid)
{
	proc_conns_add(c, -1);
	c->tgid = tgid;
	proc_conns_add(c, 1);
	followed_set(tgid, 1);
	if (c->proto > SONDE_PROTO_HTTP1)
		pid_bit_set(&data_procs, tgid, 1);
}

/* Connection c, on sk, is over: what it had in flight is emitted, and
 * its entries go. */
static __always_inline void conn_close(struct sonde_conn *c, __u64 sk)
{
	struct sonde_exchange *x;

	if (c->proto > SONDE_PROTO_HTTP1) {
		data_emit(c, 0, 0, 0, SONDE_DATA_CLOSE);
	} else if (c->state == SONDE_CONN_RESPONSE) {
		x = exchange_of(c, sk);
		if (x)
			exchange_emit(c, x, SONDE_END_CLOSE);
	} else if (c->state == SONDE_CONN_REQUEST) {
		stat_inc(SONDE_STAT_UNANSWERED);
	}
	/* Past a handshake's first flights, and never read. */
	if (c->tls && c->blind >= 4 && c->blind < SONDE_TLS_SAID)
		tls_unreadable(c);
	proc_conns_add(c, -1);
	bpf_map_delete_elem(&exchanges, &sk);
	if (!bpf_map_delete_elem(&conns, &sk))
		conns_live_add(-1);
}

/* The connection on sk, if one is followed, is over; with servers_only,
 * only a server's (its server sent its FIN). */
static __always_inline void conn_end(__u64 sk, int servers_only)
{
	struct sonde_conn *c = bpf_map_lookup_elem(&conns, &sk);

	if (c && (!servers_only || c->role == SONDE_ROLE_SERVER))
		conn_close(c, sk);
}

#endif
