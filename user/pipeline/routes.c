// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/routes.h"

#define ROUTE_TOPIC_MAX 512 /* longer topics keep their leading segments */

/* ASCII only: request-targets are not subject to the locale. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Spaces and control bytes never occur in a valid target; refusing them
 * keeps every route a NUL-free, printable label. */
static bool is_ctl(char c)
{
	return (unsigned char)c <= 0x20 || c == 0x7f;
}

static bool is_uuid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return false;
	}
	return true;
}

/* A segment that looks like a credential: one of the common key prefixes
 * (Stripe, GitHub, Slack, AWS, a JWT's header), or 16 and more letters and
 * digits that alternate at least three times, as generated tokens do and
 * names (bootstrap4-theme) do not. */
static bool is_secret(const char *s, size_t n)
{
	static const char *const prefixes[] = { "sk_live_", "sk_test_", "pk_live_", "pk_test_",	   "rk_live_",
						"ghp_",	    "gho_",	"ghs_",	    "github_pat_", "xoxb-",
						"xoxp-",    "AKIA",	"eyJ" };
	size_t changes = 0;
	int last = 0; /* 1 a letter, 2 a digit, 0 neither */

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i]);

		if (n >= k + 8 && !memcmp(s, prefixes[i], k))
			return true;
	}
	for (size_t i = 0; i < n; i++) {
		int kind = is_digit(s[i]) ? 2 : is_alpha(s[i]) ? 1 : 0;

		if (!kind && s[i] != '_' && s[i] != '-')
			return false;
		changes += kind && last && kind != last;
		last = kind;
	}
	return n >= 16 && changes >= 3;
}

/* Segments that name one resource among many: as labels they would mint a
 * series per resource. */
static bool is_id(const char *s, size_t n)
{
	size_t digits = 0, hex = 0;

	if (!n)
		return false;
	if (n > ROUTE_ID_SEGMENT_MAX || is_uuid(s, n) || is_secret(s, n))
		return true;
	for (size_t i = 0; i < n; i++) {
		digits += is_digit(s[i]);
		hex += is_hex(s[i]);
	}
	return digits == n || (n >= 16 && hex == n && digits);
}

/* A segment's length without its matrix parameters (";name=value"), which
 * carry session ids. */
static size_t without_params(const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);

	return semi ? (size_t)(semi - s) : n;
}

/* The path of an origin-form or absolute-form target, without query or
 * fragment; empty when the target has no path. */
static int target_path(const char *t, size_t len, const char **path, size_t *path_len)
{
	size_t i = 0, end;

	if (len && t[0] != '/') {
		if (!is_alpha(t[0]))
			return -EINVAL;
		while (i < len && (is_alpha(t[i]) || is_digit(t[i]) || t[i] == '+' || t[i] == '-' || t[i] == '.'))
			i++;
		if (len - i < 3 || memcmp(t + i, "://", 3))
			return -EINVAL;
		for (i += 3; i < len && t[i] != '/' && t[i] != '?' && t[i] != '#'; i++)
			;
	}
	for (end = i; end < len && t[end] != '?' && t[end] != '#'; end++)
		if (is_ctl(t[end]))
			return -EINVAL;
	*path = t + i;
	*path_len = end - i;
	return 0;
}

/* A path's route, its segments after each sep: those that name one
 * resource become {id}; a URL's matrix parameters go, a topic keeps ';' as
 * text. */
static int route_of_path(const char *path, size_t path_len, char sep, bool url, char *out, size_t out_size)
{
	size_t i = 0, n = 0, segments = 0;

	/* Each round starts at a '/' and emits it with the segment after it. */
	while (i < path_len) {
		size_t start = ++i, seg_len;
		const char *text;

		while (i < path_len && path[i] != sep)
			i++;
		seg_len = url ? without_params(path + start, i - start) : i - start;
		text = path + start;
		if (segments == ROUTE_MAX_SEGMENTS) {
			text = "{rest}";
			seg_len = 6;
			i = path_len;
		} else if (is_id(text, seg_len)) {
			text = "{id}";
			seg_len = 4;
		}
		if (seg_len + 2 > out_size - n)
			break;
		out[n] = sep;
		memcpy(out + n + 1, text, seg_len);
		n += seg_len + 1;
		segments++;
	}
	if (!n)
		out[n++] = sep;
	out[n] = 0;
	return (int)n;
}

