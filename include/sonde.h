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
	SONDE_ROLE_CLIENT = 2,
};

/* The first field of every ring buffer sample. */
enum sonde_event_type {
	SONDE_EVENT_HTTP = 1,
	SONDE_EVENT_CONN = 2,
	SONDE_EVENT_DATA = 3,
	SONDE_EVENT_FUNC = 4,
	SONDE_EVENT_PROPAGATION = 5,
};

/* The protocol of a connection, told by the first bytes its client sent.
 * HTTP/1.x is framed in the kernel, one event per exchange; the others
 * need memory to parse (HPACK, pipelines, prepared statements), so their
 * bytes go to user space as they move. */
enum sonde_proto {
	SONDE_PROTO_UNKNOWN = 0,
	SONDE_PROTO_HTTP1,
	SONDE_PROTO_HTTP2,
	SONDE_PROTO_REDIS,
	SONDE_PROTO_POSTGRES,
	/* A PostgreSQL connection joined after its startup (older than sonde
	 * or than its process's selection): followed from a client message. */
	SONDE_PROTO_POSTGRES_JOINED,
	SONDE_PROTO_MEMCACHED, /* the text protocol, classic and meta commands */
	SONDE_PROTO_MQTT, /* 3.1, 3.1.1 and 5, from the client's CONNECT */
	SONDE_PROTO_NATS, /* the client protocol, from its CONNECT {json} */
	SONDE_PROTO_AMQP, /* 0-9-1, from the client's protocol header */
	SONDE_PROTO_MYSQL, /* MySQL and MariaDB, from the client's handshake response */
	SONDE_PROTO_MYSQL_JOINED, /* one joined after its handshake, from a command */
	SONDE_PROTO_DNS, /* a UDP socket's datagrams, a DNS message each */
	SONDE_PROTO_DNS_TCP, /* DNS over TCP, from the client's first query */
};

/* Bytes of one call's data carried by a data event; more is a gap. A
 * power of two so the kernel side can mask offsets. */
#define SONDE_DATA_CAP 8192

/* The remote end of a connection, as the kernel holds it. */
struct sonde_peer {
	__u16 family; /* AF_INET or AF_INET6, 0 when unknown */
	__u16 port; /* host byte order */
	__u8 addr[16];
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
	__u32 type; /* SONDE_EVENT_HTTP */
	__u32 pad0;
	__u64 start_ns; /* first byte of the request read (CLOCK_MONOTONIC) */
	__u64 end_ns; /* last byte of the response written */
	__u64 conn_id; /* unique per connection: its accept or connect time */
	__u64 cgroup_id; /* the process's cgroup v2 id when the connection started */
	__u64 req_bytes; /* request bytes read, headers and body */
	__u64 resp_bytes; /* response bytes written, headers and body */
	__u32 tgid;
	__u32 tid;
	__u32 fd;
	__u32 service_id;
	__u16 req_len; /* bytes of req[] filled */
	__u16 resp_len; /* bytes of resp[] filled */
	__u8 role;
	__u8 end; /* enum sonde_exchange_end */
	__u8 flags; /* enum sonde_http_flags */
	__u8 pad;
	struct sonde_peer peer;
	char comm[SONDE_COMM_LEN];
	char resp[SONDE_RESP_CAP];
	/* Last, so an event ends after req_len bytes of it. */
	char req[SONDE_REQ_CAP];
};

enum sonde_http_flags {
	SONDE_HTTP_TLS = 1, /* read from the TLS library: https */
};

/* The bytes of an event that carries req_len bytes of request. */
#define SONDE_EVENT_SIZE(req_len) (__builtin_offsetof(struct sonde_http_event, req) + (req_len))

enum sonde_data_flags {
	SONDE_DATA_SENT = 1, /* the target wrote these bytes; else it read them */
	SONDE_DATA_CLOSE = 2, /* the connection closed: no bytes */
	SONDE_DATA_TLS = 4, /* plaintext taken from the TLS library */
	/* tgid exited: the kernel closed its connections without close(),
	 * so their parsers go. No connection, no bytes. */
	SONDE_DATA_EXIT = 8,
};

/* The bytes one read or write moved on a connection of a user-space
 * parsed protocol, cut after len bytes. */
