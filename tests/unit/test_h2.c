// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/h2.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

enum { DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6, CONTINUATION = 9 };
enum { END_STREAM = 1, END_HEADERS = 4, PADDED = 8, PRIORITY = 0x20 };

struct buf {
	size_t n;
	uint8_t d[16384];
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->d));
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void frame(struct buf *b, uint8_t type, uint8_t flags, uint32_t sid, const void *payload, size_t n)
{
	uint8_t h[9] = { n >> 16, n >> 8, n, type, flags, sid >> 24, sid >> 16, sid >> 8, sid };

	put(b, h, 9);
	put(b, payload, n);
}

/* A small HPACK encoder: integers, and literals without Huffman. */
static void hp_int(struct buf *b, uint8_t bits, unsigned int prefix, uint32_t v)
{
	uint32_t max = (1u << prefix) - 1;
	uint8_t c;

	if (v < max) {
		c = bits | v;
		put(b, &c, 1);
		return;
	}
	c = bits | max;
	put(b, &c, 1);
	for (v -= max; v >= 128; v >>= 7) {
		c = 0x80 | (v & 0x7f);
		put(b, &c, 1);
	}
	c = v;
	put(b, &c, 1);
}

static void hp_str(struct buf *b, const char *s)
{
	hp_int(b, 0, 7, strlen(s));
	put(b, s, strlen(s));
}

/* Literal with a new name: without indexing (0x00) or added (0x40). */
static void hp_lit(struct buf *b, uint8_t kind, const char *name, const char *value)
{
	hp_int(b, kind, kind ? 6 : 4, 0);
	hp_str(b, name);
	hp_str(b, value);
}

static void hp_index(struct buf *b, uint32_t idx)
{
	hp_int(b, 0x80, 7, idx);
}

#define MAX_CALLS 200

struct calls {
	int n;
	struct {
		char protocol[16], method[64], target[128], authority[64], traceparent[64];
		int status;
		bool error, server_fault;
		uint64_t start_ns, end_ns;
	} c[MAX_CALLS];
};

static void collect(void *arg, const struct wire_call *call)
{
	struct calls *cs = arg;

	assert_true(cs->n < MAX_CALLS);
	snprintf(cs->c[cs->n].protocol, 16, "%s", call->protocol);
	snprintf(cs->c[cs->n].method, 64, "%s", call->method);
	snprintf(cs->c[cs->n].target, 128, "%s", call->target);
	snprintf(cs->c[cs->n].authority, 64, "%s", call->authority);
	snprintf(cs->c[cs->n].traceparent, 64, "%s", call->traceparent);
	cs->c[cs->n].status = call->status;
	cs->c[cs->n].error = call->error;
	cs->c[cs->n].server_fault = call->server_fault;
	cs->c[cs->n].start_ns = call->start_ns;
	cs->c[cs->n].end_ns = call->end_ns;
	cs->n++;
}

/* A connection as a script: pieces of either direction with their times. */
#define MAX_STEPS 8

struct script {
	int n;
	struct {
		enum wire_dir dir;
		uint64_t ts;
		struct buf b;
	} step[MAX_STEPS];
};

static struct buf *step(struct script *s, enum wire_dir dir, uint64_t ts)
{
	assert_true(s->n < MAX_STEPS);
	s->step[s->n].dir = dir;
	s->step[s->n].ts = ts;
	s->step[s->n].b.n = 0;
	return &s->step[s->n++].b;
}

/* Feeds the script whole, or one byte at a time; returns the first error. */
static int run(const struct script *s, bool bytewise, struct calls *cs)
{
	void *conn = h2_parser.create();
	int ret = 0;

	assert_non_null(conn);
	memset(cs, 0, sizeof(*cs));
	for (int i = 0; i < s->n && !ret; i++) {
		const struct buf *b = &s->step[i].b;

		if (!bytewise) {
			ret = h2_parser.feed(conn, s->step[i].dir, b->d, b->n, s->step[i].ts, collect, cs);
			continue;
		}
		for (size_t j = 0; j < b->n && !ret; j++)
			ret = h2_parser.feed(conn, s->step[i].dir, b->d + j, 1, s->step[i].ts, collect, cs);
	}
	h2_parser.destroy(conn);
	return ret;
}

static struct script *script_new(void)
{
	struct script *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void grpc_request(struct buf *b, uint32_t sid, const char *path)
{
	struct buf blk = { 0 };

