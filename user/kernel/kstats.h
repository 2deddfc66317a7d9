/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The kernel side's per-CPU counters. */
#ifndef SONDE_KSTATS_H
#define SONDE_KSTATS_H

#include <stdint.h>

#include "sonde.h"

/* Sums each counter over the possible CPUs. */
int kstats_read(int map_fd, uint64_t out[SONDE_STAT_MAX]);

#endif
