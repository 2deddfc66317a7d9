// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "otel/ids.h"

int ids_init(struct ids *src)
{
	if (getrandom(src->s, sizeof(src->s), 0) != sizeof(src->s))
		return -EIO;
	if (!(src->s[0] | src->s[1] | src->s[2] | src->s[3]))
		src->s[0] = 1;
	return 0;
}

/* xoshiro256**: ids must be unique, not secret. */
static uint64_t next(struct ids *src)
{
	uint64_t *s = src->s, result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return result;
}

void ids_random(struct ids *src, uint8_t *out, size_t n)
{
	do {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = next(src);

			memcpy(out + i, &v, n - i < 8 ? n - i : 8);
		}
		/* An all-zero id is invalid: draw again. */
	} while (!memcmp(out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", n));
}
