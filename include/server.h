/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The daemon's HTTP endpoints: /metrics and /health. */
#ifndef SONDE_SERVER_H
#define SONDE_SERVER_H

#include <stdint.h>

struct strbuf;
struct MHD_Daemon;

struct server_handlers {
	/* Renders the exposition into out; 0 or a negative errno. */
	int (*metrics)(void *arg, struct strbuf *out);
	/* Non-zero once every hook is attached. */
	int (*ready)(void *arg);
	void *arg;
};

struct server {
	struct MHD_Daemon *mhd;
	struct server_handlers handlers;
};

int server_start(struct server *s, const char *host, uint16_t port, const struct server_handlers *h);
void server_stop(struct server *s);

#endif
