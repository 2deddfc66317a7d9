// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"
#include "metrics/registry.h"
#include "otel/otel_metrics.h"

#define NATTRS(a) (sizeof(a) / sizeof((a)[0]))

static const struct otel_attr http_server[] = {
	{ "http_request_method", "http.request.method", false },
	{ "http_route", "http.route", false },
	{ "http_response_status_code", "http.response.status_code", true },
	{ "url_scheme", "url.scheme", false },
	{ "network_protocol_version", "network.protocol.version", false },
};
static const struct otel_attr http_client[] = {
	{ "http_request_method", "http.request.method", false },
	{ "server_address", "server.address", false },
	{ "http_response_status_code", "http.response.status_code", true },
	{ "url_scheme", "url.scheme", false },
	{ "network_protocol_version", "network.protocol.version", false },
};
static const struct otel_attr rpc[] = {
	{ "rpc_system", "rpc.system", false },
	{ "rpc_service", "rpc.service", false },
	{ "rpc_method", "rpc.method", false },
	{ "rpc_grpc_status_code", "rpc.grpc.status_code", true },
};
static const struct otel_attr db_client[] = {
	{ "db_system_name", "db.system.name", false },
	{ "db_operation_name", "db.operation.name", false },
	{ "server_address", "server.address", false },
	{ "error_type", "error.type", false },
};

static const struct otel_metric_desc descs[OTEL_METRICS] = {
	[OTEL_HTTP_SERVER] = { "http.server.request.duration", "Duration of HTTP server requests.", http_server,
			       NATTRS(http_server) },
	[OTEL_HTTP_CLIENT] = { "http.client.request.duration", "Duration of HTTP client requests.", http_client,
			       NATTRS(http_client) },
	[OTEL_RPC_SERVER] = { "rpc.server.duration", "Duration of inbound RPCs.", rpc, NATTRS(rpc) },
	[OTEL_RPC_CLIENT] = { "rpc.client.duration", "Duration of outbound RPCs.", rpc, NATTRS(rpc) },
	[OTEL_DB_CLIENT] = { "db.client.operation.duration", "Duration of database client operations.", db_client,
			     NATTRS(db_client) },
};

const struct otel_metric_desc *otel_metrics_desc(enum otel_metric i)
{
	return &descs[i];
}

#define MAX_LABELS (1 + 5 + IDENTITY_NLABELS)

int otel_metrics_init(struct otel_metrics *m, const struct otel_metrics_limits *limits)
{
	static const char *const identity[] = { IDENTITY_LABEL_NAMES };

	memset(m, 0, sizeof(*m));
	m->reg = registry_new();
	if (!m->reg)
		return -ENOMEM;
	for (size_t i = 0; i < OTEL_METRICS; i++) {
		const struct otel_metric_desc *d = &descs[i];
		const char *labels[MAX_LABELS] = { "service" };
		char name[64];

		for (size_t a = 0; a < d->nattrs; a++)
			labels[1 + a] = d->attrs[a].label;
		memcpy(labels + 1 + d->nattrs, identity, sizeof(identity));
		snprintf(name, sizeof(name), "%s", d->name);
		for (char *p = name; *p; p++)
			*p = *p == '.' ? '_' : *p;
		m->fam[i] = registry_add(m->reg, name, d->description, METRIC_HISTOGRAM, labels,
					 1 + d->nattrs + IDENTITY_NLABELS, limits->buckets, limits->nbuckets,
					 limits->family_cap ? limits->family_cap : limits->series_cap);
		if (!m->fam[i] || family_limit_per_service(m->fam[i], limits->series_cap)) {
			otel_metrics_free(m);
			return -ENOMEM;
		}
		if (limits->expire)
			family_expire_when_idle(m->fam[i]);
	}
	return 0;
}

void otel_metrics_free(struct otel_metrics *m)
{
	if (m->reg)
		registry_free(m->reg);
	memset(m, 0, sizeof(*m));
}

void otel_metrics_reset(struct otel_metrics *m)
{
	for (size_t i = 0; i < OTEL_METRICS; i++)
		family_reset(m->fam[i]);
}

/* "/pkg.Service/Method" into its service and method; a path of another
 * shape (the overflow's _OTHER) is all method. */
static void rpc_split(const char *path, char *service, size_t size, const char **method)
{
	const char *slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;

	service[0] = '\0';
	*method = path;
	if (!slash)
		return;
	snprintf(service, size, "%.*s", (int)(slash - path - 1), path + 1);
	*method = slash + 1;
}

void otel_metrics_exchange(struct otel_metrics *m, const struct exchange *x)
{
	int client = x->role == SONDE_ROLE_CLIENT;
	const char *labels[MAX_LABELS] = { x->service };
	const char *scheme = x->tls ? "https" : "http";
	const char *version = x->http_version == 20 ? "2" :
			      x->http_version == 11 ? "1.1" :
			      x->http_version == 10 ? "1.0" :
						      "";
	char status[12] = "", rpc_service[128];
	enum otel_metric which;
	size_t n;

	if (x->connect_error || x->end_ns < x->start_ns)
		return;
	if (x->status > 0 || (!strcmp(x->protocol, "grpc") && x->status == 0))
		snprintf(status, sizeof(status), "%d", x->status);
	if (!strcmp(x->protocol, "http")) {
		which = client ? OTEL_HTTP_CLIENT : OTEL_HTTP_SERVER;
		labels[1] = x->method;
		labels[2] = x->endpoint;
		labels[3] = status;
		labels[4] = scheme;
		labels[5] = version;
		n = 6;
	} else if (!strcmp(x->protocol, "grpc")) {
		which = client ? OTEL_RPC_CLIENT : OTEL_RPC_SERVER;
		labels[1] = "grpc";
		rpc_split(x->method, rpc_service, sizeof(rpc_service), &labels[3]);
		labels[2] = rpc_service;
		labels[4] = status;
		n = 5;
	} else if (client && !exchange_is_messaging(x) && strcmp(x->protocol, "dns")) {
		which = OTEL_DB_CLIENT;
		labels[1] = x->protocol;
		labels[2] = x->method;
		labels[3] = x->endpoint;
		labels[4] = x->call_error ? "error" : "";
		n = 5;
	} else {
		/* A database's own side has no convention of its metrics; a
		 * broker's messages and DNS lookups (whose convention labels
		 * by the name asked) are in the Prometheus families only. */
		return;
	}
	identity_labels(x->id, labels + n);
	series_observe(family_series(m->fam[which], labels), exchange_seconds(x));
}
