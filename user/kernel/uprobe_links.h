/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Uprobes that trap in the processes sonde follows and no other, attached
 * at the speed a short-lived process needs.
 *
 * Each probe is a tracefs uprobe event. Its BPF program hangs on one perf
 * event for a process of sonde's own that never runs the probed code, the
 * anchor, which also keeps the probe registered. A process is followed by
 * perf events of its own on each probe, without a program: the kernel
 * runs a probe's program wherever one of its perf events names the
 * process (the probe's filter), and breaks only there. A perf event that
 * carries a program costs every fork and exit of its process's children
 * tens of milliseconds, and one that goes waits for an RCU tasks-trace
 * grace period; these cost neither.
 *
 * Putting the breakpoints into a process that maps the file already waits
 * for a grace period of the kernel's uprobe registration lock (5 to 20 ms
 * here when it is cold), longer than a curl takes from its exec to its
 * first TLS write. A perf event opened to be enabled at exec skips that:
 * the kernel puts the breakpoints in when the process maps the file, and
 * a forked child has its parent's. Events are opened that way; the caller
 * checks that the breakpoints are in, and where they are not (the process
 * mapped the file first) has them put in the slow way. Another event for
 * that process would not do: the kernel puts breakpoints in only for a
 * process its filter does not name yet. The slow way is fast while the
 * lock is kept warm; a process exec'd after a quiet spell that maps the
 * file before its events are open may lose its first calls.
 *
 * The events are inherited, so a child is followed from its fork, until
 * it has events of its own (the caller opens them when the kernel reports
 * the fork). Inherited ones alone do not last: perf swaps the contexts of
 * sibling processes at a context switch, and the exit of one then frees
 * the other's inherited events, and its place in the filter. */
#ifndef SONDE_UPROBE_LINKS_H
#define SONDE_UPROBE_LINKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UPROBE_LINKS_MAX 8 /* probes of one process in one file */

struct bpf_link;
struct bpf_program;

/* One probe: a tracefs event and its program's link on the anchor. */
struct uprobe_probe {
	uint32_t event; /* tracefs id, 0 when not made */
	uint32_t seq; /* its name: sonde_PID/pSEQ */
	struct bpf_link *link;
};

#define UPROBE_LINKS_WARM_INTERVAL_MS 4

struct uprobe_links {
	pid_t anchor; /* a child of sonde's that sleeps: the programs' perf events name it */
	uint32_t seq; /* names of tracefs events */
	int warm_event; /* the warmer's probe, on a function of sonde's no one calls */
	int warm_anchor;
	pthread_t warmer;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int64_t warm_until_ms; /* monotonic */
	bool stopping, warmer_started;
};

/* Forks the anchor and starts the warmer, cold. 0 or a negative errno. */
int uprobe_links_start(struct uprobe_links *u);
/* Makes the probe at offset of the file at path, an entry or a return,
 * running prog with cookie; with a USDT semaphore at file offset ref_ctr
 * (0: none), which the kernel counts up in each process the probe is put
 * into. 0 or a negative errno. */
int uprobe_links_probe(struct uprobe_links *u, const char *path, uint64_t offset, uint64_t ref_ctr, bool ret,
		       struct bpf_program *prog, uint64_t cookie, struct uprobe_probe *out);
/* n probes for pid, and for the children it forks from now on until they
 * have their own, each a perf event of fds. The breakpoints go into what
 * it maps from now on, and a child has its parent's. All or none: 0, or a
 * negative errno with none left. */
int uprobe_links_attach(const struct uprobe_probe *probes, size_t n, pid_t pid, int *fds);
/* Whether a breakpoint sits at vaddr in pid: 1, 0, or a negative errno. */
int uprobe_links_installed(pid_t pid, uint64_t vaddr);
/* Puts the probes' breakpoints into every process mapping their file that
 * has events on them, where they are not yet: the slow way, at a grace
 * period or two. */
void uprobe_links_install(const struct uprobe_probe *probes, size_t n);
void uprobe_links_detach(const int *fds, size_t n);
/* Lets a probe go: its program's link, then its tracefs event. */
void uprobe_links_remove(struct uprobe_probe *p);
/* Keeps the slow way fast for ms from now: a registration every few ms
 * keeps the kernel's lock past its grace period (see above). Measured
 * here to cost a busy HTTPS nginx on the same node a tenth of its
 * throughput, it runs only while new targets are being exec'd. */
void uprobe_links_warm(struct uprobe_links *u, int64_t ms);
/* Stops the warmer and the anchor; after start, whether it succeeded. */
void uprobe_links_stop(struct uprobe_links *u);
/* The tracefs uprobe events of daemons that are gone. */
void uprobe_links_clean_stale(void);

#endif
