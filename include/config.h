/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The configuration file (--config FILE), YAML through libyaml. Strict: an
 * unknown key, a wrong type or a bad value is refused with the file, the
 * line, the key and what is wrong, and nothing of the file is used. */
#ifndef SONDE_CONFIG_H
#define SONDE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define CONFIG_MAX_ROUTES 256

struct service_config {
	char name[SONDE_NAME_MAX];
	struct selector match;   /* its service is the name */
	char **routes;           /* explicit route patterns, first match wins */
	size_t nroutes;
};

struct config {
	int has_listen;
	char listen_host[64];
	uint16_t listen_port;
	int has_namespace;
	char ns[SONDE_NAME_MAX];
	struct service_config services[SONDE_MAX_SELECTORS];
	size_t nservices;
};

/* Parses YAML text; file names the source in messages. Returns 0, or -EINVAL
 * with "FILE:LINE: key: what is wrong" in err. */
int config_parse(const char *file, const char *text, size_t len, struct config *out, char *err, size_t errlen);
/* Reads and parses a file. */
int config_load(const char *path, struct config *out, char *err, size_t errlen);
void config_free(struct config *c);

#endif
