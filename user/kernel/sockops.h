/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where sockops runs: the cgroups of the targets when every selector is
 * a cgroup, else the root of the cgroup v2 hierarchy (pid, exe and port
 * targets come and go faster than an attach; the program tells their
 * sockets apart at the first lookup). Without cgroup v2, or where the
 * kernel refuses, live connections are told about at close only, and
 * no trace context is injected. */
#ifndef SONDE_SOCKOPS_H
#define SONDE_SOCKOPS_H

#include <stddef.h>
#include <stdint.h>

#include "base/options.h"
#include "sonde.h"

struct sonde_bpf;
struct bpf_link;

struct sockops {
	struct bpf_link *links[SONDE_MAX_CGROUP_TARGETS];
	size_t n;
	int injecting; /* sk_msg attached to inject_map */
	int inject_prog, inject_map;
};

/* Attaches the program, unless unavailable says why it was not loaded;
 * a failure is logged and leaves n at 0, which sockops_mode() reports.
 * With services that inject trace context (ids, n_inject of them), also
 * sk_msg on their client sockets. */
void sockops_start(struct sockops *so, struct sonde_bpf *skel, const struct sonde_options *opts,
		   const char *unavailable, const uint32_t *inject, size_t n_inject);
void sockops_stop(struct sockops *so);
/* "sockops", or "tracepoints" where it could not attach. */
const char *sockops_mode(const struct sockops *so);

#endif
