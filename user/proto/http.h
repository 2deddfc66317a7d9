/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/1.0 and 1.1 message heads, parsed from untrusted bytes: never reads
 * past the length given, never allocates. The kernel frames the messages;
 * this reads what it captured of them. */
#ifndef SONDE_HTTP_H
#define SONDE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_METHOD_MAX 32 /* with the NUL: UPDATEREDIRECTREF and longer tokens */
#define HTTP_TARGET_MAX 512 /* with the NUL */
#define HTTP_TRACEPARENT_MAX 64 /* with the NUL; the W3C value has 55 characters */
#define HTTP_HOST_MAX 128 /* with the NUL */
#define HTTP_HEAD_MAX 16384 /* a longer head is -E2BIG */

enum http_kind { HTTP_REQUEST, HTTP_RESPONSE };

struct http_head {
	bool start_line_ok; /* the start line parsed, even when the rest is -EAGAIN */
	int version; /* 10 or 11 */
	char method[HTTP_METHOD_MAX];
	char target[HTTP_TARGET_MAX];
	bool target_truncated; /* the target was longer than target[]: its prefix is kept */
	int status; /* responses: 100 to 599 */
	int64_t content_length; /* -1 when absent */
	bool chunked; /* the last transfer coding is chunked */
	bool connection_close; /* Connection: close, or HTTP/1.0 without keep-alive */
	char traceparent[HTTP_TRACEPARENT_MAX];
	char host[HTTP_HOST_MAX]; /* the Host header, "" if none or too long */
};

/* Parses the message head at the start of buf. Lines end in CRLF or a bare
 * LF (RFC 9112 allows recipients to accept both). Returns the head's length
 * up to and including its empty line; -EAGAIN when buf ends first (fields of
 * the complete lines are filled); -EBADMSG for bytes that are not HTTP/1.x;
 * -E2BIG for a head longer than HTTP_HEAD_MAX. */
int http_parse_head(enum http_kind kind, const char *buf, size_t len, struct http_head *out);

/* The status of a response from its first bytes, "HTTP/1.x NNN" and then
 * a space, a CR or the end: the reason phrase may be cut short, as the
 * kernel keeps a prefix. 100 to 599, or -EBADMSG. */
int http_parse_status_prefix(const char *p, size_t n);

/* The method and target of a request line the capture cut short, the
 * whole prefix being method, space and target: the target's last segment,
 * which may be cut mid-way, is dropped. 0 or -EBADMSG. */
int http_parse_request_prefix(const char *p, size_t n, struct http_head *h);

/* Where the request after the one at the start of buf begins, when a
 * client pipelined it: past the first request's head and its
 * Content-Length body, bytes that start a request line. 0 when there is
 * none, or when the first request's end cannot be told (a chunked body,
 * a head cut short). */
size_t http_request_next(const char *buf, size_t len);
/* The same for a head already parsed: h and head_len are what
 * http_parse_head returned for buf. */
size_t http_request_after(const char *buf, size_t len, const struct http_head *h, int head_len);

#endif
