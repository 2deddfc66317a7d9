/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The BPF maps user space reads and writes, by file descriptor. */
#ifndef SONDE_MAPS_H
#define SONDE_MAPS_H

#include <stddef.h>
#include <stdint.h>

struct bpf_maps {
	int config;
	int targets;
	int exe_targets;
	int stats;
	int events;
	int proc_conns;
	int cgroup_targets;
	int target_events;
	int listeners;
	/* The strangers bitmap (bpf/maps.bpf.h), mapped. */
	uint64_t *strangers;
	size_t strangers_words;
	size_t strangers_len;
};

/* Clears a process's strangers bit: it is selected now. */
void maps_stranger_forget(const struct bpf_maps *maps, uint32_t pid);

/* The keys of a map with u32 keys, up to max. */
size_t maps_keys_u32(int fd, uint32_t *keys, size_t max);

#endif
