/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps shared by the BPF objects. maps.bpf.c defines them; every other
 * object sees extern declarations that the static linker resolves. */
#ifndef SONDE_MAPS_BPF_H
#define SONDE_MAPS_BPF_H

#include "sonde.h"

#ifdef SONDE_DEFINE_MAPS
#define SONDE_MAP
#else
#define SONDE_MAP extern
#endif

#define SONDE_MAX_TARGETS 16384
/* Sizes user space sets at load (--max-connections); these are what the
 * objects say when it does not. */
#define SONDE_MAX_CONNS 65536
/* UDP sockets followed at once: a resolver makes one per lookup. */
#define SONDE_MAX_DGRAMS 4096
/* A connection started where no fd is known yet (accept's socket graft,
 * connect's state change): its first read or write tells it. */
#define SONDE_FD_UNKNOWN 0xffffffff
#define SONDE_MAX_EXCHANGES 2048
/* A TLS connection of a process that never made a call the TLS probes
 * saw is one no probe reads: said at its end, or after this many
 * ciphertext calls for a long one (a handshake makes a dozen at most). */
#define SONDE_TLS_BLIND_CALLS 64
#define SONDE_TLS_SAID 0xfe /* said to user space */
#define SONDE_TLS_READ 0xff /* plaintext seen */
#define SONDE_RINGBUF_BYTES (2 << 20)

/* A followed connection: what every event it makes says of it, and where
 * its protocol stands. Small, since a node may hold tens of thousands;
 * an HTTP/1 exchange in flight has a struct sonde_exchange besides. */
struct sonde_conn {
	__u64 conn_id; /* unique per connection: its accept or connect time */
	__u64 sk; /* its struct sock, the key it is under */
	__u64 cgroup_id; /* the process's cgroup v2 id when the connection started */
	__u64 resp_expected; /* head + body length when framing is known, else 0 */
	__u32 tgid; /* the process using it last */
	__u32 fd; /* the fd it was last used at; SONDE_FD_UNKNOWN before */
	__u32 service_id;
	__u8 role;
	__u8 state; /* enum sonde_conn_state */
	__u8 chunked;
	__u8 is_head;
	__u8 proto; /* enum sonde_proto, from the client's first bytes */
	__u8 tls; /* the bytes on the socket are TLS records */
	__u8 spoke; /* an exchange started on it once */
	__u8 blind; /* TLS: ciphertext calls with no plaintext seen, SONDE_TLS_SAID or SONDE_TLS_READ */
	struct sonde_peer peer;
	/* An MQTT CONNECT's fixed header bytes read one at a time so far: a
	 * broker (mosquitto) reads the type and each length byte alone, then
	 * the rest, which tells. */
	__u8 mqtt_head;
	/* A UDP socket, in the dgrams map (bpf/dgram.bpf.h): no
	 * connection, a datagram a message, no open connection counted. */
	__u8 dgram;
	/* A DNS over TCP message's length a server read a byte at a time
	 * (dnsmasq does): how many of its two bytes so far, and them. */
	__u8 dns_have;
	__u8 pad2;
	/* A MySQL packet's header a server read alone (they do), its first
	 * bytes: the payload's tell, and the parser gets both. */
	__u32 mysql_head;
	__u16 dns_len;
	__u16 pad3;
	/* A UDP socket's inode number: a socket made later at the same
	 * address is another one. */
	__u32 ino;
};

/* An HTTP/1 exchange being assembled, kept per connection while it is
 * used. The slack after ev lets the verifier prove that a masked append
 * into ev.req stays inside the value. */
struct sonde_exchange {
	struct sonde_http_event ev;
	char slack[2 * SONDE_REQ_CAP];
	__u32 comm_tid; /* the thread whose name ev.comm holds, 0 if none */
};

enum sonde_conn_state {
	SONDE_CONN_IDLE = 0,
	SONDE_CONN_REQUEST,
	SONDE_CONN_RESPONSE,
	SONDE_CONN_NOT_HTTP,
};

/* The bytes a socket syscall moved: its buffer, or its iovec array when
 * iovcnt > 0; read from the registers at the syscall's exit. */
struct sonde_io {
	__u64 buf;
	__u32 iovcnt;
	__u32 fd;
	__u64 name; /* a send's destination address, 0 if none: UDP's */
};

/* A TLS library call in flight, in the thread's own storage (Go's: in
 * go_calls, by goroutine). */
struct sonde_tls_call {
	__u64 ssl; /* the SSL object, 0 if none */
	__u64 buf; /* its plaintext buffer */
	__u64 len_ptr; /* _ex forms: where the byte count is written */
	/* The TLS socket the thread last received on outside a TLS call: the
	 * socket of a library that decrypts from memory after reading it
	 * (Python's asyncio), when no syscall runs inside the call. */
	__u64 last_conn_id;
	__u64 last_sk; /* 0 if none */
	__u64 sk; /* the socket a syscall inside the call used; 0 if none */
	__u64 num; /* a write's byte count */
	__u8 write; /* the call is a write: it has no return probe */
	__u8 done; /* the write's bytes are framed */
	__u8 bind; /* a handshake: the next socket call names the SSL object's socket */
	__u8 pad[5];
};

