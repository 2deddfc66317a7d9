// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Notification bodies, parsed back and checked field by field, and the
 * sender against a real HTTP responder on loopback: retries, give-up and
 * which notices each receiver gets. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <json-c/json.h>

#define FIRST_BACKOFF_MS 20
#include "../../user/notifier.c"
#include "loopback_http.h"

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

/* The body for one notifier, parsed; url receives the URL. */
static json_object *render(enum notifier_type type, const char *cfg_url, const struct alert_notice *a, char *url)
{
	struct notifier_config n = { .type = type };
	struct strbuf u = { 0 }, body = { 0 };
	json_object *doc;

	strcpy(n.url, cfg_url);
	strcpy(n.routing_key, "R0UT1NG");
	assert_int_equal(notify_body(&n, a, "http://127.0.0.1:9464/alerts", &u, &body), 0);
	strcpy(url, u.data);
	doc = json_tokener_parse(body.data);
	assert_non_null(doc);
	strbuf_free(&u);
	strbuf_free(&body);
	return doc;
}

static const char *str(json_object *o, const char *path)
{
	char key[64], *dot;
	json_object *v = o;

	snprintf(key, sizeof(key), "%s", path);
	for (char *k = key; k; k = dot) {
		dot = strchr(k, '.');
		if (dot)
			*dot++ = 0;
		if (!json_object_object_get_ex(v, k, &v))
			return NULL;
	}
	return v ? json_object_get_string(v) : "null";
}

static void test_alertmanager(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512];
	json_object *doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093/", &a, url), *alert;

	(void)state;
	assert_string_equal(url, "http://am:9093/api/v2/alerts");
	assert_int_equal(json_object_array_length(doc), 1);
	alert = json_object_array_get_idx(doc, 0);
	assert_string_equal(str(alert, "labels.alertname"), "high_error_rate");
	assert_string_equal(str(alert, "labels.service"), "web");
	assert_string_equal(str(alert, "labels.severity"), "critical");
	assert_string_equal(str(alert, "annotations.description"), "Error rate above 5%");
	assert_string_equal(str(alert, "annotations.summary"), "error_rate > 50 (threshold 5)");
	assert_string_equal(str(alert, "startsAt"), "2025-11-25T10:00:00.123Z");
	assert_null(str(alert, "endsAt"));
	assert_string_equal(str(alert, "generatorURL"), "http://127.0.0.1:9464/alerts");
	json_object_put(doc);
	a = notice(ALERT_RESOLVED);
	a.service[0] = 0;
	doc = render(NOTIFIER_ALERTMANAGER, "http://am:9093", &a, url);
	alert = json_object_array_get_idx(doc, 0);
	assert_string_equal(str(alert, "endsAt"), "2025-11-25T10:05:00.000Z");
	assert_null(str(alert, "labels.service"));
	json_object_put(doc);
}

static void test_webhook_and_slack(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512];
	json_object *doc = render(NOTIFIER_WEBHOOK, "http://hooks/sonde", &a, url);

	(void)state;
	assert_string_equal(url, "http://hooks/sonde");
	assert_string_equal(str(doc, "status"), "firing");
	assert_string_equal(str(doc, "rule"), "high_error_rate");
	assert_string_equal(str(doc, "service"), "web");
	assert_string_equal(str(doc, "level"), "critical");
	assert_string_equal(str(doc, "metric"), "error_rate");
	assert_string_equal(str(doc, "value"), "50.0");
	assert_string_equal(str(doc, "threshold"), "5.0");
	assert_string_equal(str(doc, "condition"), ">");
	assert_string_equal(str(doc, "starts_at"), "2025-11-25T10:00:00.123Z");
	assert_string_equal(str(doc, "ends_at"), "null");
	json_object_put(doc);
	/* A rule without a value in its window still gives JSON. */
	a = notice(ALERT_RESOLVED);
	a.value = NAN;
	doc = render(NOTIFIER_WEBHOOK, "http://hooks/sonde", &a, url);
	assert_string_equal(str(doc, "status"), "resolved");
	assert_string_equal(str(doc, "value"), "null");
	assert_string_equal(str(doc, "ends_at"), "2025-11-25T10:05:00.000Z");
	json_object_put(doc);
	doc = render(NOTIFIER_SLACK, "https://hooks.slack.com/services/T/B/X", &a, url);
	assert_string_equal(str(doc, "text"),
			    "[RESOLVED] critical high_error_rate (web): Error rate above 5% (error_rate > 50 (threshold 5))");
	json_object_put(doc);
}

