/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Rings of fixed-size items, the oldest at head, that grow by doubling. */
#ifndef SONDE_RING_H
#define SONDE_RING_H

#include <stddef.h>

/* Moves the count items of *slots (cap slots of size bytes, the oldest at
 * *head) into twice as many slots, or initial ones when there are none, in
 * order from slot 0. The caps stay powers of two when initial is one.
 * 0, or -ENOMEM with the ring unchanged. */
int ring_grow(void **slots, size_t size, size_t *cap, size_t *head, size_t count, size_t initial);

#endif