	hp_index(&blk, 3); /* :method POST */
	hp_index(&blk, 6); /* :scheme http */
	hp_int(&blk, 0x00, 4, 4);
	hp_str(&blk, path);
	hp_int(&blk, 0x00, 4, 1);
	hp_str(&blk, "x");
	hp_int(&blk, 0x40, 6, 31); /* content-type, added to the table */
	hp_str(&blk, "application/grpc");
	hp_lit(&blk, 0x00, "te", "trailers");
	hp_lit(&blk, 0x10, "traceparent", TP);
	frame(b, HEADERS, END_HEADERS, sid, blk.d, blk.n);
	frame(b, DATA, END_STREAM, sid, "\0\0\0\0\2ab", 7);
}

static void status_block(struct buf *blk, const char *status, const char *grpc_status)
{
	if (status)
		hp_lit(blk, 0x00, ":status", status);
	if (grpc_status)
		hp_lit(blk, 0x00, "grpc-status", grpc_status);
}

/* preface, SETTINGS, request; SETTINGS, headers, DATA, trailers. */
static struct script *grpc_exchange(const char *grpc_status)
{
	struct script *s = script_new();
	struct buf *b = step(s, WIRE_REQUEST, 100), blk = { 0 };

	put(b, PREFACE, 24);
	frame(b, SETTINGS, 0, 0, "\0\3\0\0\0\x64", 6);
	grpc_request(b, 1, "/helloworld.Greeter/SayHello");
	b = step(s, WIRE_RESPONSE, 200);
	frame(b, SETTINGS, 0, 0, "", 0);
	frame(b, SETTINGS, 1, 0, "", 0);
	hp_index(&blk, 8); /* :status 200 */
	hp_lit(&blk, 0x40, "content-type", "application/grpc");
	frame(b, HEADERS, END_HEADERS, 1, blk.d, blk.n);
	b = step(s, WIRE_RESPONSE, 300);
	frame(b, DATA, 0, 1, "\0\0\0\0\2cd", 7);
	frame(b, PING, 0, 0, "12345678", 8);
	b = step(s, WIRE_RESPONSE, 400);
	blk.n = 0;
	status_block(&blk, NULL, grpc_status);
	frame(b, HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	return s;
}

static void test_grpc(void **state)
{
	struct script *s = grpc_exchange("0");
	struct calls *cs = malloc(sizeof(*cs));

	(void)state;
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		assert_int_equal(run(s, bytewise, cs), 0);
		assert_int_equal(cs->n, 1);
		assert_string_equal(cs->c[0].protocol, "grpc");
		assert_string_equal(cs->c[0].method, "/helloworld.Greeter/SayHello");
		assert_string_equal(cs->c[0].target, "/helloworld.Greeter/SayHello");
		assert_string_equal(cs->c[0].authority, "x");
		assert_string_equal(cs->c[0].traceparent, TP);
		assert_int_equal(cs->c[0].status, 0);
		assert_false(cs->c[0].error);
		assert_false(cs->c[0].server_fault);
		assert_int_equal(cs->c[0].start_ns, 100);
		assert_int_equal(cs->c[0].end_ns, 400);
	}
	free(s);
	free(cs);
}

static struct script *trailers_only(const char *path, const char *grpc_status)
{
	struct script *s = script_new();
	struct buf *b = step(s, WIRE_REQUEST, 10), blk = { 0 };