/* A TCP socket of a target, keyed by its struct sock address: what the
 * softirq-side hooks need to attribute a state change or retransmit. */
struct sonde_sock {
	__u32 tgid;
	__u32 service_id;
	__u64 start_ns; /* connect start, for outgoing connections */
	__u64 cgroup_id;
	__u8 role;
	__u8 pad[3];
	__u32 tid;
	struct sonde_peer peer;
	char comm[SONDE_COMM_LEN];
	/* The byte counts sockops told user space (bpf/sockops.bpf.c); the
	 * close event carries only the rest. They change by exchange, as a
	 * sockops timer and the close may tell at once. */
	__u64 told_sent;
	__u64 told_received;
};

/* A data event being assembled. The slack lets a masked copy at any
 * offset below the cap stay inside the value. */
struct sonde_data_scratch {
	struct sonde_data_event ev;
	char slack[2 * SONDE_DATA_CAP];
};

/* The socket of an SSL object, learnt from a syscall inside a TLS call,
 * for the calls served from the library's buffer with no syscall. */
struct sonde_ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

/* The connection too, so an SSL object freed and made again at the same
 * address for a connection not followed never lends its old socket's
 * bytes to whatever connection a socket at that address holds now. */
struct sonde_ssl_conn {
	__u64 conn_id;
	__u64 sk;
	/* The end of a write that would have blocked: its retry, a call
	 * ending there, brings bytes already framed. */
	__u64 pending_end;
};

struct sonde_scratch {
	char buf[2 * SONDE_HEAD_SCAN];
} __attribute__((aligned(8)));

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sonde_config);
} sonde_config SEC(".maps");

/* A bit per process id (pid_bit_has, pid_bit_set): an array of words,
 * which user space sizes from pid_max. */
#define SONDE_PID_BITMAP(name, flags)                            \
	SONDE_MAP struct {                                       \
		__uint(type, BPF_MAP_TYPE_ARRAY);                \
		__uint(map_flags, flags);                        \
		__uint(max_entries, SONDE_PID_MAX_DEFAULT / 64); \
		__type(key, __u32);                              \
		__type(value, __u64);                            \
	} name SEC(".maps")

/* The selected processes, by pid. This and proc_conns allocate an entry
 * as a process comes, none in advance: both are emptied at exit. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SONDE_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct sonde_target);
} targets SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct sonde_comm_key);
	__type(value, struct sonde_target);
} exe_targets SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SONDE_MAX_CGROUP_TARGETS);
	__type(key, __u32);
	__type(value, struct sonde_cgroup_target);
} cgroup_targets SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SONDE_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct sonde_proc_conns);
} proc_conns SEC(".maps");

/* A bit per process id: set at its first call the TLS probes saw, cleared
 * at its next exec (not at exit: its sockets close after it). */
SONDE_PID_BITMAP(tls_procs, 0);

/* A bit per process id: set at its first call Go's TLS probes saw, and
 * cleared at its next exec: its TLS calls are the goroutines' (go_calls). */
SONDE_PID_BITMAP(go_procs, 0);

/* A bit per process with connections whose bytes go to user space: at
 * its exit user space drops those connections' parsers, as the kernel
 * closes the sockets without close(). */
SONDE_PID_BITMAP(data_procs, 0);

/* Allocated as sockets are followed, none in advance: every TCP socket
 * reaches TCP_CLOSE through the state hook, which deletes its entry. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SONDE_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct sonde_sock);
} socks SEC(".maps");

/* By struct sock. LRU: a connection whose end was never seen ages out. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SONDE_MAX_CONNS);
	__type(key, __u64);
	__type(value, struct sonde_conn);
} conns SEC(".maps");

/* The targets' UDP sockets, by struct sock (bpf/dgram.bpf.h). LRU, as no
 * hook here sees a UDP socket's end but close(): a resolver's sockets,
 * one per lookup, age out. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SONDE_MAX_DGRAMS);
	__type(key, __u64);
	__type(value, struct sonde_conn);
} dgrams SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sonde_listen_key);
	__type(value, struct sonde_listener);
} listeners SEC(".maps");

/* Sockets of targets a full connection table could not follow: counted
 * once, and left alone until they close. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} unfollowed SEC(".maps");

/* LRU, by connection: a keep-alive connection reuses its entry, and one
 * idle longest gives it up to a new one. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SONDE_MAX_EXCHANGES);
	__type(key, __u64);
	__type(value, struct sonde_exchange);
} exchanges SEC(".maps");

/* Connections in conns whose process is alive: at max_conns of them, new
 * ones are not followed (counted). */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} conns_live SEC(".maps");

/* Task storage: no hashing on the hot path, freed with the thread. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sonde_tls_call);
} tls_calls SEC(".maps");

/* One bit per process id: set for a process once it holds a followed
 * connection, cleared at its exit. Every send and receive of every process
 * is checked here first, an array lookup the verifier inlines. User space
 * sizes it, like the other bitmaps, from pid_max. */
