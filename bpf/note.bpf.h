/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Notes on a connection's following, one event each and rare: its TLS is
 * one no probe reads, or its bytes are no protocol sonde follows and it is
 * left alone. User space counts them by service. */
#ifndef SONDE_NOTE_BPF_H
#define SONDE_NOTE_BPF_H

#include "maps.bpf.h"

static __always_inline void conn_note(const struct sonde_conn *c, __u8 what)
{
	struct sonde_conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(SONDE_STAT_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = SONDE_EVENT_CONN;
	e->tgid = c->tgid;
	e->service_id = c->service_id;
	e->what = what;
	e->role = c->role;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->cgroup_id = c->cgroup_id;
	e->ts_ns = bpf_ktime_get_ns();
	e->peer = c->peer;
	/* Not in softirq context, where the current task is any. */
	if (bpf_get_current_pid_tgid() >> 32 == c->tgid)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wakeup_flag());
	stat_inc(SONDE_STAT_EVENTS);
}

/* Left alone from now on: its bytes are no protocol sonde follows. */
static __always_inline void conn_left_alone(struct sonde_conn *c)
{
	c->state = SONDE_CONN_NOT_HTTP;
	stat_inc(SONDE_STAT_NOT_HTTP);
	conn_note(c, SONDE_CONN_LEFT_ALONE);
}

#endif
