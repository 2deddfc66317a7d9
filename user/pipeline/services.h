/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Service names by the id the kernel carries in each event. */
#ifndef SONDE_SERVICES_H
#define SONDE_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "base/options.h"

struct identity;

#define SONDE_MAX_SERVICES 1024

struct services {
	char names[SONDE_MAX_SERVICES][SONDE_NAME_MAX];
	size_t n;
};

/* Returns the id (>= 1) of name, adding it if new; -ENOSPC when full,
 * -EINVAL for an empty or too long name. */
int services_intern(struct services *s, const char *name, uint32_t *id);
/* The name of id, or NULL for SONDE_SERVICE_BY_COMM and unknown ids. */
const char *services_name(const struct services *s, uint32_t id);
/* The service a process is counted as: the name of its selector's id,
 * else the workload owning its pod, else its command (comm, up to
 * SERVICES_COMM_MAX bytes, not necessarily NUL-terminated, copied into
 * buf); NULL when it has none. */
#define SERVICES_COMM_MAX 16
const char *services_label(const struct services *s, uint32_t id, const struct identity *ident, const char *comm,
			   char buf[SERVICES_COMM_MAX + 1]);

#endif
