/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OpenSSL probes: SSL_read, SSL_write and their _ex forms, attached
 * once per library file (any process mapping it is then covered, also
 * later ones) found in the memory maps of the observed processes; an
 * executable with OpenSSL linked in statically counts as a library when
 * its symbols are there. */
#ifndef SONDE_TLS_UPROBES_H
#define SONDE_TLS_UPROBES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Every executable of every process is looked at when all may be
 * observed: room for a node's worth of them. */
#define TLS_MAX_FILES 4096
#define TLS_NPROBES 8
/* Scans in a row that may fail to attach to a file before it is left:
 * its process may have gone between reading its maps and attaching. */
#define TLS_MAX_TRIES 3

struct sonde_bpf;
struct bpf_link;

enum tls_file_state {
	TLS_FILE_NO_OPENSSL, /* no SSL_read defined in it */
	TLS_FILE_ATTACHED,
	TLS_FILE_FAILED, /* tries times so far */
};

/* A file looked at, by device and inode. */
struct tls_file {
	uint64_t dev;
	uint64_t ino;
	uint8_t state; /* enum tls_file_state */
	uint8_t tries;
	struct bpf_link *links[TLS_NPROBES];
};

/* Writes the processes to look at into pids, up to max; returns how many. */
typedef size_t (*tls_pids_fn)(void *arg, uint32_t *pids, size_t max);

#define TLS_SCAN_PIDS 16384
#define TLS_SCAN_INTERVAL_MS 1000

struct tls_uprobes {
	struct sonde_bpf *skel;
	struct tls_file files[TLS_MAX_FILES];
	size_t nfiles;
	bool full_logged;
	/* The scans after the first run on a thread of their own: reading
	 * the maps of a node's processes takes long enough to stall the
	 * ring buffer's drain. */
	tls_pids_fn pids_fn;
	void *pids_arg;
	uint32_t *pids;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started, stopping;
};

void tls_uprobes_init(struct tls_uprobes *t, struct sonde_bpf *skel);
/* Looks at the memory maps of these processes and attaches to the
 * OpenSSL files not seen before. Returns how many were attached now. */
int tls_uprobes_scan(struct tls_uprobes *t, const uint32_t *pids, size_t n);
/* Scans the processes pids_fn names now, then every TLS_SCAN_INTERVAL_MS
 * on a thread until tls_uprobes_free. Returns 0 or a negative errno. */
int tls_uprobes_start(struct tls_uprobes *t, tls_pids_fn pids_fn, void *arg);
/* Stops the thread, if started, and detaches every probe. */
void tls_uprobes_free(struct tls_uprobes *t);

#endif
