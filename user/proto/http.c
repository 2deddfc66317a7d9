// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "proto/http.h"

#define CL_MAX (1ull << 62)

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* Visible characters, and obs-text, as RFC 9110 allows in values. */
static bool is_vchar(unsigned char c)
{
	return (c > 0x20 && c != 0x7f);
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_version(const char *p, size_t n, int *version)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1'))
		return -EBADMSG;
	*version = p[7] == '1' ? 11 : 10;
	return 0;
}

static int parse_request_line(const char *p, size_t n, struct http_head *h)
{
	size_t m = 0, t, tlen;

	while (m < n && is_tchar((unsigned char)p[m]))
		m++;
	if (!m || m >= HTTP_METHOD_MAX || m == n || p[m] != ' ')
		return -EBADMSG;
	for (t = m + 1; t < n && is_vchar((unsigned char)p[t]); t++)
		;
	tlen = t - m - 1;
	if (!tlen || t == n || p[t] != ' ' || parse_version(p + t + 1, n - t - 1, &h->version))
		return -EBADMSG;
	memcpy(h->method, p, m);
	h->method[m] = 0;
	h->target_truncated = tlen >= HTTP_TARGET_MAX;
	if (h->target_truncated)
		tlen = HTTP_TARGET_MAX - 1;
	memcpy(h->target, p + m + 1, tlen);
	h->target[tlen] = 0;
	return 0;
}

