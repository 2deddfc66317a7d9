/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The connections whose bytes the kernel hands over (HTTP/2, Redis,
 * PostgreSQL), each with its protocol's parser, in a bounded table: when
 * it is full the least recently used connection makes room. */
#ifndef SONDE_STREAMS_H
#define SONDE_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "sonde.h"
#include "proto/wire.h"

struct stream_conn;

struct streams {
	struct stream_conn *slots; /* open addressing, nslots a power of two */
	size_t nslots;
	size_t used;
	size_t max;
	uint64_t tick;
	uint64_t evicted; /* connections dropped to make room */
};

int streams_init(struct streams *s, size_t max_conns);
void streams_free(struct streams *s);
/* Feeds one data event to its connection's parser, which calls cb per
 * call completed. Returns 0; -EBADMSG when the bytes did not parse and
 * the parser found its footing again; -EPROTO when it could not (the
 * connection is left alone from then on); -EINVAL for an unknown
 * protocol; -ENOMEM when no parser could be made. */
int streams_feed(struct streams *s, const struct sonde_data_event *ev, wire_call_fn cb, void *arg);
/* Drops the connections of a process that exited. */
void streams_forget(struct streams *s, uint32_t tgid);
/* The protocol name of a data event's connection, for counting failures. */
const char *streams_protocol(uint8_t proto);

#endif
