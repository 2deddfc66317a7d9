/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The targets' TCP listeners, told to the kernel (the listeners map), so
 * a connection they accept is followed from its handshake, before any
 * byte: those in sonde's own network namespace, found by a sock_diag dump
 * of listeners; a new one's owner looked for among the targets' fds once.
 * The kernel learns the others from their first connection with bytes. */
#ifndef SONDE_LISTENERS_H
#define SONDE_LISTENERS_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/maps.h"

#define LISTENERS_KNOWN_MAX 1024
#define LISTENERS_DUMP_MAX 1024
#define LISTENERS_PIDS_MAX 16384

struct listener_sock {
	unsigned long inode;
	uint16_t port;
};

struct listeners {
	struct bpf_maps maps;
	uint32_t netns; /* inode of sonde's network namespace */
	unsigned long known[LISTENERS_KNOWN_MAX]; /* listener inodes looked at */
	size_t nknown;
};

/* The TCP sockets listening on port, IPv4 and IPv6 (port 0: on any), up
 * to max. Returns how many were written. */
size_t listeners_dump(unsigned long port, struct listener_sock *out, size_t max);
int listeners_init(struct listeners *l, const struct bpf_maps *maps);
/* Tells the kernel the new listeners of targets. 0. */
int listeners_tell(struct listeners *l);

#endif
