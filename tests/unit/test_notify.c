// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Notification bodies, parsed back and checked field by field, and the
 * sender against a real HTTP responder on loopback: retries, give-up, a
 * full queue, stopping, and which notices each receiver gets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <json-c/json.h>

/* Short waits, so the retries and the stop take well under a second. */
#define FIRST_BACKOFF_MS 20
#define REQUEST_TIMEOUT_MS 400
#define STOP_GRACE_MS 500
#include "../../user/rules/notifier.c"
#include "loopback_http.h"

#define GENERATOR "http://127.0.0.1:9464/alerts"

static struct alert_notice notice(enum alert_state state)
{
	struct alert_notice a = {
		.level = ALERT_CRITICAL,
		.state = state,
		.value = 50,
		.threshold = 5,
		.condition = SLA_GT,
		.starts_at_ms = 1764064800123,
		.ends_at_ms = state == ALERT_RESOLVED ? 1764065100000 : 0,
	};

	strcpy(a.rule, "high_error_rate");
	strcpy(a.service, "web");
	strcpy(a.metric, "error_rate");
	strcpy(a.description, "Error rate above 5%");
	strcpy(a.summary, "error_rate > 50 (threshold 5)");
	return a;
}

/* The body for one notifier, parsed (it must be JSON); url and raw, when
 * given, receive the URL and the body as sent. */
static json_object *render(enum notifier_type type, const char *cfg_url, const struct alert_notice *a,
			   const char *generator, char *url, char *raw)
{
	struct notifier_config n = { .type = type };
	struct strbuf u = { 0 }, body = { 0 };
	json_object *doc;

	strcpy(n.url, cfg_url);
	strcpy(n.routing_key, "R0UT1NG");
	assert_int_equal(notify_body(&n, a, generator, &u, &body), 0);
	if (url)
		strcpy(url, u.data);
	if (raw)
		strcpy(raw, body.data);
	doc = json_tokener_parse(body.data);
	assert_non_null(doc);
	strbuf_free(&u);
	strbuf_free(&body);
	return doc;
}

/* Follows a dotted path; 1 when every key is there (the value may be null). */
static int lookup(json_object *o, const char *path, json_object **out)
{
	char key[64], *dot;

	snprintf(key, sizeof(key), "%s", path);
	for (char *k = key; k; k = dot) {
		dot = strchr(k, '.');
		if (dot)
			*dot++ = 0;
		if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, k, &o))
			return 0;
	}
	*out = o;
	return 1;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v;

	assert_true(lookup(o, path, &v));
	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static double num(json_object *o, const char *path)
{
	json_object *v;

	assert_true(lookup(o, path, &v));
	assert_true(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int));
	return json_object_get_double(v);
}

static int is_null(json_object *o, const char *path)
{
	json_object *v;

	return lookup(o, path, &v) && json_object_is_type(v, json_type_null);
}

static int absent(json_object *o, const char *path)
{
	json_object *v;

	return !lookup(o, path, &v);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(notify_level_name(ALERT_INFO), "info");
	assert_string_equal(notify_level_name(ALERT_WARNING), "warning");
	assert_string_equal(notify_level_name(ALERT_CRITICAL), "critical");
	assert_string_equal(notify_state_name(ALERT_FIRING), "firing");
	assert_string_equal(notify_state_name(ALERT_RESOLVED), "resolved");
	assert_string_equal(notify_type_name(NOTIFIER_ALERTMANAGER), "alertmanager");
	assert_string_equal(notify_type_name(NOTIFIER_WEBHOOK), "webhook");
	assert_string_equal(notify_type_name(NOTIFIER_SLACK), "slack");
	assert_string_equal(notify_type_name(NOTIFIER_PAGERDUTY), "pagerduty");
}

