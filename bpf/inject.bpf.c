// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Trace context carried across services without code: for a service that
 * asks for it, sk_msg on its client sockets (inject_socks, filled by
 * sockops) writes "traceparent: 00-TRACE-SPAN-01" after the request line
 * of an outgoing HTTP/1.x request that carries none, while the sending
 * thread serves a request: TRACE is that request's trace (its own
 * traceparent's, or one made here for it and kept for its other calls),
 * SPAN a new id, which the CLIENT span sonde exports gets, so the
 * callee's SERVER span is its child. Only when the request line and the
 * headers are whole in the first PROP_SCAN bytes of the message; TLS
 * bytes are encrypted before this sees them, so never through TLS. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"

#define SK_PASS 1
#define PROP_SCAN 512
#define TP_LINE 70 /* "traceparent: 00-" 32 hex "-" 16 hex "-01\r\n" */

struct inject_scratch {
	char head[PROP_SCAN + 8]; /* a word read anywhere stays inside */
	char line[TP_LINE + 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct inject_scratch);
} inject_scratch SEC(".maps");

/* What a look through some bytes for the header finds, a line a step. */
struct inject_scan {
	const char *bytes;
	__u32 len;
	__u32 at; /* the line looked at next */
	__u32 found; /* where "traceparent:" starts, or 0 */
	__u32 end; /* past the blank line that ends the headers, or 0 */
};

/* n (up to 8) bytes at i as a little-endian word; no string constants,
 * which the linked objects' .rodata would have to share. */
static __always_inline __u64 word_at(const char *b, __u32 i, int n)
{
	__u64 v = 0;
	int k;

#pragma unroll
	for (k = 0; k < 8; k++) {
		__u32 j = i + k;

		/* The mask stays for the verifier, whatever the compiler knows. */
		barrier_var(j);
		if (k < n)
			v |= (__u64)(__u8)b[j & (PROP_SCAN - 1)] << (8 * k);
	}
	return v;
}

#define WORD_TRACEPAR 0x7261706563617274ull /* "tracepar" */
#define WORD_ENT 0x3a746e65ull /* "ent:" */
#define WORD_HTTP1 0x2e312f5054544820ull /* " HTTP/1." */
#define FOLD 0x2020202020202020ull /* upper case onto lower; ':' has it */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* "traceparent:" at i, in any case; i + 12 <= len. */
static __always_inline int name_at(const char *b, __u32 i)
{
	return (word_at(b, i, 8) | FOLD) == WORD_TRACEPAR && (word_at(b, i + 8, 4) | (FOLD >> 32)) == WORD_ENT;
}

/* Past the first line feed at or after at in the len bytes of b, or 0:
 * eight bytes a step, a word whose bytes hold none skipped whole. b has
 * room for a word read at any offset below PROP_SCAN. */
static __always_inline __u32 line_after(const char *b, __u32 len, __u32 at)
{
	__u64 w, x, m;
	__u32 j, k;

	for (k = 0; k <= PROP_SCAN / 8; k++) {
		if (at >= len)
			return 0;
		j = at;
		barrier_var(j);
		j &= PROP_SCAN - 1;
		__builtin_memcpy(&w, b + j, 8);
		x = w ^ (ONES * '\n');
		/* The lowest byte flagged is the first that was a line feed. */
		m = (x - ONES) & ~x & HIGHS;
		if (m) {
			/* Its index, without branches: the lowest flag, 0x80 << 8k,
			 * brings byte 7 - k of the multiplier, k, to the top. */
			at += (__u32)((((m & -m) >> 7) * 0x0001020304050607ull) >> 56);
			return at < len ? at + 1 : 0;
		}
		at += 8;
	}
	return 0;
}