SONDE_PID_BITMAP(followed, 0);

/* One bit per process id: set once a process with no followed connection
 * was found not observed, so its next sends and receives leave at this
 * bit; cleared at exec, fork and exit, and by user space (which maps it)
 * when it selects the process. Left empty with cgroup selectors, whose
 * members may move in at any time. */
SONDE_PID_BITMAP(strangers, BPF_F_MMAPABLE);

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sonde_scratch);
} scratch SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sonde_data_scratch);
} data_scratch SEC(".maps");

/* Go's crypto/tls calls in flight, by goroutine: one blocked in a call
 * resumes on any thread, and its thread runs other goroutines meanwhile.
 * A write's entry stays after it (it has no return probe) until the
 * goroutine's next call, or the LRU's need. Room for 8,192 goroutines in
 * a call at once, a connection's reader each (1.2 MB locked). */
struct sonde_go_key {
	__u64 g; /* the goroutine's runtime.g */
	__u32 tgid;
	__u32 pad;
};

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct sonde_go_key);
	__type(value, struct sonde_tls_call);
} go_calls SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SONDE_MAX_CONNS);
	__type(key, struct sonde_ssl_key);
	__type(value, struct sonde_ssl_conn);
} ssl_socks SEC(".maps");

/* Function calls in flight, by thread or goroutine (funcs.bpf.c): a
 * thread's go at its exit, a goroutine's at its process's (user space).
 * Not preallocated: 7.7 MB locked for nothing where no function is
 * configured, and an entry is made once per thread. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sonde_func_key);
	__type(value, struct sonde_func_stack);
} func_stacks SEC(".maps");

/* The Python functions followed, by service and name: every Python call
 * reaches the probe, and this lookup picks the few timed. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct sonde_py_key);
	__type(value, __u32);
} py_funcs SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SONDE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SONDE_RINGBUF_BYTES);
} events SEC(".maps");

/* Processes becoming targets, and targets exiting: rare, so each wakes
 * user space, which attaches the TLS uprobes for that pid at once. */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 10);
} target_events SEC(".maps");

/* Trace context propagation (bpf/inject.bpf.c): the services whose
 * outgoing requests get a traceparent (non-zero), by service id... */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SONDE_SERVICE_IDS);
	__type(key, __u32);
	__type(value, __u32);
} inject_services SEC(".maps");

/* ...their client sockets, put here by sockops as they connect (the
 * sizes of this map and the next are user space's)... */
SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SONDE_MAX_CONNS);
	__type(key, __u64);
	__type(value, __u64);
} inject_socks SEC(".maps");

/* ...and the server request each of their threads began last, with the
 * trace its outgoing requests carry once one did. */
struct sonde_serving {
	__u64 sk; /* the server connection's, its exchanges key */
	__u64 start_ns; /* the exchange's, which it is while this matches */
	__u8 trace_id[16];
	__u32 has_trace;
	__u32 pad;
};

SONDE_MAP struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sonde_serving);
} serving SEC(".maps");

static __always_inline void stat_add(__u32 which, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += n;
}

static __always_inline void stat_inc(__u32 which)
{
	stat_add(which, 1);
}

static __always_inline __u64 wakeup_flag(void)
{
	__u32 which = SONDE_STAT_EVENTS;
	__u64 *n = bpf_map_lookup_elem(&stats, &which);

	/* No wake-up per event: the collector drains on a timer, and is woken
	 * only when the ring is filling up, which each CPU checks at every
	 * 16th event it writes (a few hundred kB at most, of 2 MiB). */
	if (n && (*n & 15))
		return BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Bitmaps by pid (followed, data_procs): one array lookup, inlined. */
static __always_inline int pid_bit_has(void *bits, __u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *w = bpf_map_lookup_elem(bits, &word);

	return w && (*w & (1ull << (tgid % 64)));
}

/* Sets or clears a process's bit; returns whether it was set. */
static __always_inline int pid_bit_set(void *bits, __u32 tgid, int on)
{
	__u32 word = tgid / 64;
	__u64 bit = 1ull << (tgid % 64);
	__u64 *w = bpf_map_lookup_elem(bits, &word);

	if (!w)
		return 0;
	if (on)
		return !!(__sync_fetch_and_or(w, bit) & bit);
	return !!(__sync_fetch_and_and(w, ~bit) & bit);
}

static __always_inline int followed_has(__u32 tgid)
{
	return pid_bit_has(&followed, tgid);
}

static __always_inline void followed_set(__u32 tgid, int on)
{
	pid_bit_set(&followed, tgid, on);
}

static __always_inline struct sonde_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&sonde_config, &zero);
}

static __always_inline void conns_live_add(__s64 n)
{
	__u32 zero = 0;
	__s64 *live = bpf_map_lookup_elem(&conns_live, &zero);

	if (live)
		__sync_fetch_and_add(live, n);
}

#endif
