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
	/* A switch, not a call to strchr: header names come here byte by byte. */
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return true;
	default:
		return false;
	}
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

/* "HTTP/1.x NNN": the status, 100 to 599, or -EBADMSG. */
static int parse_status_code(const char *p, size_t n, int *version)
{
	int status = 0;

	if (n < 12 || parse_version(p, 8, version) || p[8] != ' ')
		return -EBADMSG;
	for (size_t i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		status = status * 10 + (p[i] - '0');
	}
	return status >= 100 && status <= 599 ? status : -EBADMSG;
}

static int parse_status_line(const char *p, size_t n, struct http_head *h)
{
	int status = parse_status_code(p, n, &h->version);

	if (status < 0 || (n > 12 && p[12] != ' '))
		return -EBADMSG;
	for (size_t i = 13; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return -EBADMSG;
	h->status = status;
	return 0;
}

int http_parse_status_prefix(const char *p, size_t n)
{
	int version, status = parse_status_code(p, n, &version);

	if (status < 0 || (n > 12 && p[12] != ' ' && p[12] != '\r'))
		return -EBADMSG;
	return status;
}

int http_parse_request_prefix(const char *p, size_t n, struct http_head *h)
{
	size_t m = 0, t;
	char *slash;

	while (m < n && m < HTTP_METHOD_MAX - 1 &&
	       ((p[m] >= 'A' && p[m] <= 'Z') || (m && ((p[m] >= '0' && p[m] <= '9') || p[m] == '-' || p[m] == '_'))))
		m++;
	if (!m || m >= n || p[m] != ' ')
		return -EBADMSG;
	memcpy(h->method, p, m);
	h->method[m] = 0;
	for (t = m + 1; t < n && p[t] != ' ' && p[t] != '\r' && p[t] != '\n'; t++) {
		if ((unsigned char)p[t] < 0x21 || (unsigned char)p[t] == 0x7f)
			return -EBADMSG;
	}
	if (t != n)
		return -EBADMSG;
	t -= m + 1;
	if (t >= sizeof(h->target))
		t = sizeof(h->target) - 1;
	memcpy(h->target, p + m + 1, t);
	h->target[t] = 0;
	slash = strrchr(h->target, '/');
	if (slash && slash != h->target)
		*slash = 0;
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
			ret = kind == HTTP_REQUEST ? parse_request_line(buf + pos, line_len, out) :
						     parse_status_line(buf + pos, line_len, out);
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

size_t http_request_after(const char *buf, size_t len, const struct http_head *h, int head_len)
{
	struct http_head next;
	size_t end;
	int n;

	if (head_len <= 0 || h->chunked)
		return 0;
	end = (size_t)head_len;
	if (h->content_length > 0) {
		if ((uint64_t)h->content_length >= len - end)
			return 0;
		end += (size_t)h->content_length;
	}
	if (end >= len)
		return 0;
	/* The start line whole, or cut by the end of the bytes. */
	n = http_parse_head(HTTP_REQUEST, buf + end, len - end, &next);
	if (n > 0 || next.start_line_ok || !http_parse_request_prefix(buf + end, len - end, &next))
		return end;
	return 0;
}

size_t http_request_next(const char *buf, size_t len)
{
	struct http_head h;

	return http_request_after(buf, len, &h, http_parse_head(HTTP_REQUEST, buf, len, &h));
}
