/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reads a Prometheus text exposition (version 0.0.4) back into samples:
 * what /metrics says, for the status page and `sonde top`, which may read
 * another host's sonde. The text is untrusted: a line that does not parse
 * is skipped and counted, never read past. */
#ifndef SONDE_EXPO_H
#define SONDE_EXPO_H

#include <stddef.h>

#define EXPO_LABELS_MAX 16
#define EXPO_LINE_MAX 4096 /* a longer sample line is skipped */

struct expo_label {
	const char *name;
	const char *value; /* unescaped */
};

/* One sample line. The strings live until the callback returns. */
struct expo_sample {
	const char *name;
	struct expo_label labels[EXPO_LABELS_MAX];
	size_t nlabels;
	double value;
};

typedef void (*expo_fn)(void *arg, const struct expo_sample *s);

/* Calls fn for each sample of the len bytes of text; comments and blank
 * lines are skipped. Returns the lines that did not parse. */
size_t expo_parse(const char *text, size_t len, expo_fn fn, void *arg);
/* The value of the label called name, or NULL. */
const char *expo_label(const struct expo_sample *s, const char *name);

#endif
