/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The daemon's HTTP endpoints: the status page at /, /metrics, /health,
 * /health/detailed and /alerts. */
#ifndef SONDE_SERVER_H
#define SONDE_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <stdatomic.h>

struct strbuf;
struct MHD_Daemon;
struct web_config;

/* Why a request was turned away by the web configuration. */
enum server_auth_failure { AUTH_NO_CREDENTIALS, AUTH_WRONG_PASSWORD, AUTH_CLIENT_CERTIFICATE, AUTH_FAILURES };

#define SERVER_VERIFIED_MAX 16

struct server_handlers {
	/* Renders the exposition into out, in OpenMetrics when asked; 0 or
	 * a negative errno. */
	int (*metrics)(void *arg, bool openmetrics, struct strbuf *out);
	/* /health (detailed 0) or /health/detailed (1): the JSON document and
	 * its HTTP status. 0 or a negative errno. */
	int (*health)(void *arg, int detailed, struct strbuf *out, unsigned int *status);
	/* /alerts: the active alerts as JSON. */
	int (*alerts)(void *arg, struct strbuf *out);
	/* /: the status page, HTML. */
	int (*page)(void *arg, struct strbuf *out);
	void *arg;
};

struct server {
	struct MHD_Daemon *mhd;
	struct server_handlers handlers;
	/* The last /metrics rendered, shared by the scrapes that come while
	 * another is still being sent: many clients that never read cost one
	 * copy of it, not one each. */
	pthread_mutex_t lock;
	struct MHD_Response *snapshot[2]; /* by format: 0.0.4, OpenMetrics */
	int64_t snapshot_ms[2];
	unsigned int sending; /* /metrics responses not yet completed */
	/* TLS and basic authentication, or NULL: plain HTTP for everyone. */
	const struct web_config *web;
	/* Passwords bcrypt accepted lately, by a digest: a scraper is not
	 * made to cost a bcrypt each time. Under lock. */
	struct {
		char user[128];
		unsigned char digest[32];
	} verified[SERVER_VERIFIED_MAX];
	size_t nverified, next_verified;
	atomic_ullong auth_failures[AUTH_FAILURES];
};

/* web (NULL: none) must stay valid until server_stop. */
int server_start(struct server *s, const char *host, uint16_t port, const struct server_handlers *h,
		 const struct web_config *web);
void server_stop(struct server *s);

#endif
