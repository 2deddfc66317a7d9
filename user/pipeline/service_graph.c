// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "metrics/registry.h"
#include "pipeline/peers.h"
#include "pipeline/service_graph.h"

static const char *const edge_labels[] = { "client", "server", "connection_type" };

#define NEDGE (sizeof(edge_labels) / sizeof(edge_labels[0]))

static struct metric_family *add(struct registry *reg, const struct red_config *cfg, const char *name, const char *help,
				 enum metric_type type)
{
	bool histogram = type == METRIC_HISTOGRAM;
	struct metric_family *f = registry_add(reg, name, help, type, edge_labels, NEDGE,
					       histogram ? cfg->buckets : NULL, histogram ? cfg->nbuckets : 0,
					       cfg->family_cap ? cfg->family_cap : cfg->series_cap);

	/* By client first: one caller's many peers take no other's room. */
	if (f && family_limit_per_service(f, cfg->series_cap))
		return NULL;
	if (f && cfg->expire)
		family_expire_when_idle(f);
	return f;
}

int service_graph_init(struct service_graph *g, struct registry *reg, const struct red_config *cfg)
{
	memset(g, 0, sizeof(*g));
	g->requests =
		add(reg, cfg, "traces_service_graph_request_total", "Requests between two services", METRIC_COUNTER);
	g->failed = add(reg, cfg, "traces_service_graph_request_failed_total", "Failed requests between two services",
			METRIC_COUNTER);
	g->server_seconds = add(reg, cfg, "traces_service_graph_request_server_seconds",
				"Duration of requests between two services as the server saw them, in seconds",
				METRIC_HISTOGRAM);
	g->client_seconds = add(reg, cfg, "traces_service_graph_request_client_seconds",
				"Duration of requests between two services as the client saw them, in seconds",
				METRIC_HISTOGRAM);
	return g->requests && g->failed && g->server_seconds && g->client_seconds ? 0 : -ENOMEM;
}

/* Tempo's connection types: a database's client, a message broker's. */
static const char *connection_type(const struct exchange *x)
{
	if (!strcmp(x->protocol, "redis") || !strcmp(x->protocol, "postgresql") || !strcmp(x->protocol, "memcached") ||
	    !strcmp(x->protocol, "mysql"))
		return "database";
	if (exchange_is_messaging(x))
		return "messaging_system";
	return x->peer_service ? "" : "virtual_node";
}

void service_graph_exchange(struct service_graph *g, const struct exchange *x)
{
	char addr[PEER_LABEL_MAX];
	const char *labels[NEDGE];
	bool failed = x->call_error || exchange_server_error(x);

	if (x->connect_error)
		return;
	if (x->role == SONDE_ROLE_CLIENT) {
		/* A callee sonde cannot name is the address dialled: a virtual
		 * node, or a database by the client's protocol. */
		if (!x->peer_service)
			peers_format(x->peer, true, addr, sizeof(addr));
		labels[0] = x->service;
		labels[1] = x->peer_service ? x->peer_service : addr;
		labels[2] = connection_type(x);
		if (!x->unpaired)
			series_observe(family_series(g->client_seconds, labels), exchange_seconds(x));
	} else {
		labels[0] = x->peer_service ? x->peer_service : "user";
		labels[1] = x->service;
		labels[2] = connection_type(x);
		if (!x->unpaired)
			series_observe(family_series(g->server_seconds, labels), exchange_seconds(x));
		if (x->peer_counts)
			return;
	}
	series_add(family_series(g->requests, labels), 1);
	/* Failed from the edge's first request, at 0, so rates start there. */
	series_add(family_series(g->failed, labels), failed ? 1 : 0);
}
