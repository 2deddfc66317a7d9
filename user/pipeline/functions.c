// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "pipeline/functions.h"

/* Ids are never 0, which the kernel's Python lookup means as none. */
#define FUNCTIONS_INDEX_BITS 8

void functions_set(struct functions *f, const struct function_config *cfg, size_t n)
{
	_Static_assert(CONFIG_MAX_FUNCTIONS < (1 << FUNCTIONS_INDEX_BITS), "an index fits its bits");
	f->generation++;
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		struct function_entry *e = &f->entries[i];
		const char *dot = strrchr(cfg[i].symbol, '.');

		memset(e, 0, sizeof(*e));
		e->cfg = cfg[i];
		e->id = (f->generation << FUNCTIONS_INDEX_BITS) | (uint32_t)(i + 1);
		if (cfg[i].runtime == FUNC_RUNTIME_PYTHON && dot) {
			size_t m = (size_t)(dot - cfg[i].symbol);

			memcpy(e->module, cfg[i].symbol, m < sizeof(e->module) ? m : sizeof(e->module) - 1);
			strncpy(e->py_name, dot + 1, sizeof(e->py_name) - 1);
		}
	}
}

const struct function_entry *functions_find(const struct functions *f, uint32_t id)
{
	uint32_t i = id & ((1u << FUNCTIONS_INDEX_BITS) - 1);

	if (!i || i > f->n || f->entries[i - 1].id != id)
		return NULL;
	return &f->entries[i - 1];
}

/* The last component of a dotted module name. */
static const char *module_leaf(const char *module)
{
	const char *dot = strrchr(module, '.');

	return dot ? dot + 1 : module;
}

bool functions_module_matches(const struct function_entry *e, const char *file, size_t len, bool cut)
{
	const char *leaf = module_leaf(e->module), *end = file + len, *base = end;
	size_t n = strlen(leaf);

	if (cut)
		return true;
	while (base > file && base[-1] != '/')
		base--;
	if ((size_t)(end - base) == n + 3 && !memcmp(base, leaf, n) && !memcmp(base + n, ".py", 3))
		return true;
	/* A package: its __init__.py, in a directory of its name. */
	if ((size_t)(end - base) != strlen("__init__.py") || memcmp(base, "__init__.py", 11) ||
	    base - file < (long)n + 1)
		return false;
	return !memcmp(base - 1 - n, leaf, n) && (base - 1 - n == file || base[-2 - (long)n] == '/');
}
