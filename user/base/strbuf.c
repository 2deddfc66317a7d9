// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

/* Room for extra more bytes and the NUL. */
static int reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *p;

	if (sb->err)
		return sb->err;
	if (extra > SIZE_MAX / 2 - sb->len)
		goto nomem;
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->data, cap);
	if (!p)
		goto nomem;
	sb->data = p;
	sb->cap = cap;
	return 0;
nomem:
	sb->err = -ENOMEM;
	return sb->err;
}

int strbuf_append(struct strbuf *sb, const char *p, size_t n)
{
	if (reserve(sb, n))
		return sb->err;
	memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = 0;
	return 0;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->err)
		return sb->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->err = -EINVAL;
		return sb->err;
	}
	if (reserve(sb, (size_t)n))
		return sb->err;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	memset(sb, 0, sizeof(*sb));
}
