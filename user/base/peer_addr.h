/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A peer's address in one form: an IPv4 peer of a dual-stack socket is
 * v4-mapped (::ffff:a.b.c.d), the same address the IPv4 socket at the
 * other end knows. Bytes past an IPv4 address are zero. */
#ifndef SONDE_PEER_ADDR_H
#define SONDE_PEER_ADDR_H

#include <string.h>
#include <sys/socket.h>

#include "sonde.h"

static inline struct sonde_peer peer_addr_plain(const struct sonde_peer *p)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct sonde_peer out = { .family = p->family, .port = p->port };

	if (p->family == AF_INET6 && !memcmp(p->addr, mapped, sizeof(mapped))) {
		out.family = AF_INET;
		memcpy(out.addr, p->addr + 12, 4);
	} else if (p->family == AF_INET || p->family == AF_INET6) {
		memcpy(out.addr, p->addr, p->family == AF_INET ? 4 : 16);
	}
	return out;
}

#endif