	put(b, PREFACE, 24);
	grpc_request(b, 1, path);
	b = step(s, WIRE_RESPONSE, 20);
	hp_index(&blk, 8);
	hp_lit(&blk, 0x00, "content-type", "application/grpc");
	status_block(&blk, NULL, grpc_status);
	frame(b, HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	return s;
}

static void test_grpc_errors(void **state)
{
	static const struct {
		const char *path, *status;
		int want;
		bool fault;
		const char *method;
	} cases[] = {
		{ "/pkg.Svc/M", "13", 13, true, "/pkg.Svc/M" },
		{ "/pkg.Svc/M", "5", 5, false, "/pkg.Svc/M" },
		{ "/pkg.Svc/M", "14", 14, true, "/pkg.Svc/M" },
		{ "/pkg.Svc/M", "0", 0, false, "/pkg.Svc/M" },
		{ "/pkg.Svc/M", "x", -1, true, "/pkg.Svc/M" },
		/* No such RPC, or no RPC path: no label of their own. */
		{ "/pkg.Svc/Made_up_42", "12", 12, true, "_OTHER" },
		{ "/pkg.Svc/M?x=1", "0", 0, false, "_OTHER" },
		{ "/pkg.Svc/M/extra", "0", 0, false, "_OTHER" },
		{ "//M", "0", 0, false, "_OTHER" },
		{ "/pkg.Svc/", "0", 0, false, "_OTHER" },
	};
	struct calls *cs = malloc(sizeof(*cs));

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct script *s = trailers_only(cases[i].path, cases[i].status);

		assert_int_equal(run(s, false, cs), 0);
		assert_int_equal(cs->n, 1);
		assert_string_equal(cs->c[0].method, cases[i].method);
		assert_string_equal(cs->c[0].target, cases[i].method);
		assert_int_equal(cs->c[0].status, cases[i].want);
		assert_int_equal(cs->c[0].error, cases[i].want != 0);
		assert_int_equal(cs->c[0].server_fault, cases[i].fault);
		assert_int_equal(cs->c[0].end_ns, 20);
		free(s);
	}
	free(cs);
}

static struct script *http_get(const char *status, bool continuation)
{
	struct script *s = script_new();
	struct buf *b = step(s, WIRE_REQUEST, 1), blk = { 0 };