struct sonde_data_event {
	__u32 type; /* SONDE_EVENT_DATA */
	__u8 role;
	__u8 proto; /* enum sonde_proto */
	__u8 flags; /* enum sonde_data_flags */
	__u8 pad;
	__u64 ts_ns; /* when the call returned (CLOCK_MONOTONIC) */
	__u64 conn_id;
	__u64 cgroup_id;
	__u32 tgid;
	__u32 tid;
	__u32 fd;
	__u32 service_id;
	__u32 total; /* bytes the call moved */
	__u32 len; /* of them, the first len are in data[] */
	struct sonde_peer peer;
	char comm[SONDE_COMM_LEN];
	char data[SONDE_DATA_CAP];
};

#define SONDE_DATA_EVENT_SIZE(len) (__builtin_offsetof(struct sonde_data_event, data) + (len))

enum sonde_conn_what {
	SONDE_CONN_CONNECTED = 1, /* an outgoing connect completed: duration_ns */
	SONDE_CONN_FAILED, /* a connection failed: error is the errno; duration_ns
				   * since the connect started, for outgoing ones */
	SONDE_CONN_RETRANSMIT, /* a segment was retransmitted */
	SONDE_CONN_CLOSED, /* a connection closed: bytes_sent, bytes_received */
	/* A TLS connection whose plaintext no probe saw after several
	 * ciphertext calls: a TLS library sonde does not read. */
	SONDE_CONN_TLS_UNREADABLE,
	/* A connection whose first bytes were no protocol sonde follows: left
	 * alone from then on. */
	SONDE_CONN_LEFT_ALONE,
	/* A live connection's bytes since it last told (bytes_sent,
	 * bytes_received) and its smoothed round-trip time (duration_ns),
	 * from sockops: at its first RTT sample, then at most once a
	 * SONDE_TCP_TELL_NS. */
	SONDE_CONN_PROGRESS,
	/* A server connection followed from now on: peer is its caller's
	 * address, told before its first request is read. */
	SONDE_CONN_ACCEPTED,
};

#define SONDE_TCP_TELL_NS 1000000000ull

/* A connection's life: one event per connect, accept, failure, retransmit, close. */
struct sonde_conn_event {
	__u32 type; /* SONDE_EVENT_CONN */
	__u32 tgid;
	__u32 service_id;
	__u8 what; /* enum sonde_conn_what */
	__u8 role;
	__u16 pad;
	__s32 error;
	__u32 tid; /* the thread that connected or accepted */
	__u64 cgroup_id;
	__u64 ts_ns; /* when it happened (CLOCK_MONOTONIC) */
	__u64 duration_ns;
	__u64 bytes_sent;
	__u64 bytes_received;
	struct sonde_peer peer;
	/* This end's address, on SONDE_CONN_CONNECTED and a client's
	 * SONDE_CONN_CLOSED: a server on this host sees it as its peer, which
	 * is how its caller is known while the connection lives. */
	struct sonde_peer local;
	char comm[SONDE_COMM_LEN];
};

/* Open server connections of one process, keyed by tgid. */
struct sonde_proc_conns {
	__s64 server;
	__s64 client;
	__u32 service_id;
	/* The last process it forked, and when: a server that accepts, then
	 * forks a process per connection (PostgreSQL) hands the socket over. */
	__u32 last_child;
	__u32 pad;
	__u64 fork_ns;
};

/* The followed map's size when user space does not set it: the largest
 * pid_max on 64-bit Linux. */
#define SONDE_PID_MAX_DEFAULT 4194304

/* How soon after the fork the parent closes its copy of a socket it hands
 * over; the postmaster does it at once. */
#define SONDE_HAND_OVER_NS 100000000ull

/* A cgroup v2 directory whose processes, and its descendants', are
 * selected: the value of the cgroup_targets array. */
struct sonde_cgroup_target {
	__u64 id; /* the directory's inode number */
	__u32 level; /* its depth below the root */
	__u32 service_id;
};

#define SONDE_MAX_CGROUP_TARGETS 16

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
	__u32 ncgroups; /* entries of cgroup_targets in use */
	__u32 max_conns; /* the size user space gave the connection table */
};

/* A process that became a target at exec or fork, or a target that
 * exited: user space attaches its TLS uprobes at once (a child has its
 * parent's from its fork until then), and lets them go at its exit. The
 * value of the target_events ring. */
enum sonde_target_what {
	SONDE_TARGET_EXEC = 1,
	SONDE_TARGET_FORK = 2,
	SONDE_TARGET_EXIT = 3,
};

struct sonde_target_event {
	__u32 pid;
	__u32 what; /* enum sonde_target_what */
	__u64 ts_ns; /* CLOCK_MONOTONIC */
};

