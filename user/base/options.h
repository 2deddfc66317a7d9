/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The daemon's command line. */
#ifndef SONDE_OPTIONS_H
#define SONDE_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/log.h"

#define SONDE_MAX_SELECTORS 64
#define SONDE_MAX_BUCKETS 64
#define SONDE_NAME_MAX 64

enum selector_kind { SELECTOR_PID, SELECTOR_EXE, SELECTOR_PORT, SELECTOR_CGROUP };

/* Where the kernel side sees the targets' sockets (--hooks). */
enum hooks_mode { HOOKS_AUTO, HOOKS_SOCKETS, HOOKS_SYSCALLS };

/* pid:N, exe:NAME, port:N or cgroup:PATH, optionally =SERVICE. */
struct selector {
	enum selector_kind kind;
	unsigned long number; /* pid or port */
	char value[256]; /* exe name or cgroup path */
	char service[SONDE_NAME_MAX]; /* "" when not given */
};

struct sonde_options {
	char listen_host[64];
	uint16_t listen_port;
	char ns[SONDE_NAME_MAX];
	struct selector selectors[SONDE_MAX_SELECTORS];
	size_t nselectors;
	double buckets[SONDE_MAX_BUCKETS];
	size_t nbuckets;
	size_t series_cap; /* per family and service */
	size_t series_family_cap; /* per family, all services */
	uint64_t series_idle_ms; /* series and peers idle this long are dropped; 0: never */
	enum log_level log_level;
	const char *otlp_endpoint; /* --otlp-endpoint, or NULL */
	const char *config_path; /* --config, or NULL */
	const char *web_config_path; /* --web-config, or NULL */
	int listen_set; /* given as flags: they win over the file */
	int ns_set;
	double slow_threshold; /* seconds: slower requests are always traced */
	uint32_t max_connections; /* the kernel side's connection table */
	enum hooks_mode hooks;
	int show_help;
	int show_version;
};

#define OPTIONS_MAX_CONNECTIONS_DEFAULT 65536
#define OPTIONS_MAX_CONNECTIONS_MIN 1024
#define OPTIONS_MAX_CONNECTIONS_MAX (1 << 22)

void options_defaults(struct sonde_options *o);
/* Fills o from argv. Returns 0, or -EINVAL with a one-line reason in err. */
int options_parse(int argc, char **argv, struct sonde_options *o, char *err, size_t errlen);
int options_selector_parse(const char *spec, struct selector *s, char *err, size_t errlen);
extern const char options_usage[];

#endif
