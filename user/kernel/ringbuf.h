/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Draining the kernel's exchange events. The kernel side does not wake us
 * per event, so the drain runs on a short timer, and on a wake-up when the
 * ring fills past a quarter. */
#ifndef SONDE_RINGBUF_H
#define SONDE_RINGBUF_H

#include <pthread.h>
#include <stddef.h>

struct ring_buffer;

/* One sample of size bytes, as the kernel wrote it. */
typedef void (*ringbuf_event_fn)(void *arg, const void *sample, size_t size);

struct ringbuf {
	struct ring_buffer *rb;
	ringbuf_event_fn fn;
	void *arg;
};

int ringbuf_open(struct ringbuf *r, int map_fd, ringbuf_event_fn fn, void *arg);
/* Waits up to timeout_ms for a wake-up, then consumes everything queued
 * with lock held (one lock per batch, not per event). */
int ringbuf_drain(struct ringbuf *r, int timeout_ms, pthread_mutex_t *lock);
void ringbuf_close(struct ringbuf *r);

#endif
