/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What /proc says of a process: its stat, the sockets it holds. */
#ifndef SONDE_PROCFS_H
#define SONDE_PROCFS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define PROCFS_COMM_MAX 16 /* the kernel's TASK_COMM_LEN, with the NUL */

struct procfs_stat {
	char comm[PROCFS_COMM_MAX];
	uint32_t ppid;
	uint64_t utime, stime; /* clock ticks */
	uint64_t start_time; /* ticks after boot: with the pid, names the process */
	char state; /* R, S, D, ...; Z once it exited, not yet reaped */
	bool exiting; /* PF_EXITING: its exit has begun, before it shows Z */
};

/* 0, or a negative errno when the process is gone or its stat unreadable. */
int procfs_stat(uint32_t pid, struct procfs_stat *out);
/* Whether one of the process's fds is a socket with one of these inodes. */
int procfs_holds_socket(uint32_t pid, const unsigned long *inodes, size_t n);

#endif
