// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "pipeline/known_routes.h"

#define SLOTS (2 * KNOWN_ROUTES_MAX)

int known_routes_init(struct known_routes *k)
{
	memset(k, 0, sizeof(*k));
	k->slots = calloc(SLOTS, sizeof(*k->slots));
	return k->slots ? 0 : -ENOMEM;
}

void known_routes_free(struct known_routes *k)
{
	for (size_t i = 0; k->slots && i < SLOTS; i++)
		free(k->slots[i].key);
	free(k->slots);
	memset(k, 0, sizeof(*k));
}

static uint64_t key_hash(const char *service, const char *route)
{
	return hash_string(hash_string(HASH_INIT, service), route) | 1;
}

static bool same_key(const char *key, const char *service, const char *route)
{
	size_t n = strlen(service);

	return !strncmp(key, service, n) && !key[n] && !strcmp(key + n + 1, route);
}

/* The slot of (service, route), or the empty one where it would go. */
static struct known_route *slot_of(struct known_routes *k, uint64_t h, const char *service, const char *route)
{
	size_t i = h & (SLOTS - 1);

	while (k->slots[i].hash && (k->slots[i].hash != h || !same_key(k->slots[i].key, service, route)))
		i = (i + 1) & (SLOTS - 1);
	return &k->slots[i];
}

/* A new entry in the empty slot r; false when full or out of memory. */
static bool remember(struct known_routes *k, struct known_route *r, uint64_t h, const char *service, const char *route,
		     uint32_t n)
{
	size_t ns = strlen(service), nr = strlen(route);

	if (k->used >= KNOWN_ROUTES_MAX || !(r->key = malloc(ns + nr + 2)))
		return false;
	memcpy(r->key, service, ns + 1);
	memcpy(r->key + ns + 1, route, nr + 1);
	r->hash = h;
	r->touched = k->tick;
	r->n = n;
	k->used++;
	return true;
}

/* The service's count of routes that only got 404s. */
static struct known_route *not_found_count(struct known_routes *k, const char *service)
{
	uint64_t h = key_hash(service, "");
	struct known_route *s = slot_of(k, h, service, "");

	if (!s->hash && !remember(k, s, h, service, "", 0))
		return NULL;
	s->touched = k->tick;
	return s;
}

const char *known_routes_endpoint(struct known_routes *k, const char *service, const char *route, int status)
{
	uint64_t h = key_hash(service, route);
	struct known_route *r = slot_of(k, h, service, route), *count;

	if (r->hash) {
		r->touched = k->tick;
		/* A route that only got 404s is answered now. */
		if (status != 404 && !r->n && (count = not_found_count(k, service)) && count->n) {
			count->n--;
			r->n = 1;
		}
		return route;
	}
	if (status != 404) {
		/* Full, the route is counted but not remembered. */
		remember(k, r, h, service, route, 1);
		return route;
	}
	count = not_found_count(k, service);
	/* slot_of's slot may have moved under the count's insertion. */
	r = slot_of(k, h, service, route);
	if (!count || count->n >= KNOWN_ROUTES_NOT_FOUND_MAX || !remember(k, r, h, service, route, 0))
		return KNOWN_ROUTES_UNMATCHED;
	count->n++;
	return route;
}

size_t known_routes_expire(struct known_routes *k, uint32_t idle_ticks)
{
	struct known_route *old = k->slots;
	uint32_t oldest;
	size_t gone = 0;

	k->tick++;
	oldest = k->tick - idle_ticks;
	/* Made again from what is still in use: open addressing has no
	 * deletion. Out of memory, it waits for the next tick. */
	k->slots = calloc(SLOTS, sizeof(*k->slots));
	if (!k->slots) {
		k->slots = old;
		return 0;
	}
	k->used = 0;
	for (size_t i = 0; i < SLOTS; i++) {
		const char *route;
		struct known_route *r;

		if (!old[i].hash)
			continue;
		if ((int32_t)(old[i].touched - oldest) < 0) {
			free(old[i].key);
			gone++;
			continue;
		}
		route = old[i].key + strlen(old[i].key) + 1;
		r = slot_of(k, old[i].hash, old[i].key, route);
		*r = old[i];
		if (!*route)
			r->n = 0;
		k->used++;
	}
	/* The services' counts, of the 404-only routes that stayed. */
	for (size_t i = 0; i < SLOTS; i++) {
		struct known_route *count;

		if (k->slots[i].hash && !k->slots[i].n && k->slots[i].key[strlen(k->slots[i].key) + 1] &&
		    (count = not_found_count(k, k->slots[i].key)))
			count->n++;
	}
	free(old);
	return gone;
}
