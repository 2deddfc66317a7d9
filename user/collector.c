// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector.h"
#include "http.h"
#include "routes.h"

#define ROUTE_MAX 256

static const char *const red_labels[] = { "service", "protocol", "method", "endpoint", "status" };
static const char *const error_labels[] = { "service", "type" };
static const char *const failure_labels[] = { "kind" };
static const char *const build_labels[] = { "version", "mode" };

/* Methods outside this set share one label value, as in the OpenTelemetry
 * conventions, so junk cannot mint series. */
static const char *const known_methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
					     "OPTIONS", "TRACE", "PATCH" };

static struct metric_family *add(struct collector *c, const struct collector_config *cfg,
				 const char *suffix, const char *help, enum metric_type type,
				 const char *const *labels, size_t nlabels, int own)
{
	char name[160];

	snprintf(name, sizeof(name), "%s_%s", own ? "sonde" : cfg->ns, suffix);
	return registry_add(c->reg, name, help, type, labels, nlabels,
			    type == METRIC_HISTOGRAM ? cfg->buckets : NULL,
			    type == METRIC_HISTOGRAM ? cfg->nbuckets : 0, cfg->series_cap);
}

int collector_init(struct collector *c, struct registry *reg, const struct services *services,
		   const struct collector_config *cfg)
{
	const char *build[2] = { cfg->version, cfg->mode };
	struct metric_series *info;

	memset(c, 0, sizeof(*c));
	c->reg = reg;
	c->services = services;
	c->requests = add(c, cfg, "requests_total", "Total number of requests", METRIC_COUNTER,
			  red_labels, 5, 0);
	c->duration = add(c, cfg, "request_duration_seconds", "Request duration in seconds",
			  METRIC_HISTOGRAM, red_labels, 5, 0);
	c->errors = add(c, cfg, "errors_total", "Total number of server errors", METRIC_COUNTER,
			error_labels, 2, 0);
	c->events = add(c, cfg, "events_total", "Exchange events received from the kernel",
			METRIC_COUNTER, NULL, 0, 1);
	c->lost = add(c, cfg, "events_lost_total", "Exchange events dropped because the ring buffer was full",
		      METRIC_COUNTER, NULL, 0, 1);
	c->parse_failures = add(c, cfg, "parse_failures_total",
				"Captured bytes that did not parse as HTTP/1.x, by part", METRIC_COUNTER,
				failure_labels, 1, 1);
	c->not_http = add(c, cfg, "connections_not_http_total",
			  "Observed connections whose first bytes were not HTTP/1.x", METRIC_COUNTER, NULL,
			  0, 1);
	c->unanswered = add(c, cfg, "requests_unanswered_total",
			    "Requests whose connection closed before any response", METRIC_COUNTER, NULL, 0,
			    1);
	c->conns = add(c, cfg, "connections_tracked_total", "Server connections accepted by targets",
		       METRIC_COUNTER, NULL, 0, 1);
	c->targets = add(c, cfg, "targets", "Processes selected for observation", METRIC_GAUGE, NULL,
			 0, 1);
	c->build_info = add(c, cfg, "build_info", "sonde build and the hook mode in use", METRIC_GAUGE,
			    build_labels, 2, 1);
	if (!c->requests || !c->duration || !c->errors || !c->events || !c->lost ||
	    !c->parse_failures || !c->not_http || !c->unanswered || !c->conns || !c->targets ||
	    !c->build_info)
		return -ENOMEM;
	info = family_series(c->build_info, build);
	if (!info)
		return -ENOMEM;
	series_set(info, 1);
	return 0;
}

static const char *method_label(const char *method)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]); i++)
		if (!strcmp(method, known_methods[i]))
			return known_methods[i];
	return "_OTHER";
}

static void count_failure(struct collector *c, const char *kind)
{
	const char *labels[1] = { kind };
	struct metric_series *s = family_series(c->parse_failures, labels);

	if (s)
		series_add(s, 1);
}

/* The status of a response from its first bytes. Only the status line
 * matters here, and the kernel keeps a prefix, so a long reason phrase cut
 * short is fine. Returns the status or -EBADMSG. */
static int status_from_prefix(const char *p, size_t n)
{
	int status = 0;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -EBADMSG;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EBADMSG;
		status = status * 10 + (p[i] - '0');
	}
	if (status < 100 || status > 599 || (n > 12 && p[12] != ' ' && p[12] != '\r'))
		return -EBADMSG;
	return status;
}

