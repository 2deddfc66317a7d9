// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The configuration parser on arbitrary bytes: it accepts them or refuses
 * them with a "FILE:LINE: key: ..." message, and never crashes or leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config c;
	char err[512] = "";

	if (config_parse("f.yaml", (const char *)data, size, &c, err, sizeof(err))) {
		if (strncmp(err, "f.yaml:", 7))
			abort();
		return 0;
	}
	if (c.nchecks > CONFIG_MAX_CHECKS || c.nrules > CONFIG_MAX_RULES || c.nbusiness > CONFIG_MAX_BUSINESS ||
	    c.nnotifiers > CONFIG_MAX_NOTIFIERS)
		abort();
	config_free(&c);
	return 0;
}
