/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Random trace and span ids: a fast generator seeded from the kernel's
 * entropy. */
#ifndef SONDE_IDS_H
#define SONDE_IDS_H

#include <stddef.h>
#include <stdint.h>

struct ids {
	uint64_t s[4];
};

/* 0 or -EIO. */
int ids_init(struct ids *src);
/* n random bytes, never all zero. */
void ids_random(struct ids *src, uint8_t *out, size_t n);

#endif