/* Method and target of a request whose line the capture cut short: the
 * target then holds its first bytes, and the route drops the cut segment. */
static int request_line_prefix(const char *p, size_t n, struct http_head *h)
{
	size_t m = 0, t;

	while (m < n && m < HTTP_METHOD_MAX - 1 && p[m] >= 'A' && p[m] <= 'Z')
		m++;
	if (!m || m >= n || p[m] != ' ')
		return -EBADMSG;
	memcpy(h->method, p, m);
	h->method[m] = 0;
	for (t = m + 1; t < n && p[t] != ' ' && p[t] != '\r' && p[t] != '\n'; t++) {
		if ((unsigned char)p[t] < 0x21 || (unsigned char)p[t] == 0x7f)
			return -EBADMSG;
	}
	if (t != n)
		return -EBADMSG;
	t -= m + 1;
	if (t >= sizeof(h->target))
		t = sizeof(h->target) - 1;
	memcpy(h->target, p + m + 1, t);
	h->target[t] = 0;
	/* Cut mid-segment: the route must not show a partial id. */
	char *slash = strrchr(h->target, '/');
	if (slash && slash != h->target)
		*slash = 0;
	return 0;
}

void collector_http(struct collector *c, const struct sonde_http_event *ev, size_t size)
{
	size_t req_len, resp_len;
	const char *labels[5];
	char route[ROUTE_MAX], status_buf[8], comm[SONDE_COMM_LEN + 1];
	struct metric_series *s;
	struct http_head req;
	int status, n;

	series_add(family_series(c->events, NULL), 1);
	if (size < SONDE_EVENT_SIZE(0) || ev->req_len > SONDE_REQ_CAP || ev->resp_len > SONDE_RESP_CAP ||
	    SONDE_EVENT_SIZE(ev->req_len) > size) {
		count_failure(c, "event");
		return;
	}
	req_len = ev->req_len;
	resp_len = ev->resp_len;
	memset(&req, 0, sizeof(req));
	http_parse_head(HTTP_REQUEST, ev->req, req_len, &req);
	if (!req.start_line_ok &&
	    (req_len < SONDE_REQ_CAP || request_line_prefix(ev->req, req_len, &req))) {
		count_failure(c, "request");
		return;
	}
	n = -ENOENT;
	if (c->routes)
		n = route_set_match(c->routes, req.target, strlen(req.target), route, sizeof(route));
	if (n < 0)
		n = route_from_target(req.target, strlen(req.target), route, sizeof(route));
	if (n < 0) {
		count_failure(c, "target");
		return;
	}
	status = status_from_prefix(ev->resp, resp_len);
	if (status < 0) {
		count_failure(c, "response");
		strcpy(status_buf, "unknown");
	} else {
		snprintf(status_buf, sizeof(status_buf), "%d", status);
	}
	labels[0] = services_name(c->services, ev->service_id);
	if (!labels[0]) {
		memcpy(comm, ev->comm, SONDE_COMM_LEN);
		comm[SONDE_COMM_LEN] = 0;
		labels[0] = comm[0] ? comm : "unknown";
	}
	labels[1] = "http";
	labels[2] = method_label(req.method);
	labels[3] = route;
	labels[4] = status_buf;
	s = family_series(c->requests, labels);
	if (s)
		series_add(s, 1);
	s = family_series(c->duration, labels);
	if (s && ev->end_ns >= ev->start_ns)
		series_observe(s, c->duration, (double)(ev->end_ns - ev->start_ns) / 1e9);
	if (status < 0 || status >= 500) {
		const char *err[2] = { labels[0], status < 0 ? "malformed_response" : "http_5xx" };

		s = family_series(c->errors, err);
		if (s)
			series_add(s, 1);
	}
}

void collector_kernel_stats(struct collector *c, const uint64_t stats[SONDE_STAT_MAX], uint64_t targets)
{
	series_set(family_series(c->lost, NULL), (double)stats[SONDE_STAT_LOST]);
	series_set(family_series(c->not_http, NULL), (double)stats[SONDE_STAT_NOT_HTTP]);
	series_set(family_series(c->unanswered, NULL), (double)stats[SONDE_STAT_UNANSWERED]);
	series_set(family_series(c->conns, NULL), (double)stats[SONDE_STAT_CONNS]);
	series_set(family_series(c->targets, NULL), (double)targets);
}
