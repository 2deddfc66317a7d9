// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "status/expo.h"

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

/* Reads a name at line[*pos], NUL-terminating it in place after it is
 * done with; NULL when none is there. */
static char *take_name(char *line, size_t *pos)
{
	size_t start = *pos;

	if (!name_char(line[*pos], true))
		return NULL;
	while (name_char(line[*pos], false))
		(*pos)++;
	return line + start;
}

/* A quoted label value at line[*pos], unescaped in place. */
static char *take_value(char *line, size_t *pos)
{
	char *out, *start;

	if (line[*pos] != '"')
		return NULL;
	start = out = line + ++*pos;
	for (;;) {
		char c = line[(*pos)++];

		if (!c)
			return NULL;
		if (c == '"')
			break;
		if (c == '\\') {
			c = line[(*pos)++];
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && c != '"')
				return NULL;
		}
		*out++ = c;
	}
	*out = 0;
	return start;
}

/* One sample line, NUL-terminated and writable; 0 or -1. */
static int parse_line(char *line, struct expo_sample *s)
{
	size_t pos = 0;
	char *end, *name_end;
	double v;

	memset(s, 0, sizeof(*s));
	s->name = take_name(line, &pos);
	if (!s->name)
		return -1;
	name_end = line + pos;
	if (line[pos] == '{') {
		char sep = line[++pos];

		*name_end = 0;
		while (sep != '}') {
			char *lname = take_name(line, &pos), *lend = line + pos, *value;

			if (!lname || line[pos] != '=' || s->nlabels == EXPO_LABELS_MAX)
				return -1;
			pos++;
			*lend = 0;
			value = take_value(line, &pos);
			if (!value)
				return -1;
			s->labels[s->nlabels++] = (struct expo_label){ lname, value };
			sep = line[pos];
			if (sep == ',')
				sep = line[++pos];
			else if (sep != '}')
				return -1;
		}
		pos++;
	} else if (line[pos] != ' ') {
		return -1;
	}
	if (line[pos] != ' ')
		return -1;
	*name_end = 0;
	v = strtod(line + pos + 1, &end);
	/* An optional timestamp may follow. */
	if (end == line + pos + 1 || (*end && *end != ' '))
		return -1;
	s->value = v;
	return 0;
}

size_t expo_parse(const char *text, size_t len, expo_fn fn, void *arg)
{
	char line[EXPO_LINE_MAX];
	size_t bad = 0;

	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		struct expo_sample s;

		if (n && text[0] != '#') {
			if (n >= sizeof(line) || memchr(text, 0, n)) {
				bad++;
			} else {
				memcpy(line, text, n);
				line[n] = 0;
				if (parse_line(line, &s))
					bad++;
				else
					fn(arg, &s);
			}
		}
		if (!nl)
			break;
		len -= n + 1;
		text += n + 1;
	}
	return bad;
}

const char *expo_label(const struct expo_sample *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (!strcmp(s->labels[i].name, name))
			return s->labels[i].value;
	return NULL;
}