static int parse_status_line(const char *p, size_t n, struct http_head *h)
{
	int status = 0;

	if (n < 12 || parse_version(p, 8, &h->version) || p[8] != ' ')
		return -EBADMSG;
	for (size_t i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100 || status > 599 || (n > 12 && p[12] != ' '))
		return -EBADMSG;
	for (size_t i = 13; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return -EBADMSG;
	h->status = status;
	return 0;
}

static bool name_is(const char *name, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(name, lit, n);
}

/* Whether a comma-separated list holds token (case-insensitive). */
static bool list_has(const char *v, size_t n, const char *token, bool last_only)
{
	size_t i = 0, tl = strlen(token);
	bool found = false;

	while (i < n) {
		size_t start, end;

		while (i < n && (is_ows(v[i]) || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (end > start && is_ows(v[end - 1]))
			end--;
		if (end == start)
			continue;
		found = end - start == tl && !strncasecmp(v + start, token, tl);
		if (found && !last_only)
			return true;
	}
	return found;
}

static int parse_header(const char *p, size_t n, struct http_head *h)
{
	size_t colon = 0, vs, ve;
	const char *v;

	while (colon < n && is_tchar((unsigned char)p[colon]))
		colon++;
	/* No name, or no colon right after it: obs-fold and junk alike. */
	if (!colon || colon == n || p[colon] != ':')
		return -EBADMSG;
	for (vs = colon + 1; vs < n && is_ows(p[vs]); vs++)
		;
	for (ve = n; ve > vs && is_ows(p[ve - 1]); ve--)
		;
	v = p + vs;
	for (size_t i = vs; i < ve; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			return -EBADMSG;
	if (name_is(p, colon, "content-length")) {
		uint64_t cl = 0;

		if (ve == vs)
			return -EBADMSG;
		for (size_t i = vs; i < ve; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -EBADMSG;
			cl = cl * 10 + (uint64_t)(p[i] - '0');
			if (cl > CL_MAX)
				return -EBADMSG;
		}
		if (h->content_length >= 0 && (uint64_t)h->content_length != cl)
			return -EBADMSG;
		h->content_length = (int64_t)cl;
	} else if (name_is(p, colon, "transfer-encoding")) {
		h->chunked = list_has(v, ve - vs, "chunked", true);
	} else if (name_is(p, colon, "connection")) {
		if (list_has(v, ve - vs, "close", false))
			h->connection_close = true;
		else if (h->version == 10 && list_has(v, ve - vs, "keep-alive", false))
			h->connection_close = false;
	} else if (name_is(p, colon, "traceparent") && ve - vs < HTTP_TRACEPARENT_MAX) {
		memcpy(h->traceparent, v, ve - vs);
		h->traceparent[ve - vs] = 0;
	} else if (name_is(p, colon, "host") && ve - vs < HTTP_HOST_MAX) {
		memcpy(h->host, v, ve - vs);
		h->host[ve - vs] = 0;
	}
	return 0;
}

int http_parse_head(enum http_kind kind, const char *buf, size_t len, struct http_head *out)
{
	size_t pos = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	out->content_length = -1;
	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t line_len, next;

		if (!nl)
			return len > HTTP_HEAD_MAX ? -E2BIG : -EAGAIN;
		next = (size_t)(nl - buf) + 1;
		if (next > HTTP_HEAD_MAX)
			return -E2BIG;
		line_len = next - 1 - pos;
		if (line_len && buf[pos + line_len - 1] == '\r')
			line_len--;
		if (!out->start_line_ok) {
			ret = kind == HTTP_REQUEST ? parse_request_line(buf + pos, line_len, out)
						   : parse_status_line(buf + pos, line_len, out);
			if (ret)
				return ret;
			out->start_line_ok = true;
			/* HTTP/1.0 closes unless it asks to keep alive. */
			out->connection_close = out->version == 10;
		} else if (!line_len) {
			return (int)next;
		} else {
			ret = parse_header(buf + pos, line_len, out);
			if (ret)
				return ret;
		}
		pos = next;
	}
}

enum chunk_state {
	CHUNK_SIZE,
	CHUNK_EXT,
	CHUNK_SIZE_LF,
	CHUNK_DATA,
	CHUNK_DATA_CR,
	CHUNK_DATA_LF,
	CHUNK_TRAILER_START,
	CHUNK_TRAILER_LINE,
	CHUNK_TRAILER_LF,
	CHUNK_END_LF,
};

void http_body_init(struct http_body *b, enum http_kind kind, const struct http_head *h, const char *req_method)
{
	memset(b, 0, sizeof(*b));
	if (kind == HTTP_RESPONSE &&
	    ((req_method && !strcmp(req_method, "HEAD")) || h->status < 200 || h->status == 204 ||
	     h->status == 304 || (req_method && !strcmp(req_method, "CONNECT") && h->status < 300))) {
		b->mode = HTTP_BODY_NONE;
	} else if (h->chunked) {
		b->mode = HTTP_BODY_CHUNKED;
		b->state = CHUNK_SIZE;
	} else if (h->content_length > 0) {
		b->mode = HTTP_BODY_LENGTH;
		b->remaining = (uint64_t)h->content_length;
	} else if (h->content_length == 0 || kind == HTTP_REQUEST) {
		b->mode = HTTP_BODY_NONE;
	} else {
		b->mode = HTTP_BODY_UNTIL_CLOSE;
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The end of a chunk-size line: data follows, or the trailers do. */
static void chunk_size_done(struct http_body *b)
{
	b->remaining = b->size;
	b->state = b->size ? CHUNK_DATA : CHUNK_TRAILER_START;
}

static ssize_t chunked_feed(struct http_body *b, const char *buf, size_t len, bool *done)
{
	size_t i = 0;

	while (i < len) {
		char c = buf[i];
		int d;

		switch (b->state) {
		case CHUNK_SIZE:
			d = hex_value(c);
			if (d >= 0) {
				if (b->size > (UINT64_MAX >> 4))
					return -EBADMSG;
				b->size = b->size * 16 + (uint64_t)d;
				b->digits++;
			} else if (!b->digits) {
				return -EBADMSG;
			} else if (c == ';' || is_ows(c)) {
				b->state = CHUNK_EXT;
			} else if (c == '\r') {
				b->state = CHUNK_SIZE_LF;
			} else if (c == '\n') {
				chunk_size_done(b);
			} else {
				return -EBADMSG;
			}
			i++;
			break;
		case CHUNK_EXT:
			if (c == '\r')
				b->state = CHUNK_SIZE_LF;
			else if (c == '\n')
				chunk_size_done(b);
			else if ((unsigned char)c < 0x20 && c != '\t')
				return -EBADMSG;
			i++;
			break;
		case CHUNK_SIZE_LF:
			if (c != '\n')
				return -EBADMSG;
			chunk_size_done(b);
			i++;
			break;
		case CHUNK_DATA: {
			size_t take = len - i < b->remaining ? len - i : (size_t)b->remaining;

			b->remaining -= take;
			i += take;
			if (!b->remaining)
				b->state = CHUNK_DATA_CR;
			break;
		}
		case CHUNK_DATA_CR:
			if (c == '\r') {
				b->state = CHUNK_DATA_LF;
				i++;
				break;
			}
			b->state = CHUNK_DATA_LF;
			/* A bare LF ends the chunk's data too. */
			/* fall through */
		case CHUNK_DATA_LF:
			if (c != '\n')
				return -EBADMSG;
			b->state = CHUNK_SIZE;
			b->size = 0;
			b->digits = 0;
			i++;
			break;
		case CHUNK_TRAILER_START:
			i++;
			if (c == '\n') {
				*done = true;
				return (ssize_t)i;
			}
			b->state = c == '\r' ? CHUNK_END_LF : CHUNK_TRAILER_LINE;
			break;
		case CHUNK_TRAILER_LINE:
			if (c == '\n')
				b->state = CHUNK_TRAILER_START;
			else if ((unsigned char)c < 0x20 && c != '\t' && c != '\r')
				return -EBADMSG;
			i++;
			break;
		case CHUNK_END_LF:
			if (c != '\n')
				return -EBADMSG;
			*done = true;
			return (ssize_t)(i + 1);
		default:
			return -EBADMSG;
		}
	}
	return (ssize_t)i;
}

ssize_t http_body_feed(struct http_body *b, const char *buf, size_t len, bool *done)
{
	size_t take;

	*done = false;
	switch (b->mode) {
	case HTTP_BODY_NONE:
		*done = true;
		return 0;
	case HTTP_BODY_LENGTH:
		take = len < b->remaining ? len : (size_t)b->remaining;
		b->remaining -= take;
		*done = !b->remaining;
		return (ssize_t)take;
	case HTTP_BODY_UNTIL_CLOSE:
		return (ssize_t)len;
	case HTTP_BODY_CHUNKED:
		return chunked_feed(b, buf, len, done);
	}
	return -EBADMSG;
}

void http_stream_init(struct http_stream *s, enum http_kind kind)
{
	s->kind = kind;
	s->req_method = NULL;
	s->err = 0;
	s->in_body = false;
	s->buffered = 0;
}

/* Takes bytes into the pending head; returns how many of buf were taken, or
 * an error. Sets *head_len once a whole head is buffered. */
static ssize_t take_head(struct http_stream *s, const char *buf, size_t len, size_t *head_len)
{
	size_t room = HTTP_HEAD_MAX - s->buffered, take = len < room ? len : room;
	size_t before = s->buffered;
	int ret;

	memcpy(s->buf + s->buffered, buf, take);
	s->buffered += take;
	*head_len = 0;
	/* Only a new line can complete a head. */
	if (!memchr(buf, '\n', take))
		return s->buffered == HTTP_HEAD_MAX ? -E2BIG : (ssize_t)take;
	ret = http_parse_head(s->kind, s->buf, s->buffered, &s->head);
	if (ret == -EAGAIN)
		return s->buffered == HTTP_HEAD_MAX ? -E2BIG : (ssize_t)take;
	if (ret < 0)
		return ret;
	*head_len = (size_t)ret;
	/* Bytes past the head go back to the caller, for the body. */
	return (ssize_t)((size_t)ret - before);
}

int http_stream_feed(struct http_stream *s, const char *buf, size_t len, http_message_cb cb, void *arg)
{
	size_t pos = 0;

	while (!s->err && pos < len) {
		ssize_t n;
		bool done;

		if (!s->in_body) {
			size_t head_len;

			n = take_head(s, buf + pos, len - pos, &head_len);
			if (n < 0) {
				s->err = (int)n;
				break;
			}
			pos += (size_t)n;
			if (!head_len)
				continue;
			s->buffered = 0;
			s->in_body = true;
			http_body_init(&s->body, s->kind, &s->head, s->req_method);
		}
		n = http_body_feed(&s->body, buf + pos, len - pos, &done);
		if (n < 0) {
			s->err = (int)n;
			break;
		}
		pos += (size_t)n;
		if (done) {
			s->in_body = false;
			cb(&s->head, arg);
		}
	}
	return s->err;
}

int http_stream_close(struct http_stream *s, http_message_cb cb, void *arg)
{
	if (s->err)
		return s->err;
	if (s->in_body && s->body.mode == HTTP_BODY_UNTIL_CLOSE) {
		s->in_body = false;
		cb(&s->head, arg);
		return 0;
	}
	return s->in_body || s->buffered ? -EPIPE : 0;
}