static void test_alertmanager(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512], raw[4096];
	json_object *doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093/", &a, GENERATOR, url, raw), *alert;

	(void)state;
	assert_string_equal(url, "http://am:9093/api/v2/alerts");
	assert_true(json_object_is_type(doc, json_type_array));
	assert_int_equal(json_object_array_length(doc), 1);
	alert = json_object_array_get_idx(doc, 0);
	assert_int_equal(json_object_object_length(alert), 4);
	assert_int_equal(json_object_object_length(json_object_object_get(alert, "labels")), 3);
	assert_string_equal(str(alert, "labels.alertname"), "high_error_rate");
	assert_string_equal(str(alert, "labels.service"), "web");
	assert_string_equal(str(alert, "labels.severity"), "critical");
	assert_int_equal(json_object_object_length(json_object_object_get(alert, "annotations")), 2);
	assert_string_equal(str(alert, "annotations.description"), "Error rate above 5%");
	assert_string_equal(str(alert, "annotations.summary"), "error_rate > 50 (threshold 5)");
	assert_string_equal(str(alert, "startsAt"), "2025-11-25T10:00:00.123Z");
	assert_true(absent(alert, "endsAt"));
	assert_string_equal(str(alert, "generatorURL"), GENERATOR);
	/* Plain JSON: no "\/" in the URL. */
	assert_non_null(strstr(raw, "\"generatorURL\":\"" GENERATOR "\""));
	json_object_put(doc);

	/* Resolved, with a past endsAt; a rule over every service has no service label. */
	a = notice(ALERT_RESOLVED);
	a.service[0] = 0;
	a.level = ALERT_WARNING;
	doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093", &a, GENERATOR, url, NULL);
	assert_string_equal(url, "http://am:9093/api/v2/alerts");
	alert = json_object_array_get_idx(doc, 0);
	assert_string_equal(str(alert, "startsAt"), "2025-11-25T10:00:00.123Z");
	assert_string_equal(str(alert, "endsAt"), "2025-11-25T10:05:00.000Z");
	assert_string_equal(str(alert, "labels.alertname"), "high_error_rate");
	assert_string_equal(str(alert, "labels.severity"), "warning");
	assert_true(absent(alert, "labels.service"));
	json_object_put(doc);

	/* A generator that is not a URL is no generatorURL. */
	doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093", &a, "sonde", NULL, NULL);
	assert_true(absent(json_object_array_get_idx(doc, 0), "generatorURL"));
	json_object_put(doc);
	doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093", &a, NULL, NULL, NULL);
	assert_true(absent(json_object_array_get_idx(doc, 0), "generatorURL"));
	json_object_put(doc);
}

static void test_webhook(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512], raw[4096];
	json_object *doc = render(NOTIFIER_WEBHOOK, "http://hooks/sonde/", &a, GENERATOR, url, NULL);

	(void)state;
	assert_string_equal(url, "http://hooks/sonde/");
	assert_int_equal(json_object_object_length(doc), 12);
	assert_string_equal(str(doc, "status"), "firing");
	assert_string_equal(str(doc, "rule"), "high_error_rate");
	assert_string_equal(str(doc, "service"), "web");
	assert_string_equal(str(doc, "level"), "critical");
	assert_string_equal(str(doc, "metric"), "error_rate");
	assert_true(num(doc, "value") == 50);
	assert_true(num(doc, "threshold") == 5);
	assert_string_equal(str(doc, "condition"), ">");
	assert_string_equal(str(doc, "description"), "Error rate above 5%");
	assert_string_equal(str(doc, "summary"), "error_rate > 50 (threshold 5)");
	assert_string_equal(str(doc, "starts_at"), "2025-11-25T10:00:00.123Z");
	assert_true(is_null(doc, "ends_at"));
	json_object_put(doc);

	/* Resolved, with the value of a window that had none and a fractional threshold. */
	a = notice(ALERT_RESOLVED);
	a.value = NAN;
	a.threshold = 0.05;
	a.condition = SLA_LE;
	a.level = ALERT_INFO;
	a.service[0] = 0;
	doc = render(NOTIFIER_WEBHOOK, "http://hooks/sonde", &a, GENERATOR, url, raw);
	assert_int_equal(json_object_object_length(doc), 12);
	assert_string_equal(str(doc, "status"), "resolved");
	assert_string_equal(str(doc, "service"), "");
	assert_string_equal(str(doc, "level"), "info");
	assert_true(is_null(doc, "value"));
	assert_true(num(doc, "threshold") == 0.05);
	/* The shortest decimal that reads back the same, not 0.050000000000000003. */
	assert_non_null(strstr(raw, "\"threshold\":0.05,"));
	assert_string_equal(str(doc, "condition"), "<=");
	assert_string_equal(str(doc, "starts_at"), "2025-11-25T10:00:00.123Z");
	assert_string_equal(str(doc, "ends_at"), "2025-11-25T10:05:00.000Z");
	json_object_put(doc);
}

