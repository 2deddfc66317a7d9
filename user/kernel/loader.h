/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Opening, loading, attaching and tearing down the BPF objects. */
#ifndef SONDE_LOADER_H
#define SONDE_LOADER_H

#include <stdint.h>

struct sonde_bpf;

struct bpf_maps;

/* Opens and loads the programs of one mode (sockets: the socket layer's
 * hooks; else the syscall exit's), the connection tables sized to follow
 * max_conns at once, and finds the maps user space uses. */
int loader_load(struct sonde_bpf **out, struct bpf_maps *maps, uint32_t max_conns, int sockets, int inject,
		int socket_programs);
int loader_attach(struct sonde_bpf *skel);
void loader_destroy(struct sonde_bpf *skel, struct bpf_maps *maps);

#endif
