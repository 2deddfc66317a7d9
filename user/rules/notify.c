// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What each receiver expects to be POSTed (Content-Type: application/json).
 * Times are RFC 3339 UTC with milliseconds; a value that is not a finite
 * number (a window without requests) is null.
 *
 * alertmanager: URL/api/v2/alerts, Alertmanager's API v2:
 *   [{"labels": {"alertname": rule, "service": service (absent if none),
 *                "severity": "info"|"warning"|"critical"},
 *     "annotations": {"description", "summary"},
 *     "startsAt", "endsAt" (resolved only), "generatorURL" (sonde's /alerts)}]
 *
 * webhook: the URL as configured:
 *   {"status": "firing"|"resolved", "rule", "service" ("" if none),
 *    "level": "info"|"warning"|"critical", "metric": "error_rate"...,
 *    "value": number or null, "threshold": number, "condition": "<"|"<="|">"|">="|"==",
 *    "description", "summary", "starts_at": time, "ends_at": time, null while firing}
 *
 * slack: the incoming webhook URL as configured:
 *   {"text": "[FIRING] critical high_error_rate (web): Error rate above 5% — error_rate 50 > 5"}
 *   "[RESOLVED] ..." once resolved; &, < and > escaped as Slack asks.
 *
 * pagerduty: the URL as configured, by default the Events API v2:
 *   {"routing_key", "event_action": "trigger"|"resolve", "dedup_key": "sonde/RULE/SERVICE",
 *    "payload": {"summary": "high_error_rate (web): ... — error_rate 50 > 5",
 *                "source": service or "sonde", "severity": "info"|"warning"|"critical",
 *                "timestamp", "custom_details": {"metric", "value", "threshold",
 *                "condition", "summary"}}}   (payload on trigger only) */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "rules/notify.h"
#include "base/strbuf.h"
#include "base/clocks.h"

#define PAGERDUTY_EVENTS_URL "https://events.pagerduty.com/v2/enqueue"

const char *notify_level_name(enum alert_level l)
{
	static const char *const names[] = { "info", "warning", "critical" };

	return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "warning";
}

const char *notify_state_name(enum alert_state s)
{
	return s == ALERT_RESOLVED ? "resolved" : "firing";
}

const char *notify_type_name(enum notifier_type t)
{
	static const char *const names[] = { "alertmanager", "webhook", "slack", "pagerduty" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The shortest of %.15g and %.17g that reads back as v: json-c's own
 * rendering turns a 0.05 threshold into 0.050000000000000003. */
static void format_number(double v, char out[32])
{
	snprintf(out, 32, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, 32, "%.17g", v);
}

/* NaN (a rule without a value) is not JSON: null instead. */
static void add_number(json_object *o, const char *key, double v)
{
	char s[32];

	if (!isfinite(v)) {
		json_object_object_add(o, key, NULL);
		return;
	}
	format_number(v, s);
	json_object_object_add(o, key, json_object_new_double_s(v, s));
}

/* A time, or null when unknown (0). */
static json_object *time_value(int64_t unix_ms)
{
	char t[CLOCKS_RFC3339_LEN];

	if (!unix_ms)
		return NULL;
	clocks_rfc3339(unix_ms, t);
	return json_object_new_string(t);
}

/* Left out when unknown: Alertmanager and PagerDuty take no null time. */
static void add_time(json_object *o, const char *key, int64_t unix_ms)
{
	if (unix_ms)
		json_object_object_add(o, key, time_value(unix_ms));
}

/* "high_error_rate (web): Error rate above 5% — error_rate 50 > 5", for
 * the receivers that show a line of text. */
static void headline(const struct alert_notice *a, char *out, size_t len)
{
	const char *what = a->description[0] ? a->description : a->summary;
	char value[32], threshold[32];

	if (isfinite(a->value))
		format_number(a->value, value);
	else
		snprintf(value, sizeof(value), "no value");
	format_number(a->threshold, threshold);
	snprintf(out, len, "%s%s%s%s%s%s — %s %s %s %s", a->rule, a->service[0] ? " (" : "", a->service,
		 a->service[0] ? ")" : "", what[0] ? ": " : "", what, a->metric, value, config_op_name(a->condition),
		 threshold);
}

static json_object *alertmanager(const struct alert_notice *a, const char *generator)
{
	json_object *list = json_object_new_array(), *alert = json_object_new_object();
	json_object *labels = json_object_new_object(), *annotations = json_object_new_object();

	add_string(labels, "alertname", a->rule);
	if (a->service[0])
		add_string(labels, "service", a->service);
	add_string(labels, "severity", notify_level_name(a->level));
	add_string(annotations, "description", a->description);
	add_string(annotations, "summary", a->summary);
	json_object_object_add(alert, "labels", labels);
	json_object_object_add(alert, "annotations", annotations);
	add_time(alert, "startsAt", a->starts_at_ms);
	/* A past endsAt is what makes Alertmanager resolve it now. */
	if (a->state == ALERT_RESOLVED)
		add_time(alert, "endsAt", a->ends_at_ms);
	if (generator && (!strncmp(generator, "http://", 7) || !strncmp(generator, "https://", 8)))
		add_string(alert, "generatorURL", generator);
	json_object_array_add(list, alert);
	return list;
}

static json_object *webhook(const struct alert_notice *a)
{
	json_object *o = json_object_new_object();

	add_string(o, "status", notify_state_name(a->state));
	add_string(o, "rule", a->rule);
	add_string(o, "service", a->service);
	add_string(o, "level", notify_level_name(a->level));
	add_string(o, "metric", a->metric);
	add_number(o, "value", a->value);
	add_number(o, "threshold", a->threshold);
	add_string(o, "condition", config_op_name(a->condition));
	add_string(o, "description", a->description);
	add_string(o, "summary", a->summary);
	json_object_object_add(o, "starts_at", time_value(a->starts_at_ms));
	json_object_object_add(o, "ends_at", a->state == ALERT_RESOLVED ? time_value(a->ends_at_ms) : NULL);
	return o;
}

/* Slack reads &, < and > as markup (links, mentions): escaped as it asks. */
static json_object *slack(const struct alert_notice *a)
{
	json_object *o;
	struct strbuf text = { 0 };
	char line[1024];

	snprintf(line, sizeof(line), "[%s] %s ", a->state == ALERT_RESOLVED ? "RESOLVED" : "FIRING",
		 notify_level_name(a->level));
	headline(a, line + strlen(line), sizeof(line) - strlen(line));
	for (const char *p = line; *p; p++) {
		if (*p == '&')
			strbuf_printf(&text, "&amp;");
		else if (*p == '<')
			strbuf_printf(&text, "&lt;");
		else if (*p == '>')
			strbuf_printf(&text, "&gt;");
		else
			strbuf_append(&text, p, 1);
	}
	if (text.err) {
		strbuf_free(&text);
		return NULL;
	}
	o = json_object_new_object();
	add_string(o, "text", text.data);
	strbuf_free(&text);
	return o;
}

static json_object *pagerduty(const struct notifier_config *n, const struct alert_notice *a)
{
	json_object *o = json_object_new_object(), *payload, *details;
	char key[2 * SONDE_NAME_MAX + 16], summary[1024];

	/* Stable per rule and service, so a resolve closes what the trigger opened. */
	snprintf(key, sizeof(key), "sonde/%s/%s", a->rule, a->service);
	add_string(o, "routing_key", n->routing_key);
	add_string(o, "event_action", a->state == ALERT_RESOLVED ? "resolve" : "trigger");
	add_string(o, "dedup_key", key);
	if (a->state == ALERT_RESOLVED)
		return o;
	payload = json_object_new_object();
	details = json_object_new_object();
	headline(a, summary, sizeof(summary));
	add_string(payload, "summary", summary);
	add_string(payload, "source", a->service[0] ? a->service : "sonde");
	add_string(payload, "severity", notify_level_name(a->level));
	add_time(payload, "timestamp", a->starts_at_ms);
	add_string(details, "metric", a->metric);
	add_number(details, "value", a->value);
	add_number(details, "threshold", a->threshold);
	add_string(details, "condition", config_op_name(a->condition));
	add_string(details, "summary", a->summary);
	json_object_object_add(payload, "custom_details", details);
	json_object_object_add(o, "payload", payload);
	return o;
}

int notify_body(const struct notifier_config *n, const struct alert_notice *a, const char *generator,
		struct strbuf *url, struct strbuf *body)
{
	size_t len = strlen(n->url);
	json_object *doc;
	const char *text;
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
	default:
		return -EINVAL;
	}
	if (!doc)
		return -ENOMEM;
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ret = text ? strbuf_append(body, text, strlen(text)) : -ENOMEM;
	json_object_put(doc);
	return ret ? ret : url->err;
}
