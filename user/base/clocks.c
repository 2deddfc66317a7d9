// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "base/clocks.h"

void clocks_rfc3339(int64_t unix_ms, char out[CLOCKS_RFC3339_LEN])
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, CLOCKS_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, CLOCKS_RFC3339_LEN - n, ".%03dZ", (int)(unix_ms % 1000));
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clocks_unix_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t clocks_mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t clocks_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int clocks_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int ret;

	ret = pthread_condattr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return -ret;
}

int clocks_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline_ms / 1000),
			       .tv_nsec = (long)(deadline_ms % 1000) * 1000000 };

	if (clocks_mono_ms() >= deadline_ms)
		return ETIMEDOUT;
	return pthread_cond_timedwait(cond, mutex, &ts) == ETIMEDOUT ? ETIMEDOUT : 0;
}
