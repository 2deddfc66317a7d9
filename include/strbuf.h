/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growable byte buffer. A failed allocation sets err and makes later
 * appends no-ops, so a caller checks once, at the end. */
#ifndef SONDE_STRBUF_H
#define SONDE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *data;
	size_t len, cap;
	int err;
};

int strbuf_append(struct strbuf *sb, const char *p, size_t n);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(struct strbuf *sb);

#endif
