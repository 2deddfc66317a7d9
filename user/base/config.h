/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The configuration file (--config FILE), YAML through libyaml. Strict: an
 * unknown key, a wrong type or a bad value is refused with the file, the
 * line, the key and what is wrong, and nothing of the file is used. */
#ifndef SONDE_CONFIG_H
#define SONDE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "base/options.h"

#define CONFIG_MAX_ROUTES 256

struct service_config {
	char name[SONDE_NAME_MAX];
	struct selector match; /* its service is the name */
	char **routes; /* explicit route patterns, first match wins */
	size_t nroutes;
	/* propagation: {inject: true}: a traceparent is written into the
	 * service's outgoing HTTP/1.x requests that carry none. */
	int inject;
};

enum check_type { CHECK_HTTP, CHECK_TCP, CHECK_REDIS, CHECK_POSTGRES };

/* health_checks[]: run by their own thread on their interval. */
struct check_config {
	char name[SONDE_NAME_MAX];
	enum check_type type;
	char target[512]; /* http: url; tcp, redis: host:port; postgres: libpq dsn */
	uint64_t interval_ms; /* default 10 s */
	uint64_t timeout_ms; /* default 2 s */
	int expect_status; /* http: 0 means any 2xx or 3xx */
	uint64_t degraded_ms; /* a passing check slower than this is degraded; 0: never */
};

/* What a business metric or an alert's metric counts: "" and 0 match any. */
struct request_match {
	char service[SONDE_NAME_MAX];
	char method[16];
	char endpoint[256];
	int status_lo, status_hi; /* inclusive; 0/0: any status */
};

enum sla_op { SLA_LT, SLA_LE, SLA_GT, SLA_GE, SLA_EQ };

/* business_metrics[]: a counter of matched requests, or with value:
 * duration a histogram of their durations; optionally an SLA. */
struct business_config {
	char name[SONDE_NAME_MAX]; /* without the namespace */
	char description[256];
	struct request_match match;
	int value_duration;
	int has_sla;
	double sla_target; /* duration: seconds; counter: requests per second */
	enum sla_op sla_op;
	double sla_objective; /* share of the window that must comply; default 0.99 */
	uint64_t sla_window_ms; /* default 5 min */
};

enum alert_level { ALERT_INFO, ALERT_WARNING, ALERT_CRITICAL };
enum alert_aggregation { AGG_AVERAGE, AGG_MAX, AGG_MIN, AGG_SUM, AGG_COUNT };
enum alert_metric {
	AM_ERROR_RATE,
	AM_REQUEST_RATE,
	AM_LATENCY_P50,
	AM_LATENCY_P95,
	AM_LATENCY_P99,
	AM_HEALTH,
	AM_SLA,
	AM_BUSINESS,
};

struct alert_rule_config {
	char name[SONDE_NAME_MAX];
	char service[SONDE_NAME_MAX]; /* "" for every observed request */
	enum alert_metric metric;
	char metric_arg[SONDE_NAME_MAX]; /* the check, SLA or business metric named */
	enum sla_op condition;
	double threshold;
	enum alert_level level;
	enum alert_aggregation aggregation;
	uint64_t window_ms; /* default 5 min */
	uint64_t interval_ms; /* default 30 s */
	uint64_t for_ms; /* default 0 */
	char description[256];
};

enum notifier_type { NOTIFIER_ALERTMANAGER, NOTIFIER_WEBHOOK, NOTIFIER_SLACK, NOTIFIER_PAGERDUTY };
#define NOTIFIER_TYPES 4

struct notifier_config {
	enum notifier_type type;
	char url[512]; /* pagerduty: default the Events API v2 URL */
	char routing_key[128]; /* pagerduty */
};

/* What a function's return value means: none, or the comparison with 0
 * that says it failed. */
enum func_error { FUNC_ERROR_NEVER, FUNC_ERROR_LT0, FUNC_ERROR_EQ0, FUNC_ERROR_NE0, FUNC_ERROR_GT0, FUNC_ERROR_LE0 };
/* How its calls are seen: native code and Go by symbol, Python through
 * CPython's USDT probes. Native is Go's too when the file is a Go
 * executable. */
enum func_runtime { FUNC_RUNTIME_NATIVE, FUNC_RUNTIME_GO, FUNC_RUNTIME_PYTHON };

/* functions[]: a function of a service's processes, timed and counted. */
struct function_config {
	char service[SONDE_NAME_MAX];
	char symbol[256]; /* an ELF symbol, a Go symbol, or Python's module.function */
	char name[SONDE_NAME_MAX]; /* the label and span name; default the symbol, cut */
	char library[256]; /* the file's name or path; "" for the executable */
	enum func_error error_when;
	enum func_runtime runtime;
};

#define CONFIG_MAX_CHECKS 64
#define CONFIG_MAX_BUSINESS 64
#define CONFIG_MAX_RULES 64
#define CONFIG_MAX_NOTIFIERS 16
#define CONFIG_MAX_FUNCTIONS 64

struct config {
	int has_listen;
	char listen_host[64];
	uint16_t listen_port;
	int has_namespace;
	char ns[SONDE_NAME_MAX];
	struct service_config services[SONDE_MAX_SELECTORS];
	size_t nservices;
	struct check_config checks[CONFIG_MAX_CHECKS];
	size_t nchecks;
	struct business_config business[CONFIG_MAX_BUSINESS];
	size_t nbusiness;
	struct alert_rule_config rules[CONFIG_MAX_RULES];
	size_t nrules;
	struct notifier_config notifiers[CONFIG_MAX_NOTIFIERS];
	size_t nnotifiers;
	struct function_config functions[CONFIG_MAX_FUNCTIONS];
	size_t nfunctions;
};

/* "5s", "250ms", "5m", "1h", or a bare number of seconds; 0 or -EINVAL. */
int config_duration(const char *s, uint64_t *ms);
const char *config_op_name(enum sla_op op);
/* Whether a return value means failure. */
int config_func_failed(enum func_error e, int64_t ret);
/* Does value op target hold? */
int config_op_holds(enum sla_op op, double value, double target);

/* Parses YAML text; file names the source in messages. Returns 0, or -EINVAL
 * with "FILE:LINE: key: what is wrong" in err. */
int config_parse(const char *file, const char *text, size_t len, struct config *out, char *err, size_t errlen);
/* Reads and parses a file. */
int config_load(const char *path, struct config *out, char *err, size_t errlen);
void config_free(struct config *c);

#endif
