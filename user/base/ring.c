// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"

int ring_grow(void **slots, size_t size, size_t *cap, size_t *head, size_t count, size_t initial)
{
	size_t grown = *cap ? *cap * 2 : initial;
	char *to = malloc(grown * size);
	const char *from = *slots;

	if (!to)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++)
		memcpy(to + i * size, from + ((*head + i) % *cap) * size, size);
	free(*slots);
	*slots = to;
	*cap = grown;
	*head = 0;
	return 0;
}

void *ring_fifo_push(struct ring_fifo *f, size_t size, size_t max, uint64_t *dropped)
{
	if (f->len == f->cap) {
		if (f->cap >= max) {
			f->head = (f->head + 1) % f->cap;
			f->len--;
			(*dropped)++;
		} else if (ring_grow(&f->slots, size, &f->cap, &f->head, f->len, 8)) {
			return NULL;
		}
	}
	return (char *)f->slots + ((f->head + f->len++) % f->cap) * size;
}