	put(b, PREFACE, 24);
	hp_index(&blk, 2); /* :method GET */
	hp_index(&blk, 7); /* :scheme https */
	hp_lit(&blk, 0x00, ":path", "/api/users/42?x=1");
	hp_lit(&blk, 0x40, ":authority", "example.com");
	if (continuation) {
		/* Cut the block in three: HEADERS (padded, with priority), then
		 * two CONTINUATIONs. */
		uint8_t p[512] = { 3, 0, 0, 0, 0, 16 };

		memcpy(p + 6, blk.d, 5);
		frame(b, HEADERS, PADDED | PRIORITY | END_STREAM, 1, p, 6 + 5 + 3);
		frame(b, CONTINUATION, 0, 1, blk.d + 5, 7);
		frame(b, CONTINUATION, END_HEADERS, 1, blk.d + 12, blk.n - 12);
	} else {
		frame(b, HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	}
	b = step(s, WIRE_RESPONSE, 2);
	blk.n = 0;
	hp_lit(&blk, 0x40, ":status", status);
	hp_lit(&blk, 0x00, "content-type", "application/json");
	frame(b, HEADERS, END_HEADERS, 1, blk.d, blk.n);
	b = step(s, WIRE_RESPONSE, 3);
	frame(b, DATA, PADDED, 1, "\2{}\0\0", 5);
	frame(b, DATA, END_STREAM, 1, "", 0);
	return s;
}

static void test_http(void **state)
{
	struct calls *cs = malloc(sizeof(*cs));

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct script *s = http_get(i & 1 ? "503" : "200", i & 2);

		assert_int_equal(run(s, i & 2, cs), 0);
		assert_int_equal(cs->n, 1);
		assert_string_equal(cs->c[0].protocol, "http");
		assert_string_equal(cs->c[0].method, "GET");
		assert_string_equal(cs->c[0].target, "/api/users/42?x=1");
		assert_string_equal(cs->c[0].authority, "example.com");
		assert_string_equal(cs->c[0].traceparent, "");
		assert_int_equal(cs->c[0].status, i & 1 ? 503 : 200);
		assert_int_equal(cs->c[0].error, i & 1);
		assert_int_equal(cs->c[0].server_fault, i & 1);
		assert_int_equal(cs->c[0].start_ns, 1);
		assert_int_equal(cs->c[0].end_ns, 3);
		free(s);
	}
	free(cs);
}

/* A call starts when its HEADERS start, ends when the response's last
 * bytes come. */
static void test_times(void **state)
{
	struct script *s = http_get("200", true);
	struct calls *cs = malloc(sizeof(*cs));
	const struct buf *req = &s->step[0].b;
	void *conn = h2_parser.create();

	(void)state;
	assert_non_null(conn);
	memset(cs, 0, sizeof(*cs));
	assert_int_equal(h2_parser.feed(conn, WIRE_REQUEST, req->d, 30, 5, collect, cs), 0);
	assert_int_equal(h2_parser.feed(conn, WIRE_REQUEST, req->d + 30, req->n - 30, 6, collect, cs), 0);
	for (int i = 1; i < s->n; i++)
		assert_int_equal(
			h2_parser.feed(conn, s->step[i].dir, s->step[i].b.d, s->step[i].b.n, 7 + i, collect, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].start_ns, 5);
	assert_int_equal(cs->c[0].end_ns, 9);
	h2_parser.destroy(conn);
	free(s);
	free(cs);
}

/* Two streams open at once, answered in the other order; the second request
 * and response use entries the first ones added to the tables. */
static void test_interleaved(void **state)
{
	struct script *s = script_new();
	struct calls *cs = malloc(sizeof(*cs));
	struct buf *b = step(s, WIRE_REQUEST, 1), blk = { 0 };

	(void)state;
	put(b, PREFACE, 24);
	grpc_request(b, 1, "/a.S/One");
	blk.n = 0;
	hp_index(&blk, 3);
	hp_lit(&blk, 0x00, ":path", "/a.S/Two");
	hp_lit(&blk, 0x00, ":authority", "y");
	hp_index(&blk, 62); /* content-type: application/grpc */
	frame(b, HEADERS, END_HEADERS, 3, blk.d, blk.n);
	b = step(s, WIRE_RESPONSE, 2);
	blk.n = 0;
	hp_index(&blk, 8);
	hp_lit(&blk, 0x40, "grpc-status", "7");
	frame(b, HEADERS, END_HEADERS, 3, blk.d, blk.n);
	blk.n = 0;
	hp_index(&blk, 8);
	frame(b, HEADERS, END_HEADERS, 1, blk.d, blk.n);
	b = step(s, WIRE_REQUEST, 3);
	frame(b, DATA, END_STREAM, 3, "", 0);
	b = step(s, WIRE_RESPONSE, 4);
	frame(b, DATA, END_STREAM, 3, "", 0);
	blk.n = 0;
	hp_index(&blk, 62); /* grpc-status: 7 */
	frame(b, HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		assert_int_equal(run(s, bytewise, cs), 0);
		assert_int_equal(cs->n, 2);
		assert_string_equal(cs->c[0].method, "/a.S/Two");
		assert_string_equal(cs->c[0].authority, "y");
		assert_string_equal(cs->c[0].traceparent, "");
		assert_int_equal(cs->c[0].status, 7);
		assert_string_equal(cs->c[1].method, "/a.S/One");
		assert_int_equal(cs->c[1].status, 7);
		assert_true(cs->c[1].error);
		assert_false(cs->c[1].server_fault);
	}
	free(s);
	free(cs);
}

static void test_rst_stream(void **state)
{
	struct calls *cs = malloc(sizeof(*cs));
	struct buf blk = { 0 };

	(void)state;
	hp_index(&blk, 8); /* :status 200 */
	/* Reset by the client, then by the server, before any answer: no
	 * method the server vouched for, and a fault only when the server
	 * reset it. Then reset by the client after the server answered. */
	for (int run_no = 0; run_no < 3; run_no++) {
		struct script *s = script_new();
		struct buf *b = step(s, WIRE_REQUEST, 5);

		put(b, PREFACE, 24);
		grpc_request(b, 1, "/a.S/Cancelled");
		if (run_no == 2)
			frame(step(s, WIRE_RESPONSE, 7), HEADERS, END_HEADERS, 1, blk.d, blk.n);
		b = step(s, run_no == 1 ? WIRE_RESPONSE : WIRE_REQUEST, 9);
		frame(b, RST_STREAM, 0, 1, "\0\0\0\x08", 4);
		assert_int_equal(run(s, false, cs), 0);
		assert_int_equal(cs->n, 1);
		assert_string_equal(cs->c[0].method, run_no == 2 ? "/a.S/Cancelled" : "_OTHER");
		assert_int_equal(cs->c[0].status, -1);
		assert_true(cs->c[0].error);
		assert_int_equal(cs->c[0].server_fault, run_no == 1);
		assert_int_equal(cs->c[0].end_ns, 9);
		free(s);
	}
	free(cs);
}

/* A peer's numbers become labels: a :status outside 100-599 is none, a
 * grpc-status gRPC does not define is UNKNOWN. */
static void test_status_range(void **state)
{
	struct script *s = grpc_exchange("4242");
	struct script *h = script_new();
	struct calls *cs = malloc(sizeof(*cs));
	struct buf *b = step(h, WIRE_REQUEST, 1), blk = { 0 };

	(void)state;
	assert_int_equal(run(s, false, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].status, 2);
	assert_true(cs->c[0].server_fault);
	put(b, PREFACE, 24);
	hp_index(&blk, 2); /* :method GET */
	hp_index(&blk, 6); /* :scheme http */
	hp_index(&blk, 4); /* :path / */
	frame(b, HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	blk.n = 0;
	hp_lit(&blk, 0x00, ":status", "777777");
	frame(step(h, WIRE_RESPONSE, 2), HEADERS, END_HEADERS | END_STREAM, 1, blk.d, blk.n);
	assert_int_equal(run(h, false, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].status, 0);
	assert_false(cs->c[0].server_fault);
	free(s);
	free(h);
	free(cs);
}

static void test_gap(void **state)
{
	struct script *s = grpc_exchange("0");
	struct calls *cs = malloc(sizeof(*cs));
	const struct buf *data = &s->step[2].b; /* DATA (9 + 7), PING */
	void *conn;

	(void)state;
	conn = h2_parser.create();
	assert_non_null(conn);
	memset(cs, 0, sizeof(*cs));
	for (int i = 0; i < 2; i++)
		assert_int_equal(h2_parser.feed(conn, s->step[i].dir, s->step[i].b.d, s->step[i].b.n, 1, collect, cs),
				 0);
	/* The DATA payload is lost but for its last byte, then the rest. */
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, data->d, 10, 1, collect, cs), 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 5, 1, collect, cs), 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 2, 1, collect, cs), -EBADMSG);
	h2_parser.destroy(conn);

	conn = h2_parser.create();
	for (int i = 0; i < 2; i++)
		assert_int_equal(h2_parser.feed(conn, s->step[i].dir, s->step[i].b.d, s->step[i].b.n, 1, collect, cs),
				 0);
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, data->d, 10, 1, collect, cs), 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 6, 1, collect, cs), 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 0, 1, collect, cs), 0);
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, data->d + 16, data->n - 16, 1, collect, cs), 0);
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, s->step[3].b.d, s->step[3].b.n, 1, collect, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].status, 0);
	/* A gap at a frame header. */
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 1, 1, collect, cs), -EBADMSG);
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, data->d, data->n, 1, collect, cs), -EBADMSG);
	h2_parser.destroy(conn);

	/* A gap inside a header block. */
	conn = h2_parser.create();
	assert_int_equal(h2_parser.feed(conn, WIRE_REQUEST, s->step[0].b.d, 24 + 15 + 12, 1, collect, cs), 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_REQUEST, 1, 1, collect, cs), -EBADMSG);
	h2_parser.destroy(conn);
	/* In the preface, too. */
	conn = h2_parser.create();
	assert_int_equal(h2_parser.gap(conn, WIRE_REQUEST, 1, 1, collect, cs), -EBADMSG);
	h2_parser.destroy(conn);
	free(s);

	/* The response's last DATA frame, END_STREAM, lost to its end: the
	 * call ends with the gap. */
	struct buf last = { 0 };

	s = http_get("200", false);
	cs->n = 0;
	conn = h2_parser.create();
	for (int i = 0; i < 2; i++)
		assert_int_equal(h2_parser.feed(conn, s->step[i].dir, s->step[i].b.d, s->step[i].b.n, 1, collect, cs),
				 0);
	frame(&last, DATA, END_STREAM, 1, "hello world", 11);
	assert_int_equal(h2_parser.feed(conn, WIRE_RESPONSE, last.d, 9 + 3, 5, collect, cs), 0);
	assert_int_equal(cs->n, 0);
	assert_int_equal(h2_parser.gap(conn, WIRE_RESPONSE, 8, 9, collect, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].status, 200);
	assert_int_equal(cs->c[0].end_ns, 9);
	h2_parser.destroy(conn);
	free(s);
	free(cs);
}

