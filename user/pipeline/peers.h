/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Peer labels, bounded: an inbound connection's peer is its address alone
 * (the client's ephemeral port is noise), an outbound one's is ip:port,
 * and each service keeps at most a cap of distinct peers, beyond which
 * peers share the overflow label. */
#ifndef SONDE_PEERS_H
#define SONDE_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sonde.h"

#define PEER_LABEL_MAX 48 /* [IPv6]:port and the NUL */
#define PEER_OVERFLOW "__overflow__"
#define PEERS_TABLE_SIZE 8192

struct peers {
	size_t cap_per_service;
	size_t used;
	uint32_t tick; /* advanced by peers_expire */
	/* Known (service, peer) pairs, and the peers each service has. */
	struct peer_slot {
		unsigned long long hash;
		char service[64];
		char peer[PEER_LABEL_MAX];
		size_t count; /* in a service's slot (peer ""): its peers */
		uint32_t touched; /* the tick of its last label */
	} slots[PEERS_TABLE_SIZE];
};

void peers_init(struct peers *p, size_t cap_per_service);
/* Formats a peer: 127.0.0.1:8080, [::1]:8080, or without the port. */
void peers_format(const struct sonde_peer *peer, bool with_port, char *out, size_t size);
/* The label for this service's peer: the formatted peer while the service
 * is under its cap (or the peer is already known), else PEER_OVERFLOW. */
const char *peers_label(struct peers *p, const char *service, const struct sonde_peer *peer, bool inbound, char *out,
			size_t size);
/* One tick: peers not labelled within the last idle_ticks ticks are
 * forgotten, and their room in their service's cap comes back. Returns
 * how many went. */
size_t peers_expire(struct peers *p, uint32_t idle_ticks);

#endif
