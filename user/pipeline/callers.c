// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/hash.h"
#include "base/peer_addr.h"
#include "pipeline/callers.h"

struct callers *callers_new(void)
{
	struct callers *c = calloc(1, sizeof(*c));

	if (c) {
		c->tick = 1;
		c->idle_ticks = UINT32_MAX;
	}
	return c;
}

static bool same(const struct sonde_peer *a, const struct sonde_peer *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, n);
}

static bool live(const struct callers *c, const struct caller_slot *s)
{
	return s->touched && c->tick - s->touched <= c->idle_ticks;
}

static struct caller_slot *set_of(struct caller_slot (*table)[CALLERS_WAYS], const struct sonde_peer *key)
{
	uint64_t h = hash_bytes(HASH_INIT, &key->family, sizeof(key->family));

	h = hash_bytes(h, &key->port, sizeof(key->port));
	h = hash_bytes(h, key->addr, key->family == AF_INET ? 4 : 16);
	return table[h % CALLERS_SETS];
}

static struct caller_slot *find(struct callers *c, struct caller_slot (*table)[CALLERS_WAYS],
				const struct sonde_peer *key)
{
	struct caller_slot *set = set_of(table, key);

	for (size_t i = 0; i < CALLERS_WAYS; i++)
		if (live(c, &set[i]) && same(&set[i].key, key)) {
			set[i].touched = c->tick;
			return &set[i];
		}
	return NULL;
}

/* The key's slot, else a free one, else the least recently used. */
static struct caller_slot *take(struct callers *c, struct caller_slot (*table)[CALLERS_WAYS],
				const struct sonde_peer *key)
{
	struct caller_slot *set = set_of(table, key), *free_slot = NULL, *oldest = &set[0];

	for (size_t i = 0; i < CALLERS_WAYS; i++) {
		if (!live(c, &set[i])) {
			free_slot = free_slot ? free_slot : &set[i];
			continue;
		}
		if (same(&set[i].key, key))
			return &set[i];
		if (set[i].touched < oldest->touched)
			oldest = &set[i];
	}
	if (free_slot)
		return free_slot;
	c->evicted++;
	return oldest;
}

static void put(struct callers *c, struct caller_slot (*table)[CALLERS_WAYS], const struct sonde_peer *key,
		const struct sonde_peer *dialled, const char *service)
{
	struct caller_slot *s = take(c, table, key);

	s->key = *key;
	if (dialled)
		s->dialled = *dialled;
	snprintf(s->service, sizeof(s->service), "%s", service);
	s->touched = c->tick;
}

void callers_connected(struct callers *c, const char *service, const struct sonde_peer *local,
		       const struct sonde_peer *dialled)
{
	struct sonde_peer key = peer_addr_plain(local), to = peer_addr_plain(dialled);

	if (key.family)
		put(c, c->calls, &key, &to, service);
}

void callers_closed(struct callers *c, const struct sonde_peer *local)
{
	struct sonde_peer key = peer_addr_plain(local);
	struct caller_slot *s = key.family ? find(c, c->calls, &key) : NULL;

	if (s)
		s->touched = 0;
}

const char *callers_caller(struct callers *c, const struct sonde_peer *peer, const char *server_service)
{
	struct sonde_peer key = peer_addr_plain(peer);
	struct caller_slot *s = key.family ? find(c, c->calls, &key) : NULL;

	if (!s)
		return NULL;
	if (s->dialled.family) {
		struct caller_slot *known = find(c, c->served, &s->dialled);

		if (!known || strcmp(known->service, server_service))
			put(c, c->served, &s->dialled, NULL, server_service);
	}
	return s->service;
}

const char *callers_callee(struct callers *c, const struct sonde_peer *dialled)
{
	struct sonde_peer key = peer_addr_plain(dialled);
	struct caller_slot *s = key.family ? find(c, c->served, &key) : NULL;

	return s ? s->service : NULL;
}

void callers_expire(struct callers *c, uint32_t idle_ticks)
{
	c->tick++;
	c->idle_ticks = idle_ticks;
}
