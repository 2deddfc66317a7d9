/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OpenSSL uprobes. Each file holding OpenSSL (a libssl a process maps,
 * or an executable with it linked in statically) is decoded once: the
 * probes on SSL_read_ex and SSL_write_ex (SSL_read and SSL_write where
 * those are all there is) go where the kernel emulates the breakpoint, the
 * internal function those call when they start with an instruction it
 * must single-step (elf/sites.h). With selectors the probes are attached
 * per target process (kernel/uprobe_links.h), so no other process mapping
 * the file traps, as soon as the kernel reports a new target at its exec
 * or fork; observing everything or by cgroup, once per file. */
#ifndef SONDE_TLS_UPROBES_H
#define SONDE_TLS_UPROBES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/uprobe_links.h"

/* Every executable of every process is looked at when all may be
 * observed: room for a node's worth of them. Full, the slots of files no
 * target has probes in are given back (any one can run 4,096 tiny
 * executables). */
#define TLS_MAX_FILES 4096
/* Points probed in one file: OpenSSL's read and write, the _ex form and
 * the plain one when they do not share an internal function; Go's
 * Read, Write and handshake entries and each of Read's return
 * instructions. */
#define TLS_MAX_POINTS 24
#define TLS_MAX_LINKS (2 * TLS_MAX_POINTS)
/* Scans in a row that may fail to attach to a file before it is left:
 * its process may have gone between reading its maps and attaching. */
#define TLS_MAX_TRIES 3

struct sonde_bpf;
struct bpf_link;
struct ring_buffer;

enum tls_mode {
	TLS_PER_FILE, /* every process mapping a probed file traps */
	TLS_PER_PROCESS, /* only the targets trap */
};

enum tls_file_state {
	TLS_FILE_NO_OPENSSL, /* no SSL_read defined in it, nor Go's TLS of a Go read */
	TLS_FILE_READY, /* decoded: its points are known */
	TLS_FILE_FAILED, /* tries times so far */
	TLS_FILE_FREE, /* a slot given back: no process used it any more */
};

enum tls_point_kind {
	TLS_OPENSSL, /* an entry probe, and for a read a return probe */
	TLS_GO_ENTRY, /* Go's crypto/tls: one probe at the entry */
	TLS_GO_RETURN, /* one at a return instruction of Read */
	TLS_GO_HANDSHAKE, /* one at the handshake's entry */
};

/* One function's probes in a file. */
struct tls_point {
	uint64_t offset; /* in the file */
	const char *func; /* the symbol it stands for: SSL_read_ex, ... */
	uint8_t kind; /* enum tls_point_kind */
	bool ex; /* (ssl, buf, num, size_t *done), not (ssl, buf, int num) */
	bool write;
	bool emulated; /* the kernel emulates the breakpoint's instruction */
	bool followed; /* the function the symbol calls, not the symbol */
	char insn[64];
};

/* A file looked at, by device and inode. */
struct tls_file {
	uint64_t dev;
	uint64_t ino;
	uint8_t state; /* enum tls_file_state */
	uint8_t tries;
	uint8_t npoints;
	uint8_t nprobes; /* per-process mode: made at the first target mapping it */
	char name[256]; /* its path in the maps of the process it was found in */
	struct tls_point points[TLS_MAX_POINTS];
	struct bpf_link *links[TLS_MAX_LINKS]; /* per-file mode */
	struct uprobe_probe probes[TLS_MAX_LINKS]; /* per-process mode */
};

/* Per-process mode: a target's perf events on the probes of one file. */
struct tls_attachment {
	uint32_t pid;
	uint32_t file; /* index in files */
	uint64_t start_time; /* of the process, so a reused pid is told apart */
	uint8_t nfds;
	bool checked; /* its breakpoints are known to be in */
	int fds[TLS_MAX_LINKS];
};

/* Writes the processes to look at into pids, up to max; returns how many. */
typedef size_t (*tls_pids_fn)(void *arg, uint32_t *pids, size_t max);

/* How long after sonde's start, and after a target's exec, the uprobe
 * registration is kept warm (kernel/uprobe_links.h). */
#define TLS_WARM_MS 10000

#define TLS_SCAN_PIDS 16384
#define TLS_SCAN_INTERVAL_MS 1000

struct tls_uprobes {
	struct sonde_bpf *skel;
	enum tls_mode mode;
	/* Guards files, nfiles, attachments and nattachments: the thread
	 * changes them, scrapes read them. */
	pthread_mutex_t lock;
	/* TLS_MAX_FILES of them, calloc'd at start: a page is touched only
	 * once files reach it. */
	struct tls_file *files;
	size_t nfiles;
	bool full_logged;
	struct tls_attachment *attachments;
	size_t nattachments, attachments_cap;
	/* The scans after the first and the target events are handled on a
	 * thread of its own: reading the maps of a node's processes takes long
	 * enough to stall the ring buffer's drain. */
	tls_pids_fn pids_fn;
	void *pids_arg;
	uint32_t *pids;
	struct ring_buffer *targets; /* per-process mode: new and exited targets */
	int epoll_fd, stop_fd;
	pthread_t thread;
	bool started;
	struct uprobe_links links; /* per-process mode, or with a hook */
	/* Told, on the thread, of each target event and each scan's
	 * processes: the function probes (kernel/func_uprobes.h) follow the
	 * same targets, and share the links. */
	struct {
		void (*target)(void *arg, uint32_t pid, uint32_t what);
		void (*scan)(void *arg, const uint32_t *pids, size_t n);
		void *arg;
	} hook;
};

void tls_uprobes_init(struct tls_uprobes *t);
/* Looks at the OpenSSL files targets will map (the system's libssl), and
 * at the memory maps of the processes pids_fn names, and attaches; then,
 * on a thread until tls_uprobes_free, follows the target events of
 * target_events_fd (a ring of struct sonde_target_event) and scans again
 * every TLS_SCAN_INTERVAL_MS. 0 or a negative errno. */
int tls_uprobes_start(struct tls_uprobes *t, struct sonde_bpf *skel, enum tls_mode mode, tls_pids_fn pids_fn, void *arg,
		      int target_events_fd);
/* Stops the thread, if started, and detaches every probe; after init,
 * whether or not it started. */
void tls_uprobes_free(struct tls_uprobes *t);

/* For the metrics: each probed point of each file, and the processes
 * with probes of their own. Takes the lock. */
typedef void (*tls_point_fn)(void *arg, const struct tls_file *f, const struct tls_point *p);
size_t tls_uprobes_report(struct tls_uprobes *t, tls_point_fn fn, void *arg);

#endif
