/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The contract between the BPF programs and the collector: fixed-width
 * structs and constants included by both sides. */
#ifndef SONDE_H
#define SONDE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bytes of the request head kept per exchange: the request line and the
 * first headers. A power of two so the kernel side can mask offsets. */
#define SONDE_REQ_CAP 512
/* Bytes of the response kept: the status line. */
#define SONDE_RESP_CAP 64
/* Bytes of the first response write scanned in the kernel for its framing
 * (Content-Length, Transfer-Encoding, end of head). */
#define SONDE_HEAD_SCAN 512
#define SONDE_COMM_LEN 16

/* Service id 0: no selector named the process (observe-all mode); the
 * collector names the service after the process's command name. */
#define SONDE_SERVICE_BY_COMM 0

enum sonde_role {
	SONDE_ROLE_SERVER = 1,
};

/* Why an exchange was emitted. */
enum sonde_exchange_end {
	/* The response's framing (Content-Length, chunked terminator, or no
	 * body) said it was complete. */
	SONDE_END_FRAMED = 1,
	/* The next request started on the connection. */
	SONDE_END_NEXT_REQUEST = 2,
	/* The connection was closed. */
	SONDE_END_CLOSE = 3,
};

/* One request and its response, emitted once per request, cut after
 * the captured request bytes. */
struct sonde_http_event {
	__u64 start_ns;   /* first byte of the request read (CLOCK_MONOTONIC) */
	__u64 end_ns;     /* last byte of the response written */
	__u64 conn_id;    /* unique per connection: its accept time */
	__u64 req_bytes;  /* request bytes read, headers and body */
	__u64 resp_bytes; /* response bytes written, headers and body */
	__u32 tgid;
	__u32 tid;
	__u32 fd;
	__u32 service_id;
	__u16 req_len;    /* bytes of req[] filled */
	__u16 resp_len;   /* bytes of resp[] filled */
	__u8 role;
	__u8 end;         /* enum sonde_exchange_end */
	__u8 pad[2];
	char comm[SONDE_COMM_LEN];
	char resp[SONDE_RESP_CAP];
	/* Last, so an event ends after req_len bytes of it. */
	char req[SONDE_REQ_CAP];
};

/* The bytes of an event that carries req_len bytes of request. */
#define SONDE_EVENT_SIZE(req_len) (__builtin_offsetof(struct sonde_http_event, req) + (req_len))

/* A selected process: the value of the targets map, keyed by tgid. */
struct sonde_target {
	__u32 service_id;
};

/* The key of the exe map: the command name a process gets at exec, which
 * is the executable's basename cut to 15 bytes. */
struct sonde_comm_key {
	char comm[SONDE_COMM_LEN];
};

struct sonde_config {
	__u32 self_tgid;
	/* No selector given: every process but sonde itself is observed. */
	__u32 observe_all;
};

/* Per-CPU counters of the kernel side, summed by the collector. */
enum sonde_stat {
	SONDE_STAT_EVENTS,       /* exchanges written to the ring buffer */
	SONDE_STAT_LOST,         /* exchanges dropped: ring buffer full */
	SONDE_STAT_NOT_HTTP,     /* connections whose first bytes were not HTTP/1.x */
	SONDE_STAT_UNANSWERED,   /* requests whose connection closed before a response */
	SONDE_STAT_CONNS,        /* server connections accepted and tracked */
	SONDE_STAT_MAX,
};

#endif
