/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The functions of the configuration by the id their probes carry, and
 * their calls as the pipeline hands them on: one per return the kernel
 * saw, timed from its entry. A reload gives the functions new ids, so a
 * call of a function gone is never counted under another. */
#ifndef SONDE_FUNCTIONS_H
#define SONDE_FUNCTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

struct identity;

struct function_entry {
	struct function_config cfg;
	uint32_t id; /* the probes' cookie: generation and index */
	char module[256]; /* Python: the module, the symbol's part before its last dot */
	char py_name[SONDE_NAME_MAX]; /* Python: the function's name */
};

struct functions {
	struct function_entry entries[CONFIG_MAX_FUNCTIONS];
	size_t n;
	uint32_t generation;
};

/* One call: the function's service and name, and the outcome its return
 * value (or for Python, none) says. */
struct function_call {
	const struct function_entry *fn;
	uint32_t tgid, tid;
	const struct identity *id; /* or NULL */
	uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
	bool error;
	const char *file; /* the code's file where known, else "" */
};

/* The configuration's functions under ids of a new generation. */
void functions_set(struct functions *f, const struct function_config *cfg, size_t n);
/* The function of a probe's id, or NULL for one a reload dropped. */
const struct function_entry *functions_find(const struct functions *f, uint32_t id);
/* Whether a Python event's file is the function's module: its file's
 * name, or its package's directory for __init__.py. A file cut short in
 * the event matches. */
bool functions_module_matches(const struct function_entry *e, const char *file, size_t len, bool cut);

static inline double function_call_seconds(const struct function_call *c)
{
	return c->end_ns >= c->start_ns ? (double)(c->end_ns - c->start_ns) / 1e9 : 0;
}

#endif
