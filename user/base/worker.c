// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "base/clocks.h"
#include "base/worker.h"

int worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	int ret;

	w->stopping = false;
	pthread_mutex_init(&w->lock, NULL);
	ret = clocks_cond_init(&w->wake);
	if (ret) {
		pthread_mutex_destroy(&w->lock);
		return ret;
	}
	ret = pthread_create(&w->thread, NULL, fn, arg);
	if (ret) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		return -ret;
	}
	w->started = true;
	return 0;
}

void worker_stop(struct worker *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	w->started = false;
}
