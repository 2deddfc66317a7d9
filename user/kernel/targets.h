/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Selectors to the kernel's target maps. exe selectors are matched by the
 * kernel at exec; processes already running, pid selectors (with their
 * descendants) and port selectors are found in /proc. */
#ifndef SONDE_TARGETS_H
#define SONDE_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/maps.h"
#include "base/options.h"
#include "pipeline/services.h"

struct targets {
	const struct sonde_options *opts;
	struct services *services;
	struct bpf_maps maps;
	uint32_t selector_service[SONDE_MAX_SELECTORS]; /* 0: named per process */
};

int targets_init(struct targets *t, const struct sonde_options *opts, struct services *services,
		 const struct bpf_maps *maps);
/* Selects the running processes that match; called at start and then
 * periodically for port selectors, whose listeners may come later. */
int targets_scan(struct targets *t);
int targets_have_port_selectors(const struct targets *t);
/* The processes that may hold observed TLS connections: the selected
 * ones, or every process when observing all or by cgroup (whose members
 * the kernel tells apart). Returns how many were written. */
size_t targets_pids(const struct targets *t, uint32_t *pids, size_t max);
/* Whether the selected processes are the targets map's, all known by pid:
 * there are selectors and none selects by cgroup. */
bool targets_by_pid(const struct targets *t);
/* Processes selected now (all processes but sonde when observing all). */
uint64_t targets_count(const struct targets *t);

#endif