/* Function probes (functions: in the configuration). A probe's cookie
 * says which function it stands for and how to read its call. */
#define SONDE_FUNC_COOKIE_ID 0xffffffffull /* the function's id, or for Python the service's */
#define SONDE_FUNC_COOKIE_GO (1ull << 32) /* a Go function: calls by goroutine */
#define SONDE_FUNC_COOKIE_PYTHON (1ull << 33) /* CPython's function__entry/__return */
/* Python: the pt_regs register holding the USDT probe's filename and
 * function name arguments, a SONDE_FUNC_REG_* each. */
#define SONDE_FUNC_COOKIE_FILE_SHIFT 40
#define SONDE_FUNC_COOKIE_NAME_SHIFT 48

enum sonde_func_reg {
	SONDE_FUNC_REG_RAX,
	SONDE_FUNC_REG_RBX,
	SONDE_FUNC_REG_RCX,
	SONDE_FUNC_REG_RDX,
	SONDE_FUNC_REG_RSI,
	SONDE_FUNC_REG_RDI,
	SONDE_FUNC_REG_RBP,
	SONDE_FUNC_REG_R8,
	SONDE_FUNC_REG_R9,
	SONDE_FUNC_REG_R10,
	SONDE_FUNC_REG_R11,
	SONDE_FUNC_REG_R12,
	SONDE_FUNC_REG_R13,
	SONDE_FUNC_REG_R14,
	SONDE_FUNC_REG_R15,
	SONDE_FUNC_REG_MAX,
};

/* Calls nested at once on one thread (or goroutine) that are timed. */
#define SONDE_FUNC_DEPTH 16
/* Bytes of a Python function's name matched in the kernel. */
#define SONDE_PY_NAME_MAX 44
/* Bytes of a Python function's file carried by its event. */
#define SONDE_PY_FILE_MAX 128

/* A call in flight: when it started and where its stack stood, which its
 * return must match (a recursion's calls stand deeper). */
struct sonde_func_frame {
	__u64 start_ns;
	__u64 tag; /* native: the stack pointer at entry; Go: the depth in the goroutine's stack */
	__u32 func_id;
	__u32 pad;
};

struct sonde_func_stack {
	__u32 n;
	__u32 pad;
	struct sonde_func_frame frames[SONDE_FUNC_DEPTH];
};

/* The func_stacks key: a thread, or in a Go process a goroutine. */
struct sonde_func_key {
	__u64 id; /* the tid, or the goroutine's runtime.g */
	__u32 tgid;
	__u32 pad;
};

/* A Python function followed, by the service whose processes run it. */
struct sonde_py_key {
	__u32 service_id;
	char name[SONDE_PY_NAME_MAX];
};

/* One call of a function, at its return. */
struct sonde_func_event {
	__u32 type; /* SONDE_EVENT_FUNC */
	__u32 func_id;
	__u64 start_ns; /* CLOCK_MONOTONIC */
	__u64 end_ns;
	__u64 cgroup_id;
	__s64 ret; /* the return value: native code's a C int, Go's an int; Python: 0 */
	__u32 tgid;
	__u32 tid;
	__u16 depth; /* calls of followed functions it ran inside */
	__u16 file_len; /* Python: bytes of file[] filled */
	__u32 pad;
	char file[SONDE_PY_FILE_MAX]; /* Python: the code's file, for its module */
};

/* Per-CPU counters of the kernel side, summed by the collector. */
enum sonde_stat {
	SONDE_STAT_EVENTS, /* events written to the ring buffer: exchanges, connections, data */
	SONDE_STAT_LOST, /* events dropped: ring buffer full */
	SONDE_STAT_NOT_HTTP, /* connections whose first bytes were no protocol followed */
	SONDE_STAT_UNANSWERED, /* requests whose connection closed before a response */
	SONDE_STAT_CONNS, /* server connections accepted and tracked */
	SONDE_STAT_CLIENT_CONNS, /* outgoing connections made and tracked */
	SONDE_STAT_TLS_CONNS, /* connections whose plaintext is read from the TLS library */
	SONDE_STAT_CONNS_UNTRACKED, /* connections not followed: max_conns live ones were */
	SONDE_STAT_EXCHANGES_EVICTED, /* exchanges in flight pushed out of the full exchange table */
	SONDE_STAT_SOCKS_UNTRACKED, /* sockets whose state changes are not followed: the socket table was full */
	SONDE_STAT_FUNC_EXITED, /* function calls in flight when their thread exited */
	SONDE_STAT_FUNC_DEPTH, /* function calls nested deeper than a thread's stack, or whose entry was not seen */
	/* Datagrams of a sendmmsg or recvmmsg not read: the vector's lengths
	 * were not cleared, so which one moved was unknown. */
	SONDE_STAT_MMSG_UNKNOWN,
	/* Outgoing HTTP/1.x requests of services that inject a traceparent
	 * (bpf/inject.bpf.c): written into; carrying their own; sent while
	 * the thread served no request; whose request line or headers were
	 * not whole in the first message; or not written for want of room in
	 * the message or in the table of the service's client sockets. */
	SONDE_STAT_PROP_INJECTED,
	SONDE_STAT_PROP_PRESENT,
	SONDE_STAT_PROP_UNSERVED,
	SONDE_STAT_PROP_PARTIAL,
	SONDE_STAT_PROP_FAILED,
	SONDE_STAT_MAX,
};

