/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The routes each service has answered: a service's first few routes
 * that only ever got 404s keep their names (a missing file, a gone user
 * id), beyond that a 404 to a route the service never answered with
 * anything else is a path nobody serves (a scanner's, a typo) and counts
 * under one endpoint, KNOWN_ROUTES_UNMATCHED, so made-up paths cannot
 * mint series. Bounded; a route idle past the series' idle time is
 * forgotten with them. */
#ifndef SONDE_KNOWN_ROUTES_H
#define SONDE_KNOWN_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KNOWN_ROUTES_UNMATCHED "__unmatched__"
#define KNOWN_ROUTES_MAX 16384
/* Routes of one service that only got 404s, named before the rest collapse. */
#define KNOWN_ROUTES_NOT_FOUND_MAX 20

struct known_routes {
	struct known_route {
		uint64_t hash; /* 0: empty */
		uint32_t touched;
		/* A route: whether it got more than 404s; a service's own entry
		 * (route ""): how many of its routes got only 404s. */
		uint32_t n;
		char *key; /* service NUL route */
	} * slots; /* 2 * KNOWN_ROUTES_MAX */
	size_t used;
	uint32_t tick;
};

int known_routes_init(struct known_routes *k);
void known_routes_free(struct known_routes *k);
/* The endpoint a server response's route counts under: the route itself,
 * remembered, unless status is 404, the service never answered it
 * otherwise and has KNOWN_ROUTES_NOT_FOUND_MAX such routes already. */
const char *known_routes_endpoint(struct known_routes *k, const char *service, const char *route, int status);
/* One tick: routes not seen within the last idle_ticks ticks go. */
size_t known_routes_expire(struct known_routes *k, uint32_t idle_ticks);

#endif
