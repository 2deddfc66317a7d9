/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A thread of its own that sleeps on a condition until there is work or
 * it is told to stop: the exporters' shape. */
#ifndef SONDE_WORKER_H
#define SONDE_WORKER_H

#include <pthread.h>
#include <stdbool.h>

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC, for clocks_wait_until */
	bool stopping; /* under lock */
	bool started;
};

/* Runs fn(arg) on a new thread. 0 or a negative errno. */
int worker_start(struct worker *w, void *(*fn)(void *), void *arg);
/* Sets stopping, wakes the thread and waits for it to return; nothing
 * for a worker never started. */
void worker_stop(struct worker *w);

#endif
