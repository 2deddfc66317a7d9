/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What /proc/PID/stat says of a process. */
#ifndef SONDE_PROCFS_H
#define SONDE_PROCFS_H

#include <stdint.h>

#define PROCFS_COMM_MAX 16 /* the kernel's TASK_COMM_LEN, with the NUL */

struct procfs_stat {
	char comm[PROCFS_COMM_MAX];
	uint32_t ppid;
	uint64_t utime, stime; /* clock ticks */
	uint64_t start_time; /* ticks after boot: with the pid, names the process */
};

/* 0, or a negative errno when the process is gone or its stat unreadable. */
int procfs_stat(uint32_t pid, struct procfs_stat *out);

#endif