int routes_from_target(const char *target, size_t len, char *out, size_t out_size)
{
	size_t path_len;
	const char *path;
	int ret;

	if (out_size < 2)
		return -ENOSPC;
	if (len == 1 && target[0] == '*') {
		memcpy(out, "*", 2);
		return 1;
	}
	ret = target_path(target, len, &path, &path_len);
	if (ret)
		return ret;
	return route_of_path(path, path_len, '/', true, out, out_size);
}

int routes_from_topic(const char *topic, char sep, char *out, size_t out_size)
{
	char path[ROUTE_TOPIC_MAX + 2];
	size_t len;
	int n;

	if (out_size < 2)
		return -ENOSPC;
	snprintf(path, sizeof(path), "%c%s", sep, topic);
	len = strlen(path);
	for (size_t i = 0; i < len; i++)
		if (is_ctl(path[i]))
			return -EINVAL;
	n = route_of_path(path, len, sep, false, out, out_size);
	memmove(out, out + 1, (size_t)n);
	return n - 1;
}

int routes_redact_path(const char *target, size_t len, char *out, size_t out_size)
{
	size_t path_len, i = 0, n = 0;
	const char *path;

	if (!out_size || target_path(target, len, &path, &path_len))
		return -EINVAL;
	while (i < path_len) {
		size_t start = i, seg_len;
		const char *text;

		if (path[i] == '/')
			start = ++i;
		while (i < path_len && path[i] != '/')
			i++;
		seg_len = without_params(path + start, i - start);
		text = path + start;
		if (is_secret(text, seg_len)) {
			text = "{redacted}";
			seg_len = 10;
		}
		if (seg_len + 2 > out_size - n)
			break;
		if (start && path[start - 1] == '/')
			out[n++] = '/';
		memcpy(out + n, text, seg_len);
		n += seg_len;
	}
	out[n] = 0;
	return (int)n;
}

static bool is_name_char(char c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static int pattern_check(const char *p)
{
	if (p[0] != '/')
		return -EINVAL;
	for (size_t i = 0; p[i]; i++) {
		if (is_ctl(p[i]) || p[i] == '?' || p[i] == '#' || p[i] == '}')
			return -EINVAL;
		if (p[i] != '{')
			continue;
		if (p[i - 1] != '/' || !is_name_char(p[i + 1]))
			return -EINVAL;
		for (i++; is_name_char(p[i]); i++)
			;
		if (p[i] != '}' || (p[i + 1] && p[i + 1] != '/'))
			return -EINVAL;
	}
	return 0;
}

int routes_add(struct route_set *rs, const char *pattern)
{
	int ret = pattern_check(pattern);

	if (ret)
		return ret;
	if (rs->n == ROUTE_MAX_PATTERNS)
		return -ENOSPC;
	rs->patterns[rs->n] = strdup(pattern);
	if (!rs->patterns[rs->n])
		return -ENOMEM;
	rs->n++;
	return 0;
}

/* pattern_check guarantees every '{' opens a whole segment. */
static bool pattern_matches(const char *p, const char *path, size_t len)
{
	size_t i = 0;

	while (*p && i < len) {
		if (*p == '{') {
			size_t start = i;

			while (i < len && path[i] != '/')
				i++;
			if (i == start)
				return false;
			p = strchr(p, '}') + 1;
		} else if (*p++ != path[i++]) {
			return false;
		}
	}
	return !*p && i == len;
}

int routes_match(const struct route_set *rs, const char *target, size_t len, char *out, size_t out_size)
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
		size_t plen;

		if (!pattern_matches(rs->patterns[i], path, path_len))
			continue;
		plen = strlen(rs->patterns[i]);
		if (plen >= out_size)
			return -ENOSPC;
		memcpy(out, rs->patterns[i], plen + 1);
		return (int)plen;
	}
	return -ENOENT;
}

void routes_free(struct route_set *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->patterns[i]);
	rs->n = 0;
}
