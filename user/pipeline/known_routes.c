// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
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

const char *known_routes_endpoint(struct known_routes *k, const char *service, const char *route, int status)
{
	uint64_t h = key_hash(service, route);
	struct known_route *r = slot_of(k, h, service, route);
	size_t ns = strlen(service), nr = strlen(route);

	if (r->hash) {
		r->touched = k->tick;
		return route;
	}
	if (status == 404)
		return KNOWN_ROUTES_UNMATCHED;
	/* Full, the route is counted but not remembered: its 404s collapse. */
	if (k->used >= KNOWN_ROUTES_MAX || !(r->key = malloc(ns + nr + 2)))
		return route;
	memcpy(r->key, service, ns + 1);
	memcpy(r->key + ns + 1, route, nr + 1);
	r->hash = h;
	r->touched = k->tick;
	k->used++;
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
		k->used++;
	}
	free(old);
	return gone;
}
