/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The cgroup v2 hierarchy: where it is mounted (a hybrid host has it at
 * /sys/fs/cgroup/unified) and what the kernel calls a directory of it. */
#ifndef SONDE_CGROUP_H
#define SONDE_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* The cgroup2 mount point, from a mountinfo text. Returns 0 or -ENOENT. */
int cgroup_mount_from(const char *mountinfo, char *out, size_t size);
/* The cgroup2 mount point of this system, from /proc/self/mountinfo. */
int cgroup_mount(char *out, size_t size);
/* Resolves PATH, relative to the cgroup2 mount, to its directory, its id
 * (the inode number, which bpf_get_current_cgroup_id() reports) and its
 * depth below the root. */
int cgroup_resolve(const char *path, char *dir, size_t size, uint64_t *id, uint32_t *level);

#endif
