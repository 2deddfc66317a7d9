/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Rings of fixed-size items, the oldest at head, that grow by doubling. */
#ifndef SONDE_RING_H
#define SONDE_RING_H

#include <stddef.h>
#include <stdint.h>

/* Moves the count items of *slots (cap slots of size bytes, the oldest at
 * *head) into twice as many slots, or initial ones when there are none, in
 * order from slot 0. The caps stay powers of two when initial is one.
 * 0, or -ENOMEM with the ring unchanged. */
int ring_grow(void **slots, size_t size, size_t *cap, size_t *head, size_t count, size_t initial);

/* A bounded ring of pending items: the slot of one more at its tail, the
 * ring grown (from 8) up to max items; when full, the oldest gives way and
 * *dropped counts it. NULL on ENOMEM, the ring unchanged. */
struct ring_fifo {
	void *slots;
	size_t cap, head, len;
};

void *ring_fifo_push(struct ring_fifo *f, size_t size, size_t max, uint64_t *dropped);

#endif
