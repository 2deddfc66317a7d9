// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP connection lifecycle of the targets' sockets: where a client's
 * connection starts and any connection ends, how long connects take,
 * why they fail (the errno the kernel sets before closing the socket),
 * retransmits, and the bytes a connection carried, read from the socket
 * when it closes (less what sockops told while it lived). Runs in softirq
 * context too: sockets are found in the socks map, filled where the
 * process is known (connect, accept). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "conn_table.bpf.h"
#include "select.bpf.h"
#include "sock.bpf.h"

#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_FIN_WAIT1 4
#define TCP_CLOSE 7
#define TCP_LAST_ACK 9
#define ECONNRESET 104

/* This end's address: bound once the connection is established. */
static __always_inline void state_local(const struct trace_event_raw_inet_sock_set_state *ctx, struct sonde_peer *local)
{
	local->family = ctx->family;
	local->port = ctx->sport;
	if (ctx->family == AF_INET)
		bpf_probe_read_kernel(local->addr, 4, ctx->saddr);
	else
		bpf_probe_read_kernel(local->addr, 16, ctx->saddr_v6);
}

SEC("tracepoint/sock/inet_sock_set_state")
int sonde_sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u64 key = (__u64)ctx->skaddr;
	struct sock *sk = (struct sock *)ctx->skaddr;
	struct sonde_sock *s;
	__u32 service;
	int err;

	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT) {
		/* Inside connect(): the process is the current one. */
		struct sonde_peer peer = { .family = ctx->family, .port = ctx->dport };

		if (!select_current(&service))
			return 0;
		/* The context may not be read through a moved pointer. */
		if (ctx->family == AF_INET)
			bpf_probe_read_kernel(peer.addr, 4, ctx->daddr);
		else
			bpf_probe_read_kernel(peer.addr, 16, ctx->daddr_v6);
		sock_track(sk, bpf_get_current_pid_tgid() >> 32, service, SONDE_ROLE_CLIENT, &peer, bpf_ktime_get_ns(),
			   0);
		/* Its bytes are followed too, for client requests. */
		if (conn_new(sk, service, SONDE_ROLE_CLIENT, SONDE_FD_UNKNOWN, 0))
			stat_inc(SONDE_STAT_CLIENT_CONNS);
		return 0;
	}
	if (ctx->oldstate == TCP_SYN_RECV && ctx->newstate == TCP_ESTABLISHED) {
		conn_handshaken(sk);
		return 0;
	}
	/* However the socket got there (a reset, a failed connect, the last
	 * FIN of a process that exited), its connection is over; a server's
	 * is once it sent its FIN, as it can answer nothing more (a client
	 * that shut its side down still reads the answer). */
	if (ctx->newstate == TCP_CLOSE) {
		conn_end(key, 0);
		bpf_map_delete_elem(&unfollowed, &key);
	} else if (ctx->newstate == TCP_FIN_WAIT1 || ctx->newstate == TCP_LAST_ACK) {
		conn_end(key, 1);
	}
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s)
		return 0;
	if (ctx->oldstate == TCP_SYN_SENT && ctx->newstate == TCP_ESTABLISHED) {
		/* The source port is bound by now, not at SYN_SENT. */
		struct sonde_peer local = {};

		state_local(ctx, &local);
		conn_event(s, SONDE_CONN_CONNECTED, 0, bpf_ktime_get_ns() - s->start_ns, 0, 0, &local);
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE)
		return 0;
	err = BPF_CORE_READ(sk, sk_err);
	if (ctx->oldstate == TCP_SYN_SENT) {
		/* No errno: the process gave up on the connect itself. */
		if (err)
			conn_event(s, SONDE_CONN_FAILED, err, bpf_ktime_get_ns() - s->start_ns, 0, 0, NULL);
	} else {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		struct sonde_peer local = {};

		if (err == ECONNRESET)
			conn_event(s, SONDE_CONN_FAILED, err, 0, 0, 0, NULL);
		__u64 sent = BPF_CORE_READ(tp, bytes_acked), received = BPF_CORE_READ(tp, bytes_received);

		/* Less what sockops told already, which its tail timer may be
		 * telling now. */
		sent -= __sync_lock_test_and_set(&s->told_sent, sent);
		received -= __sync_lock_test_and_set(&s->told_received, received);
		/* A client's local address is free for another's connection. */
		if (s->role == SONDE_ROLE_CLIENT)
			state_local(ctx, &local);
		conn_event(s, SONDE_CONN_CLOSED, 0, 0, sent, received, &local);
	}
	bpf_map_delete_elem(&socks, &key);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int sonde_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	__u64 key = (__u64)ctx->skaddr;
	struct sonde_sock *s = bpf_map_lookup_elem(&socks, &key);

	if (s)
		conn_event(s, SONDE_CONN_RETRANSMIT, 0, 0, 0, 0, NULL);
	return 0;
}