static void test_slack(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512];
	json_object *doc = render(NOTIFIER_SLACK, "https://hooks.slack.com/services/T/B/X", &a, GENERATOR, url, NULL);

	(void)state;
	assert_string_equal(url, "https://hooks.slack.com/services/T/B/X");
	assert_int_equal(json_object_object_length(doc), 1);
	/* &, < and > are Slack's markup: escaped. */
	assert_string_equal(str(doc, "text"),
			    "[FIRING] critical high_error_rate (web): Error rate above 5% — error_rate 50 &gt; 5");
	json_object_put(doc);

	a = notice(ALERT_RESOLVED);
	a.value = NAN;
	a.service[0] = 0;
	a.condition = SLA_LT;
	a.threshold = 0.25;
	strcpy(a.metric, "latency_p95");
	strcpy(a.description, "p95 <250ms & steady");
	doc = render(NOTIFIER_SLACK, "https://hooks.slack.com/services/T/B/X", &a, GENERATOR, NULL, NULL);
	assert_string_equal(
		str(doc, "text"),
		"[RESOLVED] critical high_error_rate: p95 &lt;250ms &amp; steady — latency_p95 no value &lt; 0.25");
	json_object_put(doc);

	/* No description: the summary stands in. */
	a.description[0] = 0;
	strcpy(a.summary, "quiet");
	doc = render(NOTIFIER_SLACK, "https://hooks.slack.com/services/T/B/X", &a, GENERATOR, NULL, NULL);
	assert_string_equal(str(doc, "text"),
			    "[RESOLVED] critical high_error_rate: quiet — latency_p95 no value &lt; 0.25");
	json_object_put(doc);
}

static void test_pagerduty(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512];
	json_object *doc = render(NOTIFIER_PAGERDUTY, "", &a, GENERATOR, url, NULL);

	(void)state;
	assert_string_equal(url, "https://events.pagerduty.com/v2/enqueue");
	assert_int_equal(json_object_object_length(doc), 4);
	assert_string_equal(str(doc, "routing_key"), "R0UT1NG");
	assert_string_equal(str(doc, "event_action"), "trigger");
	assert_string_equal(str(doc, "dedup_key"), "sonde/high_error_rate/web");
	assert_string_equal(str(doc, "payload.summary"),
			    "high_error_rate (web): Error rate above 5% — error_rate 50 > 5");
	assert_string_equal(str(doc, "payload.source"), "web");
	assert_string_equal(str(doc, "payload.severity"), "critical");
	assert_string_equal(str(doc, "payload.timestamp"), "2025-11-25T10:00:00.123Z");
	assert_string_equal(str(doc, "payload.custom_details.metric"), "error_rate");
	assert_true(num(doc, "payload.custom_details.value") == 50);
	assert_true(num(doc, "payload.custom_details.threshold") == 5);
	assert_string_equal(str(doc, "payload.custom_details.condition"), ">");
	assert_string_equal(str(doc, "payload.custom_details.summary"), "error_rate > 50 (threshold 5)");
	json_object_put(doc);

	/* The resolve closes the same incident: same dedup_key, no payload. */
	a = notice(ALERT_RESOLVED);
	doc = render(NOTIFIER_PAGERDUTY, "http://127.0.0.1:1/v2/enqueue", &a, GENERATOR, url, NULL);
	assert_string_equal(url, "http://127.0.0.1:1/v2/enqueue");
	assert_int_equal(json_object_object_length(doc), 3);
	assert_string_equal(str(doc, "routing_key"), "R0UT1NG");
	assert_string_equal(str(doc, "event_action"), "resolve");
	assert_string_equal(str(doc, "dedup_key"), "sonde/high_error_rate/web");
	assert_true(absent(doc, "payload"));
	json_object_put(doc);

	/* Every service, no value, warning. */
	a = notice(ALERT_FIRING);
	a.service[0] = 0;
	a.value = NAN;
	a.level = ALERT_WARNING;
	doc = render(NOTIFIER_PAGERDUTY, "", &a, GENERATOR, NULL, NULL);
	assert_string_equal(str(doc, "dedup_key"), "sonde/high_error_rate/");
	assert_string_equal(str(doc, "payload.source"), "sonde");
	assert_string_equal(str(doc, "payload.severity"), "warning");
	assert_true(is_null(doc, "payload.custom_details.value"));
	json_object_put(doc);
}

