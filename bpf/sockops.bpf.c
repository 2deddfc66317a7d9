// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP health while a connection lives, from sockops on the cgroups sonde
 * attaches it to: the smoothed round-trip time, and the bytes a
 * connection carried so far. A connection tells at its first RTT sample;
 * after that, an RTT sample in a second that has none told arms a timer
 * that tells at the second's end, so a busy connection tells once a
 * SONDE_TCP_TELL_NS and a burst's last bytes do not wait for the next
 * one; a sample after a quiet second tells at once. Only the targets'
 * sockets (the socks map) keep their RTT callbacks; any other socket
 * costs one call when it is established and, if it was accepted, one
 * more at its first acknowledged segment, where it is told apart and its
 * callbacks end. A target's callback looks at its socket's own storage,
 * no map lookup. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "sock.bpf.h"

#define CLOCK_MONOTONIC 1

/* Jiffies are the cheap clock of a per-segment callback; where the
 * kernel's configuration is not readable, ticks are taken for 4 ms, the
 * most common, so a tell may come up to four times as often. */
extern unsigned long CONFIG_HZ __kconfig __weak;

static __always_inline __u64 sockops_tick_ns(void)
{
	return CONFIG_HZ ? 1000000000ull / CONFIG_HZ : 4000000ull;
}

/* A target socket's telling, in its own storage: from when the next tell
 * may come, and when the armed timer (if any) fires, in jiffies. */
struct sockops_state {
	__u64 next;
	__u64 armed;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sockops_state);
} sockops_states SEC(".maps");

/* The armed timers, by struct sock: one a connection at most, gone when
 * it fires; user space sizes it. */
struct sockops_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SONDE_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct sockops_timer);
} sockops_timers SEC(".maps");

/* Tells the counts since the last tell; the exchanges split them with a
 * close that tells at the same time. */
static __always_inline void sockops_tell(struct sonde_sock *s, __u64 acked, __u64 received, __u32 srtt_us)
{
	__u64 was_acked = __sync_lock_test_and_set(&s->told_sent, acked);
	__u64 was_received = __sync_lock_test_and_set(&s->told_received, received);

	/* Behind a close that told it all, there is nothing left. */
	conn_event(s, SONDE_CONN_PROGRESS, 0, (__u64)(srtt_us >> 3) * 1000, acked > was_acked ? acked - was_acked : 0,
		   received > was_received ? received - was_received : 0, 0);
}

/* The socket is alive while socks holds it: its entry goes at TCP_CLOSE. */
static int sockops_timer_fire(void *map, __u64 *key, struct sockops_timer *t)
{
	struct sonde_sock *s = bpf_map_lookup_elem(&socks, key);
	struct tcp_sock *tp = (struct tcp_sock *)*key;

	if (s)
		sockops_tell(s, BPF_CORE_READ(tp, bytes_acked), BPF_CORE_READ(tp, bytes_received),
			     BPF_CORE_READ(tp, srtt_us));
	bpf_map_delete_elem(map, key);
	return 0;
}

/* A timer that tells at st->next, which then moves a second on. */
static __always_inline void sockops_arm(__u64 key, struct sockops_state *st, __u64 now)
{
	struct sockops_timer zero = {}, *t;

	if (bpf_map_update_elem(&sockops_timers, &key, &zero, BPF_NOEXIST))
		return;
	t = bpf_map_lookup_elem(&sockops_timers, &key);
	if (!t || bpf_timer_init(&t->timer, &sockops_timers, CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&t->timer, sockops_timer_fire) ||
	    bpf_timer_start(&t->timer, (st->next - now) * sockops_tick_ns(), 0)) {
		bpf_map_delete_elem(&sockops_timers, &key);
		return;
	}
	st->armed = st->next;
	st->next += SONDE_TCP_TELL_NS / sockops_tick_ns();
}

static __always_inline void sockops_rtt(struct bpf_sock_ops *skops, struct bpf_sock *sk)
{
	struct sockops_state *st = bpf_sk_storage_get(&sockops_states, sk, 0, 0);
	__u64 now = bpf_jiffies64(), key = (__u64)sk;
	struct sonde_sock *s;

	/* Within the second after a tell, a timer tells at its end; nothing
	 * to do while one is armed. */
	if (st && now < st->next) {
		if (st->armed < now)
			sockops_arm(key, st, now);
		return;
	}
	s = bpf_map_lookup_elem(&socks, &key);
	if (!s) {
		bpf_sock_ops_cb_flags_set(skops, 0);
		return;
	}
	if (!st)
		st = bpf_sk_storage_get(&sockops_states, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (st)
		st->next = now + SONDE_TCP_TELL_NS / sockops_tick_ns();
	sockops_tell(s, skops->bytes_acked, skops->bytes_received, skops->srtt_us);
}

SEC("sockops")
int sonde_sockops(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	struct sonde_sock *s;
	__u32 service, *inject;
	__u64 key;

	if (!sk)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		/* A target's connect was tracked at SYN_SENT; a service that
		 * injects trace context has its requests pass sonde_inject. */
		key = (__u64)sk;
		s = bpf_map_lookup_elem(&socks, &key);
		if (!s)
			return 1;
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		service = s->service_id;
		inject = bpf_map_lookup_elem(&inject_services, &service);
		/* A full table leaves the connection's requests as they are. */
		if (inject && *inject && bpf_sock_hash_update(skops, &inject_socks, &key, BPF_NOEXIST))
			stat_inc(SONDE_STAT_PROP_FAILED);
		return 1;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		/* A target's listener may be learnt only from this very
		 * connection's first bytes: told apart at its first sample. */
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG);
		return 1;
	case BPF_SOCK_OPS_RTT_CB:
		sockops_rtt(skops, sk);
		return 1;
	}
	return 1;
}
