/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Prometheus text exposition format, version 0.0.4. */
#ifndef SONDE_PROM_H
#define SONDE_PROM_H

#include <stddef.h>

struct registry;
struct strbuf;

/* Renders every family, series in creation order then the overflow
 * series. Returns 0 or -ENOMEM. */
int prom_render(const struct registry *r, struct strbuf *out);
/* Formats a sample value: integers without exponent or decimals, other
 * values so that they read back exactly, +Inf, -Inf, NaN. */
void prom_format_value(double v, char *buf, size_t size);

#endif
