/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Arrays that grow by doubling. */
#ifndef SONDE_GROW_H
#define SONDE_GROW_H

#include <errno.h>
#include <stdlib.h>

/* Room for one more item of size bytes in *items, n of *cap used: the
 * array doubles when full, first items at the start. 0 or -ENOMEM (the
 * array as it was). */
static inline int grow_for_one(void **items, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t more = *cap ? 2 * *cap : first;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*items, more * size);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = more;
	return 0;
}

#endif
