/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening, loading, attaching and tearing down the BPF objects. */
#ifndef SONDE_LIFECYCLE_H
#define SONDE_LIFECYCLE_H

struct sonde_bpf;

struct bpf_maps {
	int config;
	int targets;
	int exe_targets;
	int stats;
	int events;
};

int lifecycle_load(struct sonde_bpf **out, struct bpf_maps *maps);
int lifecycle_attach(struct sonde_bpf *skel);
void lifecycle_destroy(struct sonde_bpf *skel);

#endif
