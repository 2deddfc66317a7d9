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
	assert_int_equal(http_parse_head(HTTP_RESPONSE, "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n", 43, &h),
			 43);
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
		"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG / HTTP/1.1\r\n\r\n",
	};
	static const char *const bad_responses[] = {
		"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n", "HTTP/1.1 600 High\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",   "SSH-2.0-OpenSSH_9.2\r\n",	"HTTP/1.1 200OK\r\n\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++)
		assert_int_equal(http_parse_head(HTTP_REQUEST, bad_requests[i], strlen(bad_requests[i]), &h), -EBADMSG);
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

/* What the kernel kept of a response: its status from the first bytes. */
static void test_status_prefix(void **state)
{
	(void)state;
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 200 OK\r\n", 17), 200);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 503 Service Tempor", 27), 503);
	assert_int_equal(http_parse_status_prefix("HTTP/1.0 404", 12), 404);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 204\r\n", 14), 204);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 20", 11), -EBADMSG);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 2000", 13), -EBADMSG);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 099 x", 14), -EBADMSG);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 600 x", 14), -EBADMSG);
	assert_int_equal(http_parse_status_prefix("HTTP/2.0 200 x", 14), -EBADMSG);
	assert_int_equal(http_parse_status_prefix("HTTP/1.1 2x0 x", 14), -EBADMSG);
}

/* A request line longer than the capture: method and the whole segments
 * of its target. */
static void test_request_prefix(void **state)
{
	struct http_head h;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(http_parse_request_prefix("GET /api/users/4", 16, &h), 0);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.target, "/api/users");
	assert_int_equal(http_parse_request_prefix("GET /abc", 8, &h), 0);
	assert_string_equal(h.target, "/abc");
	assert_int_equal(http_parse_request_prefix("GET /a HTTP/1.1", 15, &h), -EBADMSG);
	assert_int_equal(http_parse_request_prefix("get /a", 6, &h), -EBADMSG);
	assert_int_equal(http_parse_request_prefix("GET", 3, &h), -EBADMSG);
	assert_int_equal(http_parse_request_prefix("GET /a\x01b", 8, &h), -EBADMSG);
	assert_int_equal(http_parse_request_prefix("VERSION-CONTROL /a/b", 20, &h), 0);
	assert_string_equal(h.method, "VERSION-CONTROL");
}

/* Where a pipelined request starts, past the one before and its body. */
static void test_request_next(void **state)
{
	static const char two[] = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	static const char body[] = "POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nGET GET /b HTTP/1.1\r\n\r\n";
	static const char chunked[] =
		"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	static const char cut[] = "GET /a HTTP/1.1\r\n\r\nGET /b/c";
	static const char junk[] = "GET /a HTTP/1.1\r\n\r\n\x16\x03\x01";

	(void)state;
	assert_int_equal(http_request_next(two, sizeof(two) - 1), 19);
	assert_int_equal(http_request_next(two + 19, sizeof(two) - 20), 0);
	assert_int_equal(http_request_next(body, sizeof(body) - 1), 43);
	assert_int_equal(http_request_next(body, 42), 0);
	assert_int_equal(http_request_next(chunked, sizeof(chunked) - 1), 0);
	assert_int_equal(http_request_next(cut, sizeof(cut) - 1), 19);
	assert_int_equal(http_request_next(junk, sizeof(junk) - 1), 0);
	assert_int_equal(http_request_next("GET /a HTT", 10), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_head),	 cmocka_unit_test(test_response_head),
		cmocka_unit_test(test_truncated_prefix), cmocka_unit_test(test_junk),
		cmocka_unit_test(test_huge_headers),	 cmocka_unit_test(test_status_prefix),
		cmocka_unit_test(test_request_prefix),	 cmocka_unit_test(test_request_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