static int feed_all(const struct buf *req, const struct buf *resp)
{
	void *conn = h2_parser.create();
	struct calls *cs = malloc(sizeof(*cs));
	int ret;

	assert_non_null(conn);
	memset(cs, 0, sizeof(*cs));
	ret = h2_parser.feed(conn, WIRE_REQUEST, req->d, req->n, 1, collect, cs);
	if (!ret && resp)
		ret = h2_parser.feed(conn, WIRE_RESPONSE, resp->d, resp->n, 2, collect, cs);
	h2_parser.destroy(conn);
	free(cs);
	return ret;
}

static void test_bad_input(void **state)
{
	struct buf *req = calloc(1, sizeof(*req)), *resp = calloc(1, sizeof(*resp)), blk = { 0 };
	uint8_t *big = calloc(1, H2_BLOCK_MAX);

	(void)state;
	put(req, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	req->n = 0;
	put(req, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r", 24);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	/* A frame between HEADERS and its CONTINUATION. */
	req->n = 0;
	put(req, PREFACE, 24);
	hp_index(&blk, 2);
	frame(req, HEADERS, 0, 1, blk.d, blk.n);
	frame(req, PING, 0, 0, "12345678", 8);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	/* CONTINUATION out of the blue; HEADERS on stream 0; bad lengths. */
	req->n = 24;
	frame(req, CONTINUATION, END_HEADERS, 1, blk.d, blk.n);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	req->n = 24;
	frame(req, HEADERS, END_HEADERS, 0, blk.d, blk.n);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	req->n = 24;
	frame(req, RST_STREAM, 0, 1, "\0\0\0", 3);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	req->n = 24;
	frame(req, SETTINGS, 0, 0, "\0\0\0", 3);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	/* Padding longer than the payload; a bad HPACK block. */
	req->n = 24;
	frame(req, HEADERS, END_HEADERS | PADDED, 1, "\x09\x82", 2);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	req->n = 24;
	frame(req, HEADERS, END_HEADERS, 1, "\x80", 1);
	assert_int_equal(feed_all(req, NULL), -EBADMSG);
	/* Responses have no preface, and DATA needs a stream. */
	req->n = 24;
	resp->n = 0;
	frame(resp, SETTINGS, 0, 0, "", 0);
	assert_int_equal(feed_all(req, resp), 0);
	frame(resp, DATA, 0, 0, "", 0);
	assert_int_equal(feed_all(req, resp), -EBADMSG);
	/* A header block over the bound, in two frames. */
	req->n = 24;
	memset(big, 0x82, H2_BLOCK_MAX);
	frame(req, HEADERS, 0, 1, big, 8192);
	assert_int_equal(feed_all(req, NULL), 0);
	{
		uint8_t h[9] = { (H2_BLOCK_MAX - 8191) >> 16,
				 (H2_BLOCK_MAX - 8191) >> 8,
				 (H2_BLOCK_MAX - 8191) & 0xff,
				 CONTINUATION,
				 END_HEADERS,
				 0,
				 0,
				 0,
				 1 };

		put(req, h, 9);
	}
	assert_int_equal(feed_all(req, NULL), -E2BIG);
	/* Unknown frame types are skipped. */
	req->n = 24;
	frame(req, 0xfa, 0xff, 7, "whatever", 8);
	frame(req, HEADERS, END_HEADERS, 1, "\x82", 1);
	assert_int_equal(feed_all(req, NULL), 0);
	free(big);
	free(req);
	free(resp);
}

/* Streams beyond H2_STREAMS_MAX are not followed, and responses to streams
 * never seen (joined late) or pushed are decoded but ignored. */
static void test_limits(void **state)
{
	struct script *s = script_new();
	struct calls *cs = malloc(sizeof(*cs));
	struct buf *req = step(s, WIRE_REQUEST, 1), *resp = step(s, WIRE_RESPONSE, 2), blk = { 0 };
	uint8_t pp[64] = { 0, 0, 0, 2 };

	(void)state;
	put(req, PREFACE, 24);
	for (uint32_t i = 0; i < H2_STREAMS_MAX + 2; i++)
		frame(req, HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, "\x82\x84", 2);
	/* A push promise adds ":status: 204" to the response table. */
	hp_lit(&blk, 0x40, ":status", "204");
	memcpy(pp + 4, blk.d, blk.n);
	frame(resp, PUSH_PROMISE, END_HEADERS, 1, pp, 4 + blk.n);
	frame(resp, HEADERS, END_HEADERS | END_STREAM, 2, "\x88", 1);
	frame(resp, HEADERS, END_HEADERS | END_STREAM, 1001, "\x88", 1);
	for (uint32_t i = 0; i < H2_STREAMS_MAX + 2; i++)
		frame(resp, HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, "\xbe", 1);
	assert_int_equal(run(s, false, cs), 0);
	assert_int_equal(cs->n, H2_STREAMS_MAX);
	assert_string_equal(cs->c[0].protocol, "http");
	assert_int_equal(cs->c[0].status, 204);
	assert_string_equal(cs->c[H2_STREAMS_MAX - 1].target, "/");
	free(s);
	free(cs);
}

/* Budgets over all connections: streams past H2_STREAMS_TOTAL_MAX are not
 * followed until others end, and header blocks being gathered together
 * stay under H2_BLOCK_BYTES_TOTAL_MAX, a block past it failing only its
 * own connection. */
static void test_total_budgets(void **state)
{
	enum { FULL = H2_STREAMS_TOTAL_MAX / H2_STREAMS_MAX, BLOCKERS = H2_BLOCK_BYTES_TOTAL_MAX / 16384 + 1 };
	static void *conns[FULL + 1], *blockers[BLOCKERS];
	int n;
	struct buf *b = malloc(sizeof(*b)), *big = malloc(sizeof(*big));
	struct calls *cs = malloc(sizeof(*cs));
	static const uint8_t fragment[16000];
	/* HEADERS, END_STREAM | END_HEADERS, :status 200, streams 1 and 3 */
	static const uint8_t ok1[] = { 0, 0, 1, 1, 5, 0, 0, 0, 1, 0x88 };
	static const uint8_t ok3[] = { 0, 0, 1, 1, 5, 0, 0, 0, 3, 0x88 };
	size_t gathering = 0;

	(void)state;
	memset(cs, 0, sizeof(*cs));
	b->n = 0;
	put(b, PREFACE, 24);
	for (uint32_t i = 0; i < H2_STREAMS_MAX; i++)
		frame(b, HEADERS, END_HEADERS | END_STREAM, 2 * i + 1, "\x82\x84", 2);
	for (int i = 0; i < FULL; i++) {
		conns[i] = h2_parser.create();
		assert_int_equal(h2_parser.feed(conns[i], WIRE_REQUEST, b->d, b->n, 1, collect, cs), 0);
	}
	/* One more connection: its stream is past the budget. */
	b->n = 0;
	put(b, PREFACE, 24);
	frame(b, HEADERS, END_HEADERS | END_STREAM, 1, "\x82\x84", 2);
	conns[FULL] = h2_parser.create();
	assert_int_equal(h2_parser.feed(conns[FULL], WIRE_REQUEST, b->d, b->n, 1, collect, cs), 0);
	assert_int_equal(h2_parser.feed(conns[FULL], WIRE_RESPONSE, ok1, 10, 2, collect, cs), 0);
	assert_int_equal(cs->n, 0);
	/* A connection's streams end with it, and room comes back. */
	h2_parser.destroy(conns[0]);
	frame(b, HEADERS, END_HEADERS | END_STREAM, 3, "\x82\x84", 2);
	assert_int_equal(h2_parser.feed(conns[FULL], WIRE_REQUEST, b->d + b->n - 11, 11, 3, collect, cs), 0);
	assert_int_equal(h2_parser.feed(conns[FULL], WIRE_RESPONSE, ok3, 10, 4, collect, cs), 0);
	assert_int_equal(cs->n, 1);
	assert_int_equal(cs->c[0].status, 200);
	for (int i = 1; i <= FULL; i++)
		h2_parser.destroy(conns[i]);
	/* Blocks left unfinished on many connections: each holds its bytes
	 * until the budget says no, and that connection alone fails. */
	big->n = 0;
	put(big, PREFACE, 24);
	frame(big, HEADERS, 0, 1, fragment, sizeof(fragment));
	for (n = 0; n < BLOCKERS; n++) {
		blockers[n] = h2_parser.create();
		if (h2_parser.feed(blockers[n], WIRE_REQUEST, big->d, big->n, 5, collect, cs) == -E2BIG)
			break;
		gathering += 16384;
	}
	assert_true(gathering <= H2_BLOCK_BYTES_TOTAL_MAX);
	assert_true(gathering > H2_BLOCK_BYTES_TOTAL_MAX - 16384);
	for (int i = 0; i <= n && i < BLOCKERS; i++)
		h2_parser.destroy(blockers[i]);
	free(b);
	free(big);
	free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grpc),	      cmocka_unit_test(test_grpc_errors),
		cmocka_unit_test(test_http),	      cmocka_unit_test(test_times),
		cmocka_unit_test(test_interleaved),   cmocka_unit_test(test_rst_stream),
		cmocka_unit_test(test_status_range),  cmocka_unit_test(test_gap),
		cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_limits),
		cmocka_unit_test(test_total_budgets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
