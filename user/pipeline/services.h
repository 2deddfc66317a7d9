/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Service names by the id the kernel carries in each event. */
#ifndef SONDE_SERVICES_H
#define SONDE_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "base/options.h"

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

#endif