/* Neither NaN nor infinity is JSON: every body still parses. */
static void test_not_finite(void **state)
{
	static const enum notifier_type types[] = { NOTIFIER_ALERTMANAGER, NOTIFIER_WEBHOOK, NOTIFIER_SLACK,
						    NOTIFIER_PAGERDUTY };
	struct alert_notice a = notice(ALERT_FIRING);

	(void)state;
	a.value = INFINITY;
	a.threshold = NAN;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		json_object_put(render(types[i], "http://x", &a, GENERATOR, NULL, NULL));
	a.value = -NAN;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		json_object_put(render(types[i], "http://x", &a, GENERATOR, NULL, NULL));
}

/* Polls up to 5 s for notifier i's counters to reach these. */
static void wait_for(const struct notifier *nt, size_t i, unsigned long sent, unsigned long failed)
{
	const struct notifier_stats *st = notifier_stats(nt, i);

	for (int t = 0; t < 500 && (atomic_load(&st->sent) < sent || atomic_load(&st->failed) < failed); t++)
		usleep(10000);
}

/* 503 then 200: retried, sent once, the same body twice; nothing listening
 * is given up after the attempts; a repeat is for Alertmanager only. */
static void test_sender_retries(void **state)
{
	static const int script[] = { 503, 200 };
	struct notifier_config cfg[2] = { { .type = NOTIFIER_WEBHOOK }, { .type = NOTIFIER_ALERTMANAGER } };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	struct notifier *nt;
	json_object *doc;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 2), 0);
	snprintf(cfg[0].url, sizeof(cfg[0].url), "http://127.0.0.1:%u/sonde", hook.port);
	snprintf(cfg[1].url, sizeof(cfg[1].url), "http://127.0.0.1:%u", loopback_closed_port());
	assert_int_equal(notifier_start(&nt, cfg, 2, GENERATOR, NULL), 0);
	notifier_push(nt, &a);
	wait_for(nt, 0, 1, 0);
	wait_for(nt, 1, 0, 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->failed), 0);
	assert_int_equal(loopback_requests(&hook), 2);
	assert_string_equal(hook.bodies[0], hook.bodies[1]);
	doc = json_tokener_parse(hook.bodies[0]);
	assert_non_null(doc);
	assert_string_equal(str(doc, "status"), "firing");
	assert_string_equal(str(doc, "rule"), "high_error_rate");
	json_object_put(doc);
	/* Nothing listens for the Alertmanager: given up after the attempts. */
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->failed), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->sent), 0);
	/* A re-send of a firing alert is for Alertmanager only. */
	a.repeat = 1;
	notifier_push(nt, &a);
	wait_for(nt, 1, 0, 2);
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->failed), 2);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 1);
	assert_int_equal(loopback_requests(&hook), 2);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->dropped), 0);
	assert_null(notifier_stats(nt, 2));
	notifier_stop(nt);
	loopback_stop(&hook);
}

/* 429 and 5xx are retried, five attempts in all with doubling waits
 * (20 + 40 + 80 + 160 ms here), then given up. */
static void test_sender_gives_up(void **state)
{
	static const int script[] = { 429, 503 };
	struct notifier_config cfg = { .type = NOTIFIER_PAGERDUTY };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	struct notifier *nt;
	int64_t start;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 2), 0);
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/v2/enqueue", hook.port);
	assert_int_equal(notifier_start(&nt, &cfg, 1, GENERATOR, NULL), 0);
	start = clocks_mono_ms();
	notifier_push(nt, &a);
	wait_for(nt, 0, 0, 1);
	assert_true(clocks_mono_ms() - start >= 290);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->failed), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 0);
	assert_int_equal(loopback_requests(&hook), ATTEMPTS);
	notifier_stop(nt);
	loopback_stop(&hook);
}

