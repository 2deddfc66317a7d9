// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "pipeline/red.h"
#include "pipeline/sinks.h"

void sinks_init(struct sinks *s, struct red *red)
{
	memset(s, 0, sizeof(*s));
	s->red = red;
}

int sinks_add(struct sinks *s, sink_fn fn, void *arg)
{
	if (s->n == SINKS_MAX)
		return -ENOSPC;
	s->list[s->n].fn = fn;
	s->list[s->n].arg = arg;
	s->n++;
	return 0;
}

int sinks_add_calls(struct sinks *s, call_sink_fn fn, void *arg)
{
	if (s->ncalls == SINKS_MAX)
		return -ENOSPC;
	s->calls[s->ncalls].fn = fn;
	s->calls[s->ncalls].arg = arg;
	s->ncalls++;
	return 0;
}

void sinks_call(const struct sinks *s, const struct function_call *c)
{
	red_function(s->red, c);
	for (size_t i = 0; i < s->ncalls; i++)
		s->calls[i].fn(s->calls[i].arg, c);
}

void sinks_emit(const struct sinks *s, const struct exchange *x)
{
	red_exchange(s->red, x);
	for (size_t i = 0; i < s->n; i++)
		s->list[i].fn(s->list[i].arg, x);
}
