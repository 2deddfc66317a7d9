/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The OpenSSL probes: SSL_read, SSL_write and their _ex forms, attached
 * once per library file (any process mapping it is then covered, also
 * later ones) found in the memory maps of the observed processes; an
 * executable with OpenSSL linked in statically counts as a library when
 * its symbols are there. */
#ifndef SONDE_TLS_PROBES_H
#define SONDE_TLS_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TLS_MAX_FILES 64
#define TLS_NPROBES 8

struct sonde_bpf;
struct bpf_link;

/* A file looked at: attached to, or without OpenSSL's symbols. */
struct tls_file {
	uint64_t dev;
	uint64_t ino;
	bool attached;
	struct bpf_link *links[TLS_NPROBES];
};

struct tls_probes {
	struct sonde_bpf *skel;
	struct tls_file files[TLS_MAX_FILES];
	size_t nfiles;
	size_t attached;
};

void tls_probes_init(struct tls_probes *t, struct sonde_bpf *skel);
/* Looks at the memory maps of these processes and attaches to the
 * OpenSSL files not seen before. Returns how many were attached now. */
int tls_probes_scan(struct tls_probes *t, const uint32_t *pids, size_t n);
void tls_probes_free(struct tls_probes *t);

#endif
