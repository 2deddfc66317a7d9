/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Least privilege: the daemon parses bytes from the network (HTTP/2,
 * RESP, pgwire, the API server's JSON) for the rest of its life, so it
 * keeps only what later uprobe attachment and /proc reading need, and
 * confines its syscalls once the hooks are in. */
#ifndef SONDE_PRIVILEGES_H
#define SONDE_PRIVILEGES_H

#include <stddef.h>

/* Before any thread starts (capabilities are per thread; the ones made
 * later inherit these): every capability but CAP_BPF, CAP_PERFMON,
 * CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH and CAP_SYS_RESOURCE
 * goes from every set, the bounding set included; of those, the ones the
 * process was not given stay out; no_new_privs is set. 0, or a negative
 * errno with err set. */
int privileges_drop(char *err, size_t errlen);
/* Once the hooks are attached, in every thread at once: a seccomp
 * allow-list of the syscalls the daemon makes; any other fails with
 * EPERM (never a kill: a library's unexpected call fails as it would
 * without the permission). 0, or a negative errno with err set. */
int privileges_confine(char *err, size_t errlen);

#endif
