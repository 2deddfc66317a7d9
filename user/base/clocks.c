// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <time.h>

#include "base/clocks.h"

void rfc3339(int64_t unix_ms, char out[RFC3339_LEN])
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;

	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, RFC3339_LEN - n, ".%03dZ", (int)(unix_ms % 1000));
}

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t unix_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int64_t mono_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}
