/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A growable byte buffer. A failed allocation sets err and turns later
 * appends into no-ops, so a caller checks once, at the end. */
#ifndef SONDE_STRBUF_H
#define SONDE_STRBUF_H

#include <stddef.h>

/* Zero-initialised is empty. After a successful append data is
 * NUL-terminated (the NUL is not counted in len). */
struct strbuf {
	char *data;
	size_t len, cap;
	int err;
};

/* Both return 0 or sb->err: -ENOMEM, or -EINVAL for a format that
 * vsnprintf cannot expand. */
int strbuf_append(struct strbuf *sb, const char *p, size_t n);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees the data and leaves sb empty, with err cleared. */
void strbuf_free(struct strbuf *sb);

#endif
