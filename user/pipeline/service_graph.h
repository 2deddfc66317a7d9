/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The service graph, named as Tempo's metrics generator names it so that
 * Grafana's service graph reads it unchanged: requests and failed requests
 * by (client, server, connection_type), and the server's and the client's
 * view of their duration. Each request is counted once on this host: by
 * its caller when the caller is a target, else by its server (a caller no
 * sonde follows is the virtual node "user"); a caller on another node is
 * left to that node's sonde. Called with the pipeline's lock held. */
#ifndef SONDE_SERVICE_GRAPH_H
#define SONDE_SERVICE_GRAPH_H

#include "pipeline/exchange.h"
#include "pipeline/red.h"

struct registry;
struct metric_family;

struct service_graph {
	struct metric_family *requests;
	struct metric_family *failed;
	struct metric_family *server_seconds;
	struct metric_family *client_seconds;
};

/* 0 or -ENOMEM. */
/* With the RED families' buckets and bounds (its namespace aside: the
 * names are Tempo's); series are capped per client. */
int service_graph_init(struct service_graph *g, struct registry *reg, const struct red_config *cfg);
/* The edge of one exchange; a failed connect is none. */
void service_graph_exchange(struct service_graph *g, const struct exchange *x);

#endif
