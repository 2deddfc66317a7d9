/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Wall-clock times as the JSON endpoints and receivers want them. */
#ifndef SONDE_CLOCKS_H
#define SONDE_CLOCKS_H

#include <stdint.h>

#define RFC3339_LEN 32

/* Unix milliseconds as RFC 3339 UTC with milliseconds:
 * 2026-11-25T10:00:00.123Z. */
void rfc3339(int64_t unix_ms, char out[RFC3339_LEN]);
/* CLOCK_REALTIME and CLOCK_MONOTONIC in milliseconds. */
int64_t unix_now_ms(void);
int64_t mono_now_ms(void);

#endif