static void test_pagerduty(void **state)
{
	struct alert_notice a = notice(ALERT_FIRING);
	char url[512];
	json_object *doc = render(NOTIFIER_PAGERDUTY, "", &a, url);

	(void)state;
	assert_string_equal(url, "https://events.pagerduty.com/v2/enqueue");
	assert_string_equal(str(doc, "routing_key"), "R0UT1NG");
	assert_string_equal(str(doc, "event_action"), "trigger");
	assert_string_equal(str(doc, "dedup_key"), "sonde/high_error_rate/web");
	assert_string_equal(str(doc, "payload.summary"), "Error rate above 5%");
	assert_string_equal(str(doc, "payload.source"), "web");
	assert_string_equal(str(doc, "payload.severity"), "critical");
	assert_string_equal(str(doc, "payload.custom_details.value"), "50.0");
	json_object_put(doc);
	a = notice(ALERT_RESOLVED);
	doc = render(NOTIFIER_PAGERDUTY, "http://127.0.0.1:1/v2/enqueue", &a, url);
	assert_string_equal(url, "http://127.0.0.1:1/v2/enqueue");
	assert_string_equal(str(doc, "event_action"), "resolve");
	assert_string_equal(str(doc, "dedup_key"), "sonde/high_error_rate/web");
	assert_null(str(doc, "payload"));
	json_object_put(doc);
}

static void wait_for(const struct notifier *nt, size_t i, unsigned long sent, unsigned long failed)
{
	const struct notifier_stats *st = notifier_stats(nt, i);

	for (int t = 0; t < 500 && (atomic_load(&st->sent) < sent || atomic_load(&st->failed) < failed); t++)
		usleep(10000);
}

/* 503 then 200: retried, sent once, the same body twice. */
static void test_sender_retries(void **state)
{
	static const int script[] = { 503, 200 };
	struct notifier_config cfg[2] = { { .type = NOTIFIER_WEBHOOK }, { .type = NOTIFIER_ALERTMANAGER } };
	struct alert_notice a = notice(ALERT_FIRING);
	struct loopback_http hook;
	struct notifier *nt;

	(void)state;
	assert_int_equal(loopback_start(&hook, script, 2), 0);
	snprintf(cfg[0].url, sizeof(cfg[0].url), "http://127.0.0.1:%u/sonde", hook.port);
	snprintf(cfg[1].url, sizeof(cfg[1].url), "http://127.0.0.1:%u", loopback_closed_port());
	assert_int_equal(notifier_start(&nt, cfg, 2, "sonde"), 0);
	notifier_push(nt, &a);
	wait_for(nt, 0, 1, 0);
	wait_for(nt, 1, 0, 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->sent), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 0)->failed), 0);
	assert_int_equal(loopback_requests(&hook), 2);
	assert_string_equal(hook.bodies[0], hook.bodies[1]);
	assert_non_null(strstr(hook.bodies[0], "\"status\":\"firing\""));
	/* Nothing listens for the Alertmanager: given up after the attempts. */
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->failed), 1);
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->sent), 0);
	/* A re-send of a firing alert is for Alertmanager only. */
	a.repeat = 1;
	notifier_push(nt, &a);
	wait_for(nt, 1, 0, 2);
	assert_int_equal(atomic_load(&notifier_stats(nt, 1)->failed), 2);
	assert_int_equal(loopback_requests(&hook), 2);
	notifier_stop(nt);
	assert_null(notifier_stats(NULL, 0));
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
	assert_int_equal(notifier_start(&nt, &cfg, 1, NULL), 0);
	notifier_push(nt, &a);
	wait_for(nt, 0, 0, 1);
	notifier_stop(nt);
	assert_int_equal(loopback_requests(&hook), 1);
	loopback_stop(&hook);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertmanager),
		cmocka_unit_test(test_webhook_and_slack),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_sender_retries),
		cmocka_unit_test(test_sender_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
