/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening, loading, attaching and tearing down the BPF objects. */
#ifndef SONDE_LOADER_H
#define SONDE_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct sonde_bpf;

struct bpf_maps {
	int config;
	int targets;
	int exe_targets;
	int stats;
	int events;
	int proc_conns;
	int cgroup_targets;
};

/* The keys of a map with u32 keys, up to max. */
size_t map_keys_u32(int fd, uint32_t *keys, size_t max);

int lifecycle_load(struct sonde_bpf **out, struct bpf_maps *maps);
int lifecycle_attach(struct sonde_bpf *skel);
void lifecycle_destroy(struct sonde_bpf *skel);

#endif
