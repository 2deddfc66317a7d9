/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Who calls whom on this host: a target's outgoing connection is known by
 * its local address (the connect event carries it), and a server on this
 * host sees that address as its peer, so its caller is that target; the
 * address the caller dialled is then known to be served by the server's
 * service, which names the callee of the caller's later requests. Both
 * tables are bounded: sets of a few slots, the least recently used one
 * taken for a new entry; an entry idle past the idle clock is free. */
#ifndef SONDE_CALLERS_H
#define SONDE_CALLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sonde.h"

#define CALLERS_SETS 2048
#define CALLERS_WAYS 4
#define CALLERS_NAME_MAX 64

struct caller_slot {
	struct sonde_peer key; /* a caller's local address, or a dialled one */
	struct sonde_peer dialled; /* a caller's: the address it connected to */
	char service[CALLERS_NAME_MAX];
	uint32_t touched; /* 0: free */
};

struct callers {
	uint32_t tick; /* advanced by callers_expire, from 1 */
	uint32_t idle_ticks;
	uint64_t evicted; /* live entries a new one took the place of */
	struct caller_slot calls[CALLERS_SETS][CALLERS_WAYS];
	struct caller_slot served[CALLERS_SETS][CALLERS_WAYS];
};

/* A table of no connections, freed with free(). Fresh zeroed pages: its
 * 1.8 MB stay untouched, out of the resident set, until connections fill
 * them. NULL out of memory. */
struct callers *callers_new(void);
/* The service's connection from local to dialled was established. */
void callers_connected(struct callers *c, const char *service, const struct sonde_peer *local,
		       const struct sonde_peer *dialled);
/* The service's connection from local closed: its port may be anyone's
 * next, a process sonde does not follow included. */
void callers_closed(struct callers *c, const struct sonde_peer *local);
/* The target on this host whose connection a server sees from peer, or
 * NULL; when found, what it dialled is served by server_service from now
 * on. The name is valid until the next call. */
const char *callers_caller(struct callers *c, const struct sonde_peer *peer, const char *server_service);
/* The service on this host that serves the address a client dialled, as
 * learnt from its callers, or NULL. */
const char *callers_callee(struct callers *c, const struct sonde_peer *dialled);
/* One tick of the idle clock: entries unused within the last idle_ticks
 * ticks are free. */
void callers_expire(struct callers *c, uint32_t idle_ticks);

#endif
