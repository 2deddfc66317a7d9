/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/1.x exchange framing on one connection: a request starts with the
 * first bytes received (a server) or sent (a client) on a connection at
 * rest, its response with the first bytes moving the other way, and the
 * exchange is emitted, once, when the response's own framing says it is
 * complete, or else when the next request starts or the connection closes. Only the framing is read here; everything that needs
 * memory or judgement is parsed in user space. */
#ifndef SONDE_HTTP_BPF_H
#define SONDE_HTTP_BPF_H

#include "maps.bpf.h"
#include "note.bpf.h"

#define SCRATCH_MASK (2 * SONDE_HEAD_SCAN - 1)

static __always_inline int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* Bytes of a request's start looked at for its method, and the longest
 * method. */
#define METHOD_PEEK 24
#define METHOD_MAX 20

/* A method character, as registered methods spell them: upper-case letters,
 * digits, '-' and '_' (VERSION-CONTROL, M-SEARCH). */
static __always_inline int is_method_char(char c)
{
	return is_upper(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A request line starts with a method of 3 to 20 method characters, the
 * first a letter (every method in IANA's registry, UPDATEREDIRECTREF
 * the longest), a space and the start of a target ('/', '*', or a
 * scheme's letter): enough to keep TLS, SSH, Redis and PostgreSQL out of
 * the ring. A read that ends inside the method is taken for a request:
 * the rest of the line follows in the next read. */
static __always_inline int looks_like_request(const char *h, __u32 n)
{
	int i;

	if (!n || !is_upper(h[0]))
		return 0;
#pragma unroll
	for (i = 1; i <= METHOD_MAX; i++) {
		if (i >= (int)n)
			return 1;
		if (h[i] == ' ') {
			if (i < 3)
				return 0;
			if (i + 1 >= (int)n)
				return 1;
			return h[i + 1] == '/' || h[i + 1] == '*' || is_upper(h[i + 1]) ||
			       (h[i + 1] >= 'a' && h[i + 1] <= 'z');
		}
		if (!is_method_char(h[i]))
			return 0;
	}
	return 0;
}

static const struct sonde_exchange zero_exchange;

/* The exchange in flight on connection c (key its socket), or NULL
 * when a newer connection took its entry: counted, and c waits for its
 * next request. */
static __always_inline struct sonde_exchange *exchange_of(struct sonde_conn *c, __u64 key)
{
	struct sonde_exchange *x = bpf_map_lookup_elem(&exchanges, &key);

	if (x && x->ev.conn_id == c->conn_id)
		return x;
	stat_inc(SONDE_STAT_EXCHANGES_EVICTED);
	c->state = SONDE_CONN_IDLE;
	return 0;
}

/* An exchange entry made c's. */
static __always_inline void exchange_init(const struct sonde_conn *c, struct sonde_exchange *x)
{
	if (x->ev.conn_id != c->conn_id)
		x->comm_tid = 0;
	x->ev.type = SONDE_EVENT_HTTP;
	x->ev.conn_id = c->conn_id;
	x->ev.cgroup_id = c->cgroup_id;
	x->ev.tgid = c->tgid;
	x->ev.fd = c->fd;
	x->ev.service_id = c->service_id;
	x->ev.role = c->role;
	x->ev.peer = c->peer;
}

/* The entry of a new exchange on c, which has none. */
static __always_inline struct sonde_exchange *exchange_new(const struct sonde_conn *c, __u64 key)
{
	struct sonde_exchange *x;

	if (bpf_map_update_elem(&exchanges, &key, &zero_exchange, BPF_ANY))
		return 0;
	x = bpf_map_lookup_elem(&exchanges, &key);
	if (x)
		exchange_init(c, x);
	return x;
}

static __always_inline void exchange_emit(struct sonde_conn *c, struct sonde_exchange *x, __u8 end)
{
	__u32 len = x->ev.req_len;
	__u64 id;

	x->ev.end = end;
	x->ev.flags = c->tls ? SONDE_HTTP_TLS : 0;
	/* The responding thread's name, unless the exchange ends outside its
	 * process (a reset in softirq context): then the requesting one's,
	 * which is also the name when one thread did both. */
	id = bpf_get_current_pid_tgid();
	if (id >> 32 == x->ev.tgid && (__u32)id != x->comm_tid) {
		bpf_get_current_comm(x->ev.comm, sizeof(x->ev.comm));
		x->comm_tid = (__u32)id;
	}

	/* Only the captured request bytes travel; the mask is for the verifier. */
	barrier_var(len);
	len &= 2 * SONDE_REQ_CAP - 1;
	if (len > SONDE_REQ_CAP)
		len = SONDE_REQ_CAP;
	if (bpf_ringbuf_output(&events, &x->ev, SONDE_EVENT_SIZE(len), wakeup_flag()))
		stat_inc(SONDE_STAT_LOST);
	else
		stat_inc(SONDE_STAT_EVENTS);
	c->state = SONDE_CONN_IDLE;
}

/* Appends up to the cap of a request's bytes to its exchange. */
static __always_inline void request_append(struct sonde_exchange *x, __u64 data, __u32 seg_len)
{
	__u32 off = x->ev.req_len, len;

	if (off >= SONDE_REQ_CAP)
		return;
	len = SONDE_REQ_CAP - off;
	if (seg_len < len)
		len = seg_len;
	/* The masks are for the verifier (the barriers keep the compiler from
	 * dropping them): off < CAP and len <= CAP, and the slack after
	 * ev.req absorbs the sum. */
	barrier_var(off);
	barrier_var(len);
	off &= SONDE_REQ_CAP - 1;
	len &= 2 * SONDE_REQ_CAP - 1;
	if (bpf_probe_read_user(&x->ev.req[off], len, (void *)data) == 0)
		x->ev.req_len = off + len;
}

/* What starts afresh with each exchange on c. */
static __always_inline void exchange_begin(struct sonde_conn *c, struct sonde_exchange *x, __u64 start_ns, __u32 tid)
{
	__u32 service = c->service_id;
	__u32 *inject;

	/* A thread of a service that injects serves this request now. */
	if (c->role == SONDE_ROLE_SERVER) {
		inject = bpf_map_lookup_elem(&inject_services, &service);
		if (inject && *inject) {
			struct sonde_serving sv = { .sk = c->sk, .start_ns = start_ns };

			bpf_map_update_elem(&serving, &tid, &sv, BPF_ANY);
		}
	}
	x->ev.start_ns = start_ns;
	x->ev.end_ns = 0;
	x->ev.resp_len = 0;
	x->ev.resp_bytes = 0;
	x->ev.tid = tid;
	/* A thread's name changes seldom (a prctl, an exec): read again only
	 * when another thread than the one last read serves. */
	if (x->comm_tid != tid) {
		bpf_get_current_comm(x->ev.comm, sizeof(x->ev.comm));
		x->comm_tid = tid;
	}
	c->resp_expected = 0;
	c->chunked = 0;
	c->state = SONDE_CONN_REQUEST;
}

/* The exchange of a response that no request of its own started: it
 * answers a request the client pipelined, read with an earlier one, which
 * user space pairs it with. No request bytes, no start time; a HEAD
 * request among them is not known here. */
static __always_inline struct sonde_exchange *exchange_pipelined(struct sonde_conn *c, __u64 key)
{
	struct sonde_exchange *x = bpf_map_lookup_elem(&exchanges, &key);

	if (x)
		exchange_init(c, x);
	else
		x = exchange_new(c, key);
	if (!x)
		return 0;
	x->ev.req_len = 0;
	x->ev.req_bytes = 0;
	c->is_head = 0;
	exchange_begin(c, x, 0, (__u32)bpf_get_current_pid_tgid());
	return x;
}

static __always_inline void exchange_request(struct sonde_conn *c, __u64 key, __u64 data, __u32 seg_len, __u64 total,
					     __u32 tid)
{
	struct sonde_exchange *x;

	if (c->state == SONDE_CONN_RESPONSE) {
		x = exchange_of(c, key);
		if (x)
			exchange_emit(c, x, SONDE_END_NEXT_REQUEST);
	}
	if (c->state != SONDE_CONN_REQUEST) {
		char head[METHOD_PEEK] = {};
		const char *h = head;

		/* A keep-alive connection's entry is idle between exchanges:
		 * the bytes go straight into it and are looked at there. */
		x = bpf_map_lookup_elem(&exchanges, &key);
		if (x) {
			x->ev.req_len = 0;
			request_append(x, data, seg_len);
			if (x->ev.req_len)
				h = x->ev.req;
		} else {
			__u32 peek = seg_len < METHOD_PEEK ? seg_len : METHOD_PEEK;

			barrier_var(peek);
			peek &= 31;
			if (peek > METHOD_PEEK)
				return;
			bpf_probe_read_user(head, peek, (void *)data);
		}
		if (!looks_like_request(h, seg_len)) {
			/* A connection that never spoke HTTP is left alone from
			 * now on; one that did resynchronises on its next read. */
			if (!c->spoke)
				conn_left_alone(c);
			return;
		}
		c->is_head = seg_len >= 5 && h[0] == 'H' && h[1] == 'E' && h[2] == 'A' && h[3] == 'D' && h[4] == ' ';
		if (!x) {
			x = exchange_new(c, key);
			if (!x)
				return;
			x->ev.req_len = 0;
			request_append(x, data, seg_len);
		} else {
			exchange_init(c, x);
		}
		c->spoke = 1;
		x->ev.req_bytes = total;
		exchange_begin(c, x, bpf_ktime_get_ns(), tid);
		return;
	}
	x = exchange_of(c, key);
	if (!x)
		return;
	x->ev.req_bytes += total;
	request_append(x, data, seg_len);
}

/* Up to eight bytes of a literal as one little-endian word, and the bits
 * that fold its letters' upper case onto lower: constants, once inlined. */
static __always_inline __u64 lit_word(const char *lit, int len)
{
	__u64 v = 0;
	int k;

#pragma unroll
	for (k = 0; k < 8; k++)
		if (k < len)
			v |= (__u64)(__u8)lit[k] << (8 * k);
	return v;
}

static __always_inline __u64 lit_fold(const char *lit, int len)
{
	__u64 v = 0;
	int k;

#pragma unroll
	for (k = 0; k < 8; k++)
		if (k < len && lit[k] >= 'a' && lit[k] <= 'z')
			v |= 0x20ull << (8 * k);
	return v;
}

/* The word of eight bytes at buf[at], at any alignment: x86-64 and arm64
 * load one there, and the mask keeps it inside the scratch buffer. */
static __always_inline __u64 scratch_word(const struct sonde_scratch *sc, __u32 at)
{
	return *(const __u64 *)(sc->buf + (at & (SONDE_HEAD_SCAN - 1)));
}

/* Whether the len (1 to 8) bytes at buf[at] are the lower-case literal's,
 * in either case: one word's load, fold and compare. A letter's fold
 * only meets its own other case. */
static __always_inline int chunk_is(const struct sonde_scratch *sc, __u32 at, const char *lit, int len)
{
	__u64 mask = len == 8 ? ~0ull : (1ull << (8 * len)) - 1, v;

	/* The verifier must see the mask: the compiler may not drop it. */
	barrier_var(at);
	v = scratch_word(sc, at);
	return ((v | lit_fold(lit, len)) & mask) == lit_word(lit, len);
}

static __always_inline __u64 parse_length(const char *buf, __u32 at, __u32 n)
{
	__u64 v = 0;
	__u32 k;
	int digits = 0;

#pragma unroll
	for (k = 0; k < 24; k++) {
		char ch;

		if (at + k >= n)
			return 0;
		ch = buf[(at + k) & SCRATCH_MASK];
		if (ch == ' ' && !digits)
			continue;
		if (ch < '0' || ch > '9')
			break;
		v = v * 10 + (ch - '0');
		digits++;
	}
	return digits ? v : 0;
}

/* What the scan of a response head found. Scalars only: it is the
 * argument of a global function. */
struct head_framing {
	__u32 n; /* bytes of the head in the scratch buffer */
	__u32 head_end; /* 0 while the empty line is not found */
	__u64 content_length;
	__u32 has_length;
	__u32 chunked;
};

/* The flag 0x80 in each byte of v that is zero (and in some above one:
 * a borrow), none elsewhere. */
static __always_inline __u64 zero_bytes(__u64 v)
{
	return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
}

/* Past a line end at buf[i]: the end of the head, or a header whose
 * value frames the body. Returns 1 at the end of the head. A global
 * function, so the verifier checks it once, not once per call site; one
 * object defines it, the others link to it. */
#ifdef SONDE_DEFINE_SUBPROGS
__attribute__((noinline)) int sonde_head_line_end(struct sonde_scratch *sc, struct head_framing *f, __u32 i)
{
	if (!sc || !f || i < 2 || i >= SONDE_HEAD_SCAN)
		return 0;
	/* Keep a bound the verifier can see on every index derived from i. */
	barrier_var(i);
	i &= SONDE_HEAD_SCAN - 1;
	if (sc->buf[i] != '\n')
		return 0;
	if (sc->buf[(i - 1) & SCRATCH_MASK] == '\r' && sc->buf[(i - 2) & SCRATCH_MASK] == '\n') {
		f->head_end = i + 1;
		return 1;
	}
	if (i + 1 + 15 <= f->n && chunk_is(sc, i + 1, "content-", 8) && chunk_is(sc, i + 9, "length:", 7)) {
		f->content_length = parse_length(sc->buf, i + 16, f->n);
		f->has_length = 1;
	} else if (i + 1 + 18 <= f->n && chunk_is(sc, i + 1, "transfer", 8) && chunk_is(sc, i + 9, "-encodin", 8) &&
		   chunk_is(sc, i + 17, "g:", 2)) {
		f->chunked = 1;
	}
	return 0;
}
#else
extern int sonde_head_line_end(struct sonde_scratch *sc, struct head_framing *f, __u32 i);
#endif

/* Finds the end of a response head and the headers that frame its body,
 * a word of eight bytes at a time: one without a line feed costs a few
 * instructions, a line that frames nothing a few more. Returns 1 when
 * the head ends within the scan. A global function, verified once. */
#ifdef SONDE_DEFINE_SUBPROGS
__attribute__((noinline)) int sonde_head_scan(struct sonde_scratch *sc, struct head_framing *f)
{
	__u32 w, j;

	if (!sc || !f)
		return 0;
	for (w = 0; w < SONDE_HEAD_SCAN / 8; w++) {
		__u32 base = w * 8;
		__u64 v, m;

		if (base >= f->n)
			return 0;
		v = scratch_word(sc, base);
		/* The line feeds that may end the head (after "\n\r") or end
		 * the line before a header that frames the body ('c'ontent-length,
		 * 't'ransfer-encoding), found in the words one and two bytes
		 * back and one on: other lines cost no call. A flag a borrow
		 * set is a byte the call checks. */
		m = scratch_word(sc, base + 1) | 0x2020202020202020ull;
		m = zero_bytes(m ^ 0x6363636363636363ull) | zero_bytes(m ^ 0x7474747474747474ull) |
		    (zero_bytes(scratch_word(sc, base - 1) ^ 0x0d0d0d0d0d0d0d0dull) &
		     zero_bytes(scratch_word(sc, base - 2) ^ 0x0a0a0a0a0a0a0a0aull));
		m &= zero_bytes(v ^ 0x0a0a0a0a0a0a0a0aull);
#pragma unroll
		for (j = 0; j < 8; j++) {
			__u64 low = m;
			__u32 pos = 0;

			if (!m)
				break;
			if (!(low & 0xffffffffull)) {
				pos = 4;
				low >>= 32;
			}
			if (!(low & 0xffff)) {
				pos += 2;
				low >>= 16;
			}
			if (!(low & 0xff))
				pos += 1;
			if (base + pos >= f->n)
				return 0;
			if (sonde_head_line_end(sc, f, base + pos))
				return 1;
			m &= m - 1;
		}
	}
	return 0;
}
#else
extern int sonde_head_scan(struct sonde_scratch *sc, struct head_framing *f);
#endif

/* Starts the response at its first bytes. Returns 0 for an interim 1xx
 * response, which belongs to the request still in progress. */
static __always_inline int response_start(struct sonde_conn *c, struct sonde_exchange *x, __u64 data, __u32 seg_len)
{
	struct head_framing f = {};
	struct sonde_scratch *s;
	__u32 zero = 0, n;
	int status;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	n = seg_len < SONDE_HEAD_SCAN ? seg_len : SONDE_HEAD_SCAN;
	barrier_var(n);
	n &= SCRATCH_MASK;
	if (bpf_probe_read_user(s->buf, n, (void *)data))
		n = 0;
	status = 0;
	if (n >= 12 && s->buf[0] == 'H' && s->buf[4] == '/' && s->buf[8] == ' ')
		status = (s->buf[9] - '0') * 100 + (s->buf[10] - '0') * 10 + (s->buf[11] - '0');
	if (status >= 100 && status < 200 && status != 101)
		return 0;
	/* A fixed-size copy, inlined: bytes past resp_len are not read. */
	__builtin_memcpy(x->ev.resp, s->buf, SONDE_RESP_CAP);
	x->ev.resp_len = n < SONDE_RESP_CAP ? n : SONDE_RESP_CAP;
	c->state = SONDE_CONN_RESPONSE;
	if (!status)
		return 1;
	/* A head longer than the scan leaves the framing unknown; the
	 * exchange then ends at the next request or at close. */
	f.n = n;
	if (!sonde_head_scan(s, &f))
		return 1;
	if (c->is_head || status == 204 || status == 304)
		c->resp_expected = f.head_end;
	else if (f.has_length)
		c->resp_expected = f.head_end + f.content_length;
	else if (f.chunked)
		c->chunked = 1;
	return 1;
}
#endif
