// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http.h"

static void test_request_head(void **state)
{
	const char req[] = "GET /api/users/42?x=1 HTTP/1.1\r\nHost: a\r\nTraceparent: "
			   "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\nBODY";
	struct http_head h;

	(void)state;
	assert_int_equal(http_parse_head(HTTP_REQUEST, req, strlen(req), &h), strlen(req) - 4);
	assert_true(h.start_line_ok);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.target, "/api/users/42?x=1");
	assert_int_equal(h.version, 11);
	assert_int_equal(h.content_length, -1);
	assert_false(h.connection_close);
	assert_string_equal(h.traceparent, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	assert_string_equal(h.host, "a");
}

static void test_response_head(void **state)
{
	const char resp[] = "HTTP/1.1 503 Service Temporarily Unavailable\r\nContent-Length:  17 \r\n"
			    "Connection: keep-alive, close\r\n\r\n";
	struct http_head h;

	(void)state;
	assert_int_equal(http_parse_head(HTTP_RESPONSE, resp, strlen(resp), &h), strlen(resp));
	assert_int_equal(h.status, 503);
	assert_int_equal(h.content_length, 17);
	assert_true(h.connection_close);
	assert_int_equal(http_parse_head(HTTP_RESPONSE, "HTTP/1.0 200\n\n", 14, &h), 14);
	assert_int_equal(h.status, 200);
	assert_true(h.connection_close);
	assert_int_equal(http_parse_head(HTTP_RESPONSE, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", 43, &h), 43);
	assert_false(h.connection_close);
}

static void test_truncated_prefix(void **state)
{
	const char p[] = "GET /api/users/42?x=1 HTTP/1.1\r\nHost: a";
	struct http_head h;

	(void)state;
	assert_int_equal(http_parse_head(HTTP_REQUEST, p, strlen(p), &h), -EAGAIN);
	assert_true(h.start_line_ok);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.target, "/api/users/42?x=1");
	assert_int_equal(http_parse_head(HTTP_REQUEST, p, 10, &h), -EAGAIN);
	assert_false(h.start_line_ok);
}

static void test_junk(void **state)
{
	static const char *const bad_requests[] = {
		"\x16\x03\x01\x02\xa5\x01\x02\x03\xa1\x03\x03\n",
		"GET\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 extra\r\n\r\n",
		"G(T / HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\n folded: header\r\n\r\n",
		"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
		"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n",
	};
	static const char *const bad_responses[] = {
		"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 600 High\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",   "SSH-2.0-OpenSSH_9.2\r\n",  "HTTP/1.1 200OK\r\n\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++)
		assert_int_equal(http_parse_head(HTTP_REQUEST, bad_requests[i], strlen(bad_requests[i]), &h),
				 -EBADMSG);
	for (size_t i = 0; i < sizeof(bad_responses) / sizeof(bad_responses[0]); i++)
		assert_int_equal(http_parse_head(HTTP_RESPONSE, bad_responses[i], strlen(bad_responses[i]), &h),
				 -EBADMSG);
	/* Duplicate identical lengths are allowed. */
	const char dup[] = "GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n";

	assert_int_equal(http_parse_head(HTTP_REQUEST, dup, strlen(dup), &h), strlen(dup));
	assert_int_equal(h.content_length, 5);
}

static void test_huge_headers(void **state)
{
	size_t n = 20000;
	char *big = malloc(n + 64);
	struct http_head h;

	(void)state;
	assert_non_null(big);
	strcpy(big, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + strlen(big), 'a', n);
	strcpy(big + 23 + n, "\r\n\r\n");
	assert_int_equal(http_parse_head(HTTP_REQUEST, big, strlen(big), &h), -E2BIG);
	/* No line end at all: incomplete until the limit, then too big. */
	memset(big, 'A', n);
	assert_int_equal(http_parse_head(HTTP_REQUEST, big, 100, &h), -EAGAIN);
	assert_int_equal(http_parse_head(HTTP_REQUEST, big, n, &h), -E2BIG);
	/* A target longer than target[] is kept as a prefix. */
	strcpy(big, "GET /");
	memset(big + 5, 'p', 1000);
	strcpy(big + 1005, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_parse_head(HTTP_REQUEST, big, strlen(big), &h), strlen(big));
	assert_true(h.target_truncated);
	assert_int_equal(strlen(h.target), HTTP_TARGET_MAX - 1);
	free(big);
}

struct collected {
	int n;
	char methods[16][HTTP_METHOD_MAX];
	char targets[16][HTTP_TARGET_MAX];
	int statuses[16];
};

static void collect(const struct http_head *h, void *arg)
{
	struct collected *c = arg;

	if (c->n < 16) {
		strcpy(c->methods[c->n], h->method);
		strcpy(c->targets[c->n], h->target);
		c->statuses[c->n] = h->status;
	}
	c->n++;
}

static const char requests[] =
	"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	"POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
	"PUT /c HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	"5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n"
	"DELETE /d HTTP/1.0\r\n\r\n";

static void check_requests(const struct collected *c)
{
	assert_int_equal(c->n, 4);
	assert_string_equal(c->methods[0], "GET");
	assert_string_equal(c->targets[1], "/b");
	assert_string_equal(c->methods[2], "PUT");
	assert_string_equal(c->targets[3], "/d");
}

static void test_pipelining(void **state)
{
	struct http_stream *s = malloc(sizeof(*s));
	struct collected c = { 0 };

	(void)state;
	http_stream_init(s, HTTP_REQUEST);
	assert_int_equal(http_stream_feed(s, requests, strlen(requests), collect, &c), 0);
	check_requests(&c);
	free(s);
}

/* The same messages whatever the split: at every offset, and byte by byte. */
static void test_every_split(void **state)
{
	struct http_stream *s = malloc(sizeof(*s));
	size_t len = strlen(requests);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct collected c = { 0 };

		http_stream_init(s, HTTP_REQUEST);
		assert_int_equal(http_stream_feed(s, requests, cut, collect, &c), 0);
		assert_int_equal(http_stream_feed(s, requests + cut, len - cut, collect, &c), 0);
		check_requests(&c);
	}
	struct collected c = { 0 };

	http_stream_init(s, HTTP_REQUEST);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(http_stream_feed(s, requests + i, 1, collect, &c), 0);
	check_requests(&c);
	free(s);
}

static void test_responses(void **state)
{
	static const char resp[] = "HTTP/1.1 100 Continue\r\n\r\n"
				   "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n"
				   "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
				   "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
				   "HTTP/1.0 200 OK\r\n\r\nuntil close";
	struct http_stream *s = malloc(sizeof(*s));
	struct collected c = { 0 };
	size_t len = strlen(resp), first = strlen("HTTP/1.1 100 Continue\r\n\r\n"),
	       second = strlen("HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");

	(void)state;
	http_stream_init(s, HTTP_RESPONSE);
	/* The 200 answers a HEAD: its Content-Length announces no body here. */
	assert_int_equal(http_stream_feed(s, resp, first, collect, &c), 0);
	s->req_method = "HEAD";
	assert_int_equal(http_stream_feed(s, resp + first, second, collect, &c), 0);
	s->req_method = "GET";
	assert_int_equal(http_stream_feed(s, resp + first + second, len - first - second, collect, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(http_stream_close(s, collect, &c), 0);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.statuses[0], 100);
	assert_int_equal(c.statuses[2], 304);
	assert_int_equal(c.statuses[4], 200);
	free(s);
}

static void test_chunked_errors(void **state)
{
	struct http_head h = { .chunked = true, .content_length = -1, .status = 200 };
	struct http_body b;
	bool done;

	(void)state;
	http_body_init(&b, HTTP_RESPONSE, &h, "GET");
	assert_int_equal(http_body_feed(&b, "fffffffffffffffff\r\n", 19, &done), -EBADMSG);
	http_body_init(&b, HTTP_RESPONSE, &h, "GET");
	assert_int_equal(http_body_feed(&b, "zz\r\n", 4, &done), -EBADMSG);
	http_body_init(&b, HTTP_RESPONSE, &h, "GET");
	assert_int_equal(http_body_feed(&b, "3\r\nabcX", 7, &done), -EBADMSG);
	/* The terminator split across feeds. */
	http_body_init(&b, HTTP_RESPONSE, &h, "GET");
	assert_int_equal(http_body_feed(&b, "0\r\n\r", 4, &done), 4);
	assert_false(done);
	assert_int_equal(http_body_feed(&b, "\nNEXT", 5, &done), 1);
	assert_true(done);
}

static void test_stream_errors_stick(void **state)
{
	struct http_stream *s = malloc(sizeof(*s));
	struct collected c = { 0 };
	char junk[HTTP_HEAD_MAX + 10];

	(void)state;
	http_stream_init(s, HTTP_REQUEST);
	assert_int_equal(http_stream_feed(s, "\x00\x01\x02\n", 4, collect, &c), -EBADMSG);
	assert_int_equal(http_stream_feed(s, "GET / HTTP/1.1\r\n\r\n", 18, collect, &c), -EBADMSG);
	assert_int_equal(c.n, 0);
	/* "GET" forever: incomplete, then too big. */
	http_stream_init(s, HTTP_REQUEST);
	memset(junk, 'G', sizeof(junk));
	assert_int_equal(http_stream_feed(s, junk, 100, collect, &c), 0);
	assert_int_equal(http_stream_feed(s, junk, sizeof(junk), collect, &c), -E2BIG);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_head),   cmocka_unit_test(test_response_head),
		cmocka_unit_test(test_truncated_prefix), cmocka_unit_test(test_junk),
		cmocka_unit_test(test_huge_headers),   cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_every_split),    cmocka_unit_test(test_responses),
		cmocka_unit_test(test_chunked_errors), cmocka_unit_test(test_stream_errors_stick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
