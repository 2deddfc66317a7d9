// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/hash.h"
#include "pipeline/peers.h"

void peers_init(struct peers *p, size_t cap_per_service)
{
	memset(p, 0, sizeof(*p));
	p->cap_per_service = cap_per_service;
}

void peers_format(const struct sonde_peer *peer, bool with_port, char *out, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (peer->family == AF_INET)
		inet_ntop(AF_INET, peer->addr, addr, sizeof(addr));
	else if (peer->family == AF_INET6)
		inet_ntop(AF_INET6, peer->addr, addr, sizeof(addr));
	else
		strcpy(addr, "unknown");
	if (!with_port)
		snprintf(out, size, "%s", addr);
	else if (peer->family == AF_INET6)
		snprintf(out, size, "[%s]:%u", addr, peer->port);
	else
		snprintf(out, size, "%s:%u", addr, peer->port);
}

/* The slot of (service, peer), or NULL; with create, a new empty slot for
 * it when there is room. A service's own slot has peer "". */
static struct peer_slot *slot_of(struct peers *p, const char *service, const char *peer, bool create)
{
	unsigned long long h = hash_string(hash_string(HASH_INIT, service), peer) | 1;
	size_t i = h % PEERS_TABLE_SIZE;

	for (; p->slots[i].hash; i = (i + 1) % PEERS_TABLE_SIZE)
		if (p->slots[i].hash == h && !strcmp(p->slots[i].service, service) && !strcmp(p->slots[i].peer, peer))
			return &p->slots[i];
	/* Keep the table at most three quarters full so probes end. */
	if (!create || p->used >= PEERS_TABLE_SIZE * 3 / 4)
		return NULL;
	p->slots[i].hash = h;
	snprintf(p->slots[i].service, sizeof(p->slots[i].service), "%s", service);
	snprintf(p->slots[i].peer, sizeof(p->slots[i].peer), "%s", peer);
	p->slots[i].count = 0;
	p->used++;
	return &p->slots[i];
}

const char *peers_label(struct peers *p, const char *service, const struct sonde_peer *peer, bool inbound, char *out,
			size_t size)
{
	struct peer_slot *svc, *known;

	peers_format(peer, !inbound, out, size);
	if (strlen(service) >= sizeof(p->slots[0].service))
		return PEER_OVERFLOW;
	known = slot_of(p, service, out, false);
	if (known) {
		known->touched = p->tick;
		return out;
	}
	svc = slot_of(p, service, "", true);
	if (!svc || svc->count >= p->cap_per_service || !(known = slot_of(p, service, out, true)))
		return PEER_OVERFLOW;
	svc->touched = known->touched = p->tick;
	svc->count++;
	return out;
}

size_t peers_expire(struct peers *p, uint32_t idle_ticks)
{
	struct peer_slot *old = malloc(sizeof(p->slots));
	uint32_t oldest;
	size_t gone = 0;

	p->tick++;
	oldest = p->tick - idle_ticks;
	/* Open addressing has no deletion: the table is made again from the
	 * peers still in use. Out of memory, it waits for the next tick. */
	if (!old)
		return 0;
	memcpy(old, p->slots, sizeof(p->slots));
	memset(p->slots, 0, sizeof(p->slots));
	p->used = 0;
	for (size_t i = 0; i < PEERS_TABLE_SIZE; i++) {
		struct peer_slot *svc, *kept;

		if (!old[i].hash || !old[i].peer[0])
			continue;
		if ((int32_t)(old[i].touched - oldest) < 0) {
			gone++;
			continue;
		}
		svc = slot_of(p, old[i].service, "", true);
		kept = slot_of(p, old[i].service, old[i].peer, true);
		if (svc && kept) {
			svc->count++;
			svc->touched = kept->touched = old[i].touched;
		}
	}
	free(old);
	return gone;
}
