// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <sys/epoll.h>

#include <bpf/libbpf.h>

#include "base/log.h"
#include "kernel/ringbuf.h"

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ringbuf *r = ctx;

	r->fn(r->arg, data, size);
	return 0;
}

int ringbuf_open(struct ringbuf *r, int map_fd, ringbuf_event_fn fn, void *arg)
{
	r->fn = fn;
	r->arg = arg;
	r->rb = ring_buffer__new(map_fd, on_sample, r, NULL);
	if (!r->rb)
		return -errno;
	return 0;
}

int ringbuf_drain(struct ringbuf *r, int timeout_ms, pthread_mutex_t *lock)
{
	struct epoll_event ev;
	int ret;

	ret = epoll_wait(ring_buffer__epoll_fd(r->rb), &ev, 1, timeout_ms);
	if (ret < 0 && errno != EINTR)
		return -errno;
	pthread_mutex_lock(lock);
	ret = ring_buffer__consume(r->rb);
	pthread_mutex_unlock(lock);
	if (ret < 0) {
		log_warn("ringbuf", "consuming events failed: %d", ret);
		return ret;
	}
	return 0;
}

void ringbuf_close(struct ringbuf *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}