/* One line of headers: the blank one ends them; a traceparent stops. */
static long scan_step(__u32 i, void *arg)
{
	struct inject_scan *s = arg;
	const char *b = s->bytes;
	__u32 at = s->at;

	if (at + 2 > s->len || at >= PROP_SCAN)
		return 1;
	if (b[at & (PROP_SCAN - 1)] == '\r' && b[(at + 1) & (PROP_SCAN - 1)] == '\n') {
		s->end = at + 2;
		return 1;
	}
	if (at && at + 12 <= s->len && name_at(b, at)) {
		s->found = at;
		return 1;
	}
	s->at = line_after(b, s->len, at);
	return !s->at;
}

/* Where the request line of an HTTP/1.x request ends (past its CRLF) in
 * the n bytes of b; 0 if they are no request, -1 if its line is not whole. */
static __always_inline long request_line_end(const char *b, __u32 n)
{
	__u32 m, e;

	/* A method: 3 to 7 upper-case letters, then a space. */
	for (m = 0; m < 8; m++)
		if (b[m] < 'A' || b[m] > 'Z')
			break;
	if (m < 3 || m > 7 || b[m] != ' ')
		return 0;
	e = line_after(b, n, m);
	if (!e)
		return -1;
	if (e < 14 || b[(e - 2) & (PROP_SCAN - 1)] != '\r' || word_at(b, e - 11, 8) != WORD_HTTP1)
		return 0;
	return e;
}

static __always_inline int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The trace id of a captured request's traceparent, into out. */
static __always_inline int trace_of(struct sonde_exchange *x, __u8 out[16])
{
	/* ev.req is followed by the exchange's slack: room for a word read. */
	struct inject_scan s = { .bytes = x->ev.req, .len = x->ev.req_len };
	const char *b = x->ev.req;
	__u8 any = 0;
	__u32 at;
	int k, hi, lo;

	if (s.len > PROP_SCAN)
		s.len = PROP_SCAN;
	bpf_loop(PROP_SCAN, scan_step, &s, 0);
	if (!s.found)
		return -1;
	at = s.found + 12;
	if (b[at & (PROP_SCAN - 1)] == ' ')
		at++;
	if (at + 35 > s.len || b[at & (PROP_SCAN - 1)] != '0' || b[(at + 1) & (PROP_SCAN - 1)] != '0' ||
	    b[(at + 2) & (PROP_SCAN - 1)] != '-')
		return -1;
	at += 3;
	for (k = 0; k < 16; k++) {
		hi = unhex(b[(at + 2 * k) & (PROP_SCAN - 1)]);
		lo = unhex(b[(at + 2 * k + 1) & (PROP_SCAN - 1)]);
		if (hi < 0 || lo < 0)
			return -1;
		out[k] = (__u8)(hi << 4 | lo);
		any |= out[k];
	}
	return any ? 0 : -1;
}

static __always_inline void random_id(__u8 *out, int words)
{
	__u32 r;
	int k;

	for (k = 0; k < words; k++) {
		r = bpf_get_prandom_u32() | (k == 0); /* never all zero */
		__builtin_memcpy(out + 4 * k, &r, 4);
	}
}

static __always_inline char hex_digit(__u8 d)
{
	return d < 10 ? '0' + d : 'a' + d - 10;
}

static __always_inline void hex_into(char *out, const __u8 *in, int n)
{
	int k;

	for (k = 0; k < n; k++) {
		out[2 * k] = hex_digit(in[k] >> 4);
		out[2 * k + 1] = hex_digit(in[k] & 15);
	}
}

/* The server request the current thread serves, if it is in flight. */
static __always_inline struct sonde_serving *serving_now(__u32 tid)
{
	struct sonde_serving *sv = bpf_map_lookup_elem(&serving, &tid);
	struct sonde_exchange *x;

	if (!sv)
		return 0;
	x = bpf_map_lookup_elem(&exchanges, &sv->sk);
	if (!x || x->ev.tid != tid || x->ev.start_ns != sv->start_ns || x->ev.end_ns)
		return 0;
	if (!sv->has_trace) {
		if (trace_of(x, sv->trace_id))
			random_id(sv->trace_id, 4);
		sv->has_trace = 1;
	}
	return sv;
}

