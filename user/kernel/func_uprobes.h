/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The probes of the configuration's functions (bpf/funcs.bpf.c), in the
 * processes of each function's service only. A function's file is decoded
 * once: native code gets an entry probe where the kernel emulates the
 * breakpoint (elf/sites.h) and a uretprobe there; a Go executable's
 * function an entry probe at its stack check's branch and one on each
 * return instruction; a Python function CPython's function__entry and
 * function__return USDT probes, its name picked in the kernel. The
 * probes go into a process when it becomes a target (kernel/uprobe_links.h)
 * or at the next scan, on the TLS probes' thread, which tells this module
 * of both. A reload's functions replace the old ones there. */
#ifndef SONDE_FUNC_UPROBES_H
#define SONDE_FUNC_UPROBES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/uprobe_links.h"
#include "pipeline/functions.h"

struct sonde_bpf;

/* An entry and up to this many returns less one: Go functions have one
 * probe per return instruction. */
#define FUNC_MAX_PROBES 24
/* Functions times files decoded at once. */
#define FUNC_MAX_SETS 512

/* One function's probes in one file. */
struct func_probeset {
	uint64_t dev, ino;
	uint32_t func; /* index in the functions */
	bool failed; /* not there, or not probeable: said once */
	uint8_t nprobes;
	uint64_t entry; /* the entry probe's file offset */
	char name[256]; /* the file as its process maps it */
	struct uprobe_probe probes[FUNC_MAX_PROBES];
};

/* A process's perf events on one function's probes. */
struct func_attachment {
	uint32_t pid;
	uint32_t func;
	uint64_t start_time;
	uint8_t nfds;
	int fds[FUNC_MAX_PROBES];
};

struct func_uprobes {
	struct sonde_bpf *skel;
	struct uprobe_links *links;
	int targets_fd; /* the kernel's targets map: a process's service */
	/* What a reload sets, taken up on the thread; guards next, dirty and
	 * the report's view of cur and attachments. */
	pthread_mutex_t lock;
	struct functions next, cur;
	uint32_t next_services[CONFIG_MAX_FUNCTIONS], services[CONFIG_MAX_FUNCTIONS];
	bool dirty;
	struct func_probeset *sets;
	size_t nsets;
	bool full_logged;
	struct func_attachment *attachments;
	size_t nattachments, attachments_cap;
	/* Calls of Go processes in flight at their exit: their goroutines'
	 * entries, swept here (a thread's go in the kernel at its exit). */
	atomic_uint_fast64_t exited;
};

void func_uprobes_init(struct func_uprobes *f);
/* Before the thread runs: the skeleton, the links the probes share with
 * the TLS ones, the targets map. 0 or -ENOMEM. */
int func_uprobes_start(struct func_uprobes *f, struct sonde_bpf *skel, struct uprobe_links *links, int targets_fd);
/* The functions to follow from now on, each with its service's id. */
void func_uprobes_set(struct func_uprobes *f, const struct functions *fns, const uint32_t *service_ids);
/* On the thread: a target's exec, fork or exit (enum sonde_target_what). */
void func_uprobes_target(void *arg, uint32_t pid, uint32_t what);
/* On the thread: every process that may be a target, at each scan. */
void func_uprobes_scan(void *arg, const uint32_t *pids, size_t n);
/* Detaches and removes every probe; after init, started or not. */
void func_uprobes_free(struct func_uprobes *f);

/* For the metrics: each function and the processes with its probes. */
typedef void (*func_report_fn)(void *arg, const struct function_config *fn, size_t processes);
void func_uprobes_report(struct func_uprobes *f, func_report_fn fn, void *arg);

#endif
