/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-process figures gathered at scrape time: open server connections
 * (counted by the kernel) and resource use (read from /proc). */
#ifndef SONDE_PROCESSES_H
#define SONDE_PROCESSES_H

struct k8s;

#include <stddef.h>
#include <stdint.h>

#include "kernel/maps.h"
#include "pipeline/red.h"
#include "pipeline/services.h"

struct cpu_seen {
	uint32_t tgid;
	uint64_t start_time;
	double cpu_seconds;
};

struct proc_entry;

struct processes {
	struct cpu_seen *seen; /* sorted by tgid: the previous scrape */
	size_t nseen;
	struct proc_entry *entries;
	struct process_sample *samples; /* the last scrape's, for red_processes */
	size_t nsamples;
};

/* Samples every selected process and every process holding observed
 * server connections into p->samples. Reads /proc: call it without the
 * pipeline's lock, then hand the samples to red_processes. */
int processes_collect(struct processes *p, const struct bpf_maps *maps, const struct services *services,
		      int observe_all, struct k8s *k8s);
void processes_free(struct processes *p);

#endif
