/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where exchanges go: the RED metrics first, then every sink the daemon
 * registered at start (spans, business metrics, alert rules, health), in
 * order. A new consumer of exchanges is one more sink. Called with the
 * pipeline's lock held. */
#ifndef SONDE_SINKS_H
#define SONDE_SINKS_H

#include <stddef.h>

#include "pipeline/exchange.h"

struct red;

#define SINKS_MAX 8

typedef void (*sink_fn)(void *arg, const struct exchange *x);

struct sinks {
	struct red *red;
	struct {
		sink_fn fn;
		void *arg;
	} list[SINKS_MAX];
	size_t n;
};

void sinks_init(struct sinks *s, struct red *red);
/* 0, or -ENOSPC past SINKS_MAX. */
int sinks_add(struct sinks *s, sink_fn fn, void *arg);
/* Records the exchange in the RED metrics and hands it to each sink. */
void sinks_emit(const struct sinks *s, const struct exchange *x);

#endif
