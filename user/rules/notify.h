/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Alert notifications (notifiers[] in the configuration): the notices the
 * rules make, and the URL and body each receiver expects. Pure; notifier.h
 * sends them. */
#ifndef SONDE_NOTIFY_H
#define SONDE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

struct strbuf;

enum alert_state { ALERT_FIRING, ALERT_RESOLVED };

/* One alert transition, or a re-send of a firing alert. */
struct alert_notice {
	char rule[SONDE_NAME_MAX];
	char service[SONDE_NAME_MAX]; /* "" when the rule spans every service */
	char metric[96]; /* error_rate, latency_p95, health:db, ... */
	enum alert_level level;
	enum alert_state state;
	double value; /* the aggregated value that decided */
	double threshold;
	enum sla_op condition;
	char description[256];
	char summary[256];
	int64_t starts_at_ms; /* Unix ms the alert started firing */
	int64_t ends_at_ms; /* Unix ms it resolved; 0 while firing */
	int repeat; /* a re-send while firing: only Alertmanager wants it */
};

const char *notify_level_name(enum alert_level l); /* info, warning, critical */
const char *notify_state_name(enum alert_state s); /* firing, resolved */
const char *notify_type_name(enum notifier_type t); /* alertmanager, webhook, slack, pagerduty */

/* The URL to POST to and the JSON body for one notifier; generator is
 * Alertmanager's generatorURL, or NULL. 0 or a negative errno.
 *
 * The webhook body:
 *   {"status": "firing"|"resolved", "rule", "service", "level": info|warning|critical,
 *    "metric", "value" (null when the window had none), "threshold", "condition": "<"...,
 *    "description", "summary", "starts_at": RFC 3339, "ends_at": RFC 3339 or null} */
int notify_body(const struct notifier_config *n, const struct alert_notice *a, const char *generator,
		struct strbuf *url, struct strbuf *body);

#endif