/* A 400 is not retried. */
static void test_sender_refused(void **state)
{
	static const int script[] = { 400 };
	struct notifier_config cfg = { .type = NOTIFIER_SLACK };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	struct notifier *nt;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 1), 0);
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/", hook.port);
	assert_int_equal(notifier_start(&nt, &cfg, 1, NULL, NULL), 0);
	notifier_push(nt, &a);
	wait_for(nt, 0, 0, 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->failed), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 0);
	usleep(100000);
	assert_int_equal(loopback_requests(&hook), 1);
	notifier_stop(nt);
	loopback_stop(&hook);
}

/* Stopping sends what is queued first. */
static void test_sender_drains_on_stop(void **state)
{
	static const int script[] = { 200 };
	struct notifier_config cfg = { .type = NOTIFIER_WEBHOOK };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	struct notifier *nt;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 1), 0);
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/", hook.port);
	assert_int_equal(notifier_start(&nt, &cfg, 1, GENERATOR, NULL), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(a.rule, sizeof(a.rule), "rule%d", i);
		notifier_push(nt, &a);
	}
	notifier_stop(nt);
	assert_int_equal(loopback_requests(&hook), 5);
	for (int i = 0; i < 5; i++) {
		char rule[32];

		snprintf(rule, sizeof(rule), "\"rule\":\"rule%d\"", i);
		assert_non_null(strstr(hook.bodies[i], rule));
	}
	loopback_stop(&hook);
}

/* A receiver that never answers: the queue fills and drops without the
 * pusher waiting, and stopping ends within the grace all the same. */
static void test_sender_full_queue_and_stop(void **state)
{
	static const int script[] = { 0 };
	struct notifier_config cfg = { .type = NOTIFIER_WEBHOOK };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	unsigned long dropped;
	struct notifier *nt;
	int64_t start;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 1), 0);
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/", hook.port);
	assert_int_equal(notifier_start(&nt, &cfg, 1, GENERATOR, NULL), 0);
	start = clocks_mono_ms();
	for (int i = 0; i < QUEUE_CAP + 50; i++)
		notifier_push(nt, &a);
	assert_true(clocks_mono_ms() - start < 100);
	/* The sender took at most one out before the queue filled. */
	dropped = atomic_load(&notifier_stats(nt, 0)->dropped);
	assert_true(dropped == 50 || dropped == 49);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 0);
	start = clocks_mono_ms();
	notifier_stop(nt);
	assert_true(clocks_mono_ms() - start < STOP_GRACE_MS + 300);
	loopback_stop(&hook);
}

static void test_no_notifiers(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	struct notifier *nt = (struct notifier *)&a;

	(void)state;
	assert_int_equal(notifier_start(&nt, NULL, 0, GENERATOR, NULL), 0);
	assert_null(nt);
	notifier_push(nt, &a);
	assert_null(notifier_stats(nt, 0));
	notifier_stop(nt);
}

/* A failing webhook's URL is logged without its secret path or user. */
static void test_log_url(void **state)
{
	char shown[LOG_URL_MAX];

	(void)state;
	assert_string_equal(log_url("https://hooks.slack.com/services/T000/B000/XXXX", shown),
			    "https://hooks.slack.com/…");
	assert_string_equal(log_url("http://user:pass@127.0.0.1:9093", shown), "http://127.0.0.1:9093");
	assert_string_equal(log_url("http://127.0.0.1:9093?token=1", shown), "http://127.0.0.1:9093/…");
	assert_string_equal(log_url("not a url", shown), "(a URL)");
	assert_string_equal(log_url(NULL, shown), "(a URL)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_log_url),
		cmocka_unit_test(test_alertmanager),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_not_finite),
		cmocka_unit_test(test_sender_retries),
		cmocka_unit_test(test_sender_gives_up),
		cmocka_unit_test(test_sender_refused),
		cmocka_unit_test(test_sender_drains_on_stop),
		cmocka_unit_test(test_sender_full_queue_and_stop),
		cmocka_unit_test(test_no_notifiers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