static __always_inline void inject_event(struct sk_msg_md *msg, const struct sonde_serving *sv, const __u8 span[8])
{
	struct sonde_propagation_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid(), key = (__u64)msg->sk;
	struct sonde_conn *c = bpf_map_lookup_elem(&conns, &key);

	if (!e) {
		stat_inc(SONDE_STAT_LOST);
		return;
	}
	e->type = SONDE_EVENT_PROPAGATION;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->service_id = c ? c->service_id : 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->conn_id = c ? c->conn_id : 0;
	__builtin_memcpy(e->trace_id, sv->trace_id, 16);
	__builtin_memcpy(e->span_id, span, 8);
	bpf_ringbuf_submit(e, wakeup_flag());
	stat_inc(SONDE_STAT_EVENTS);
}

SEC("sk_msg")
int sonde_inject(struct sk_msg_md *msg)
{
	struct inject_scratch *sc;
	struct sonde_serving *sv;
	struct inject_scan s = {};
	__u32 zero = 0, n = msg->size, line;
	__u64 avail;
	long ret;
	__u8 span[8];
	void *data;

	if (n < 16 || !msg->sk)
		return SK_PASS;
	sc = bpf_map_lookup_elem(&inject_scratch, &zero);
	if (!sc)
		return SK_PASS;
	if (n > PROP_SCAN)
		n = PROP_SCAN;
	if (bpf_msg_pull_data(msg, 0, n, 0))
		return SK_PASS;
	data = msg->data;
	if (data + 16 > msg->data_end)
		return SK_PASS;
	avail = msg->data_end - data;
	if (avail < n)
		n = avail;
	/* 64 bits, so the bound checked is the register passed. */
	barrier_var(avail);
	avail = n;
	if (avail > PROP_SCAN || avail < 16 || bpf_probe_read_kernel(sc->head, avail, data))
		return SK_PASS;
	ret = request_line_end(sc->head, n);
	if (ret <= 0) {
		if (ret < 0)
			stat_inc(SONDE_STAT_PROP_PARTIAL);
		return SK_PASS;
	}
	line = ret;
	s.bytes = sc->head;
	s.len = n;
	s.at = line;
	bpf_loop(PROP_SCAN, scan_step, &s, 0);
	if (s.found) {
		stat_inc(SONDE_STAT_PROP_PRESENT);
		return SK_PASS;
	}
	if (!s.end) {
		stat_inc(SONDE_STAT_PROP_PARTIAL);
		return SK_PASS;
	}
	sv = serving_now((__u32)bpf_get_current_pid_tgid());
	if (!sv) {
		stat_inc(SONDE_STAT_PROP_UNSERVED);
		return SK_PASS;
	}
	random_id(span, 2);
	__builtin_memcpy(sc->line, "traceparent: 00-", 16);
	hex_into(sc->line + 16, sv->trace_id, 16);
	sc->line[48] = '-';
	hex_into(sc->line + 49, span, 8);
	__builtin_memcpy(sc->line + 65, "-01\r\n", 5);
	if (bpf_msg_push_data(msg, line, TP_LINE, 0)) {
		stat_inc(SONDE_STAT_PROP_FAILED);
		return SK_PASS;
	}
	/* The pushed bytes are unset until written: taken out again if they
	 * cannot be reached. */
	data = bpf_msg_pull_data(msg, line, line + TP_LINE, 0) ? 0 : msg->data;
	if (!data || data + TP_LINE > msg->data_end) {
		bpf_msg_pop_data(msg, line, TP_LINE, 0);
		stat_inc(SONDE_STAT_PROP_FAILED);
		return SK_PASS;
	}
	__builtin_memcpy(data, sc->line, TP_LINE);
	inject_event(msg, sv, span);
	stat_inc(SONDE_STAT_PROP_INJECTED);
	return SK_PASS;
}
