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
/* Function calls go to the RED metrics and to call sinks (spans). */
struct function_call;
typedef void (*call_sink_fn)(void *arg, const struct function_call *c);

struct sinks {
	struct red *red;
	struct {
		sink_fn fn;
		void *arg;
	} list[SINKS_MAX];
	size_t n;
	struct {
		call_sink_fn fn;
		void *arg;
	} calls[SINKS_MAX];
	size_t ncalls;
};

void sinks_init(struct sinks *s, struct red *red);
/* 0, or -ENOSPC past SINKS_MAX. */
int sinks_add(struct sinks *s, sink_fn fn, void *arg);
int sinks_add_calls(struct sinks *s, call_sink_fn fn, void *arg);
/* Records the exchange in the RED metrics and hands it to each sink. */
void sinks_emit(const struct sinks *s, const struct exchange *x);
/* The same for a function call. */
void sinks_call(const struct sinks *s, const struct function_call *c);

#endif
