// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What each receiver expects to be POSTed: Alertmanager's v2 alerts, a
 * webhook's documented body, Slack's incoming webhook and PagerDuty's
 * Events API v2. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "notify.h"
#include "strbuf.h"
#include "timefmt.h"

#define PAGERDUTY_EVENTS_URL "https://events.pagerduty.com/v2/enqueue"

const char *alert_level_name(enum alert_level l)
{
	static const char *const names[] = { "info", "warning", "critical" };

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "warning";
}

const char *alert_state_name(enum alert_state s)
{
	return s == ALERT_RESOLVED ? "resolved" : "firing";
}

const char *notifier_type_name(enum notifier_type t)
{
	static const char *const names[] = { "alertmanager", "webhook", "slack", "pagerduty" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* NaN (a rule without a value) is not JSON: null instead. */
static void add_number(json_object *o, const char *key, double value)
{
	json_object_object_add(o, key, isfinite(value) ? json_object_new_double(value) : NULL);
}

static void add_time(json_object *o, const char *key, int64_t unix_ms)
{
	char t[RFC3339_LEN];

	if (!unix_ms) {
		json_object_object_add(o, key, NULL);
		return;
	}
	rfc3339(unix_ms, t);
	add_string(o, key, t);
}

static json_object *alertmanager(const struct alert_notice *a, const char *generator)
{
	json_object *list = json_object_new_array(), *alert = json_object_new_object();
	json_object *labels = json_object_new_object(), *annotations = json_object_new_object();

	add_string(labels, "alertname", a->rule);
	if (a->service[0])
		add_string(labels, "service", a->service);
	add_string(labels, "severity", alert_level_name(a->level));
	add_string(annotations, "description", a->description);
	add_string(annotations, "summary", a->summary);
	json_object_object_add(alert, "labels", labels);
	json_object_object_add(alert, "annotations", annotations);
	add_time(alert, "startsAt", a->starts_at_ms);
	if (a->state == ALERT_RESOLVED)
		add_time(alert, "endsAt", a->ends_at_ms);
	if (generator && generator[0])
		add_string(alert, "generatorURL", generator);
	json_object_array_add(list, alert);
	return list;
}

static json_object *webhook(const struct alert_notice *a)
{
	json_object *o = json_object_new_object();

	add_string(o, "status", alert_state_name(a->state));
	add_string(o, "rule", a->rule);
	add_string(o, "service", a->service);
	add_string(o, "level", alert_level_name(a->level));
	add_string(o, "metric", a->metric);
	add_number(o, "value", a->value);
	add_number(o, "threshold", a->threshold);
	add_string(o, "condition", sla_op_name(a->condition));
	add_string(o, "description", a->description);
	add_string(o, "summary", a->summary);
	add_time(o, "starts_at", a->starts_at_ms);
	add_time(o, "ends_at", a->state == ALERT_RESOLVED ? a->ends_at_ms : 0);
	return o;
}

static json_object *slack(const struct alert_notice *a)
{
	json_object *o = json_object_new_object();
	char text[1024];

	snprintf(text, sizeof(text), "[%s] %s %s%s%s%s: %s (%s)", a->state == ALERT_RESOLVED ? "RESOLVED" : "FIRING",
		 alert_level_name(a->level), a->rule, a->service[0] ? " (" : "", a->service, a->service[0] ? ")" : "",
		 a->description[0] ? a->description : a->rule, a->summary);
	add_string(o, "text", text);
	return o;
}

static json_object *pagerduty(const struct notifier_config *n, const struct alert_notice *a)
{
	json_object *o = json_object_new_object(), *payload, *details;
	char key[2 * SONDE_NAME_MAX + 16];

	/* Stable per rule and service, so a resolve closes what the trigger opened. */
	snprintf(key, sizeof(key), "sonde/%s/%s", a->rule, a->service);
	add_string(o, "routing_key", n->routing_key);
	add_string(o, "event_action", a->state == ALERT_RESOLVED ? "resolve" : "trigger");
	add_string(o, "dedup_key", key);
	if (a->state == ALERT_RESOLVED)
		return o;
	payload = json_object_new_object();
	details = json_object_new_object();
	add_string(payload, "summary", a->description[0] ? a->description : a->summary);
	add_string(payload, "source", a->service[0] ? a->service : "sonde");
	add_string(payload, "severity", alert_level_name(a->level));
	add_time(payload, "timestamp", a->starts_at_ms);
	add_string(details, "metric", a->metric);
	add_number(details, "value", a->value);
	add_number(details, "threshold", a->threshold);
	add_string(details, "condition", sla_op_name(a->condition));
	add_string(details, "summary", a->summary);
	json_object_object_add(payload, "custom_details", details);
	json_object_object_add(o, "payload", payload);
	return o;
}

int notify_body(const struct notifier_config *n, const struct alert_notice *a, const char *generator,
		struct strbuf *url, struct strbuf *body)
{
	json_object *doc = NULL;
	size_t len = strlen(n->url);
	int ret;

	switch (n->type) {
	case NOTIFIER_ALERTMANAGER:
		while (len && n->url[len - 1] == '/')
			len--;
		strbuf_printf(url, "%.*s/api/v2/alerts", (int)len, n->url);
		doc = alertmanager(a, generator);
		break;
	case NOTIFIER_WEBHOOK:
		strbuf_printf(url, "%s", n->url);
		doc = webhook(a);
		break;
	case NOTIFIER_SLACK:
		strbuf_printf(url, "%s", n->url);
		doc = slack(a);
		break;
	case NOTIFIER_PAGERDUTY:
		strbuf_printf(url, "%s", n->url[0] ? n->url : PAGERDUTY_EVENTS_URL);
		doc = pagerduty(n, a);
		break;
	}
	if (!doc)
		return -ENOMEM;
	ret = strbuf_printf(body, "%s", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	return ret ? ret : url->err;
}
