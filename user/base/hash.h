/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* FNV-1a, 64 bits: the hash of every table keyed by strings. */
#ifndef SONDE_HASH_H
#define SONDE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 14695981039346656037ull

static inline uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* A string and a separator after it, so that ("ab", "c") and ("a", "bc")
 * hash apart. */
static inline uint64_t hash_string(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

#endif