/* A TCP port a target listens on, in a network namespace. */
struct sonde_listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

/* Service ids the kernel knows flags of: user space's services and 0. */
#define SONDE_SERVICE_IDS 2048

/* A traceparent written into a target's outgoing request: the trace of
 * the request its thread serves and the span id the CLIENT span gets. */
struct sonde_propagation_event {
	__u32 type; /* SONDE_EVENT_PROPAGATION */
	__u32 tgid;
	__u32 tid;
	__u32 service_id;
	__u64 ts_ns;
	__u64 conn_id; /* the client connection's */
	__u8 trace_id[16];
	__u8 span_id[8];
};

/* Who serves it: learnt from its first connection with bytes, or told by
 * user space for a target's listener, so the connections accepted after
 * it are followed from their handshake, even those that never carry a
 * byte. */
struct sonde_listener {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 service_id;
	char comm[SONDE_COMM_LEN];
};

/* The layouts both sides compile: a change to one is a change to both. */
_Static_assert(sizeof(struct sonde_peer) == 20, "sonde_peer");
_Static_assert(sizeof(struct sonde_http_event) == 696, "sonde_http_event");
_Static_assert(__builtin_offsetof(struct sonde_http_event, peer) == 80, "sonde_http_event.peer");
_Static_assert(__builtin_offsetof(struct sonde_http_event, resp) == 116, "sonde_http_event.resp");
_Static_assert(__builtin_offsetof(struct sonde_http_event, req) == 180, "sonde_http_event.req");
_Static_assert(sizeof(struct sonde_data_event) == 8288, "sonde_data_event");
_Static_assert(__builtin_offsetof(struct sonde_data_event, peer) == 56, "sonde_data_event.peer");
_Static_assert(__builtin_offsetof(struct sonde_data_event, data) == 92, "sonde_data_event.data");
_Static_assert(sizeof(struct sonde_conn_event) == 120, "sonde_conn_event");
_Static_assert(__builtin_offsetof(struct sonde_conn_event, local) == 84, "sonde_conn_event.local");
_Static_assert(__builtin_offsetof(struct sonde_conn_event, peer) == 64, "sonde_conn_event.peer");
_Static_assert(sizeof(struct sonde_proc_conns) == 40, "sonde_proc_conns");
_Static_assert(sizeof(struct sonde_cgroup_target) == 16, "sonde_cgroup_target");
_Static_assert(sizeof(struct sonde_target) == 4, "sonde_target");
_Static_assert(sizeof(struct sonde_comm_key) == 16, "sonde_comm_key");
_Static_assert(sizeof(struct sonde_config) == 16, "sonde_config");
_Static_assert(sizeof(struct sonde_target_event) == 16, "sonde_target_event");
_Static_assert(sizeof(struct sonde_func_frame) == 24, "sonde_func_frame");
_Static_assert(sizeof(struct sonde_func_stack) == 8 + 24 * SONDE_FUNC_DEPTH, "sonde_func_stack");
_Static_assert(sizeof(struct sonde_func_key) == 16, "sonde_func_key");
_Static_assert(sizeof(struct sonde_py_key) == 48, "sonde_py_key");
_Static_assert(sizeof(struct sonde_func_event) == 56 + SONDE_PY_FILE_MAX, "sonde_func_event");
_Static_assert(sizeof(struct sonde_listen_key) == 8, "sonde_listen_key");
_Static_assert(sizeof(struct sonde_listener) == 32, "sonde_listener");
_Static_assert(sizeof(struct sonde_propagation_event) == 56, "sonde_propagation_event");

#endif
