/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/1.0 and 1.1 message heads and body framing, parsed from untrusted
 * bytes: never reads past the length given, never allocates. */
#ifndef SONDE_HTTP_H
#define SONDE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_METHOD_MAX 16       /* with the NUL */
#define HTTP_TARGET_MAX 512      /* with the NUL */
#define HTTP_TRACEPARENT_MAX 64  /* with the NUL; the W3C value has 55 characters */
#define HTTP_HOST_MAX 128        /* with the NUL */
#define HTTP_HEAD_MAX 16384      /* a longer head is -E2BIG */

enum http_kind { HTTP_REQUEST, HTTP_RESPONSE };

struct http_head {
	bool start_line_ok;     /* the start line parsed, even when the rest is -EAGAIN */
	int version;            /* 10 or 11 */
	char method[HTTP_METHOD_MAX];
	char target[HTTP_TARGET_MAX];
	bool target_truncated;  /* the target was longer than target[]: its prefix is kept */
	int status;             /* responses: 100 to 599 */
	int64_t content_length; /* -1 when absent */
	bool chunked;           /* the last transfer coding is chunked */
	bool connection_close;  /* Connection: close, or HTTP/1.0 without keep-alive */
	char traceparent[HTTP_TRACEPARENT_MAX];
	char host[HTTP_HOST_MAX]; /* the Host header, "" if none or too long */
};

/* Parses the message head at the start of buf. Lines end in CRLF or a bare
 * LF (RFC 9112 allows recipients to accept both). Returns the head's length
 * up to and including its empty line; -EAGAIN when buf ends first (fields of
 * the complete lines are filled); -EBADMSG for bytes that are not HTTP/1.x;
 * -E2BIG for a head longer than HTTP_HEAD_MAX. */
int http_parse_head(enum http_kind kind, const char *buf, size_t len, struct http_head *out);

enum http_body_mode { HTTP_BODY_NONE, HTTP_BODY_LENGTH, HTTP_BODY_CHUNKED, HTTP_BODY_UNTIL_CLOSE };

struct http_body {
	enum http_body_mode mode;
	uint64_t remaining; /* LENGTH: bytes left; CHUNKED: bytes left in this chunk */
	uint64_t size;      /* CHUNKED: chunk size being read */
	int state;          /* CHUNKED: where in the chunk syntax */
	int digits;
};

/* The framing of the body after h. For a response, req_method is the
 * method of its request (HEAD and CONNECT change the rules), or NULL. */
void http_body_init(struct http_body *b, enum http_kind kind, const struct http_head *h, const char *req_method);
/* Consumes body bytes. Returns how many belong to the body and sets *done
 * once it ended; -EBADMSG for bad chunk syntax or an overflowing size. */
ssize_t http_body_feed(struct http_body *b, const char *buf, size_t len, bool *done);

typedef void (*http_message_cb)(const struct http_head *head, void *arg);

/* The messages of one direction of a connection, fed in arbitrary pieces.
 * For a response stream, set req_method before each response to the
 * method of the request it answers. */
struct http_stream {
	enum http_kind kind;
	const char *req_method;
	int err;
	bool in_body;
	struct http_head head;
	struct http_body body;
	size_t buffered;
	char buf[HTTP_HEAD_MAX];
};

void http_stream_init(struct http_stream *s, enum http_kind kind);
/* Calls cb once per complete message, in order. Returns 0 or the stream's
 * error, which sticks until http_stream_init. */
int http_stream_feed(struct http_stream *s, const char *buf, size_t len, http_message_cb cb, void *arg);
/* The connection closed: a body delimited by close is complete. */
int http_stream_close(struct http_stream *s, http_message_cb cb, void *arg);

#endif
