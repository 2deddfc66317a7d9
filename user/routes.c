// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

static int is_hex(char c)
{
	return isxdigit((unsigned char)c);
}

static int is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Segments that name one resource among many: labels must not hold them. */
static int is_id(const char *s, size_t n)
{
	size_t digits = 0, hex = 0;

	if (!n)
		return 0;
	if (n > ROUTE_ID_SEGMENT_MAX || is_uuid(s, n))
		return 1;
	for (size_t i = 0; i < n; i++) {
		digits += isdigit((unsigned char)s[i]) != 0;
		hex += is_hex(s[i]) != 0;
	}
	return digits == n || (n >= 16 && hex == n && digits);
}

/* The path of a request-target: absolute-form loses scheme and authority;
 * query and fragment go. Returns -EINVAL for anything else. */
static int target_path(const char *t, size_t len, const char **path, size_t *path_len)
{
	size_t i = 0, end;

	if (len && t[0] != '/' && isalpha((unsigned char)t[0])) {
		while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.'))
			i++;
		if (i + 3 > len || memcmp(t + i, "://", 3))
			return -EINVAL;
		i += 3;
		while (i < len && t[i] != '/' && t[i] != '?' && t[i] != '#')
			i++;
	} else if (len && t[0] != '/') {
		return -EINVAL;
	}
	for (end = i; end < len && t[end] != '?' && t[end] != '#'; end++)
		;
	*path = t + i;
	*path_len = end - i;
	return 0;
}

int route_from_target(const char *target, size_t len, char *out, size_t out_size)
{
	const char *path, *seg;
	size_t path_len, n = 0, i = 0, segments = 0;

	if (out_size < 2)
		return -ENOSPC;
	if (len == 1 && target[0] == '*') {
		strcpy(out, "*");
		return 1;
	}
	if (target_path(target, len, &path, &path_len))
		return -EINVAL;
	if (!path_len) {
		strcpy(out, "/");
		return 1;
	}
	/* path[0] is '/': each round emits "/" and the segment after it. */
	while (i < path_len) {
		size_t seg_len = 0, need;
		const char *text;

		i++;
		seg = path + i;
		while (i + seg_len < path_len && seg[seg_len] != '/')
			seg_len++;
		i += seg_len;
		if (segments == ROUTE_MAX_SEGMENTS) {
			text = "{rest}";
			seg_len = 6;
			i = path_len;
		} else if (is_id(seg, seg_len)) {
			text = "{id}";
			seg_len = 4;
		} else {
			text = seg;
		}
		need = 1 + seg_len;
		if (n + need + 1 > out_size)
			break;
		out[n] = '/';
		memcpy(out + n + 1, text, seg_len);
		n += need;
		segments++;
	}
	if (!n)
		out[n++] = '/';
	out[n] = 0;
	return (int)n;
}

int route_set_add(struct route_set *rs, const char *pattern)
{
	if (pattern[0] != '/')
		return -EINVAL;
	if (rs->n == ROUTE_MAX_PATTERNS)
		return -ENOSPC;
	rs->patterns[rs->n] = strdup(pattern);
	if (!rs->patterns[rs->n])
		return -ENOMEM;
	rs->n++;
	return 0;
}

static int pattern_matches(const char *p, const char *path, size_t len)
{
	size_t i = 0;

	while (*p && i < len) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			size_t start = i;

			if (!close)
				return 0;
			while (i < len && path[i] != '/')
				i++;
			if (i == start)
				return 0;
			p = close + 1;
		} else if (*p++ != path[i++]) {
			return 0;
		}
	}
	return !*p && i == len;
}

int route_set_match(const struct route_set *rs, const char *target, size_t len, char *out, size_t out_size)
{
	const char *path;
	size_t path_len;

	if (target_path(target, len, &path, &path_len))
		return -ENOENT;
	if (!path_len) {
		path = "/";
		path_len = 1;
	}
	for (size_t i = 0; i < rs->n; i++) {
		size_t plen = strlen(rs->patterns[i]);

		if (plen < out_size && pattern_matches(rs->patterns[i], path, path_len)) {
			memcpy(out, rs->patterns[i], plen + 1);
			return (int)plen;
		}
	}
	return -ENOENT;
}

void route_set_free(struct route_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->patterns[i]);
	rs->n = 0;
}
