/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The two clocks sonde reads, wall-clock times as the JSON endpoints and
 * receivers want them, and the one way its threads sleep: on a condition
 * variable of the monotonic clock, so a wall clock stepped back never holds
 * a wait up and a stop wakes it at once. */
#ifndef SONDE_CLOCKS_H
#define SONDE_CLOCKS_H

#include <pthread.h>
#include <stdint.h>

#define CLOCKS_RFC3339_LEN 32

/* Unix milliseconds as RFC 3339 UTC with milliseconds:
 * 2026-11-25T10:00:00.123Z. */
void clocks_rfc3339(int64_t unix_ms, char out[CLOCKS_RFC3339_LEN]);
/* CLOCK_REALTIME and CLOCK_MONOTONIC in milliseconds, and the latter in
 * nanoseconds, the kernel's event times. */
int64_t clocks_unix_ms(void);
int64_t clocks_mono_ms(void);
uint64_t clocks_mono_ns(void);

/* A condition variable that clocks_wait_until times on CLOCK_MONOTONIC.
 * 0 or a negative errno. */
int clocks_cond_init(pthread_cond_t *cond);
/* With mutex held: waits for a signal or until the monotonic time
 * deadline_ms. Returns ETIMEDOUT once the deadline has passed, else 0
 * (signalled, or woken early: the caller looks again). */
int clocks_wait_until(pthread_cond_t *cond, pthread_mutex_t *mutex, int64_t deadline_ms);

#endif
