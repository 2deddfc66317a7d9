// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "identity/identity.h"
#include "pipeline/services.h"

int services_intern(struct services *s, const char *name, uint32_t *id)
{
	size_t len = strlen(name);

	if (!len || len >= SONDE_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->names[i], name)) {
			*id = (uint32_t)i + 1;
			return 0;
		}
	}
	if (s->n == SONDE_MAX_SERVICES)
		return -ENOSPC;
	memcpy(s->names[s->n], name, len + 1);
	*id = (uint32_t)++s->n;
	return 0;
}

const char *services_name(const struct services *s, uint32_t id)
{
	if (!id || id > s->n)
		return NULL;
	return s->names[id - 1];
}

const char *services_label(const struct services *s, uint32_t id, const struct identity *ident, const char *comm,
			   char buf[SERVICES_COMM_MAX + 1])
{
	const char *name = services_name(s, id);

	if (name || (name = identity_workload(ident)))
		return name;
	memcpy(buf, comm, SERVICES_COMM_MAX);
	buf[SERVICES_COMM_MAX] = 0;
	return buf[0] ? buf : NULL;
}
