// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "base/config.h"
#include "base/yaml_walk.h"
#include "sonde.h"

int config_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* Written so that NaN fails too. */
	if (errno || end == s || !(v >= 0 && v <= 7 * 24 * 3600))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix)) {
			*ms = (uint64_t)(v * units[i].ms + 0.5);
			return 0;
		}
	}
	return -EINVAL;
}

static const char *const sla_ops[] = { "<", "<=", ">", ">=", "==" };

const char *config_op_name(enum sla_op op)
{
	return (unsigned)op < sizeof(sla_ops) / sizeof(sla_ops[0]) ? sla_ops[op] : "?";
}

int config_op_holds(enum sla_op op, double value, double target)
{
	switch (op) {
	case SLA_LT:
		return value < target;
	case SLA_LE:
		return value <= target;
	case SLA_GT:
		return value > target;
	case SLA_GE:
		return value >= target;
	case SLA_EQ:
		return value == target;
	}
	return 0;
}

static int duration_value(struct yaml_walk *w, const yaml_node_t *node, const char *key, uint64_t *ms)
{
	if (config_duration(yaml_walk_scalar(node), ms) || !*ms)
		return yaml_walk_fail(w, node, key, "expected a positive duration like 250ms, 5s, 5m or 1h");
	return 0;
}

static int number_value(struct yaml_walk *w, const yaml_node_t *node, const char *key, double *out)
{
	const char *v = yaml_walk_scalar(node);
	char *end;

	if (!v || !*v)
		return yaml_walk_fail(w, node, key, "expected a number");
	errno = 0;
	*out = strtod(v, &end);
	if (errno || *end || *out != *out)
		return yaml_walk_fail(w, node, key, "expected a number");
	return 0;
}

/* One of names[], by its index. */
static int enum_value(struct yaml_walk *w, const yaml_node_t *node, const char *key, const char *const *names, size_t n,
		      const char *expected, int *out)
{
	const char *v = yaml_walk_scalar(node);

	for (size_t i = 0; v && i < n; i++) {
		if (!strcmp(v, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	return yaml_walk_fail(w, node, key, "expected %s", expected);
}

#define ENUM_VALUE(w, node, key, names, expected, out) \
	enum_value(w, node, key, names, sizeof(names) / sizeof(names[0]), expected, (int *)(out))

/* Iterates a mapping's pairs as (key string, value node); a non-string key
 * fails. */
#define FOR_EACH_PAIR(w, map, section, key, k, v)                                                               \
	for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start; p_ < (map)->data.mapping.pairs.top; p_++)  \
		if (((k) = yaml_document_get_node((w)->doc, p_->key)),                                          \
		    ((v) = yaml_document_get_node((w)->doc, p_->value)), ((key) = yaml_walk_scalar(k)), !(key)) \
			return yaml_walk_fail(w, k, section, "expected string keys");                           \
		else

static int parse_match(struct yaml_walk *w, const yaml_node_t *node, struct service_config *svc)
{
	static const char *const kinds[] = { "pid", "exe", "port", "cgroup" };
	char spec[320], why[256];
	const yaml_node_pair_t *pair;
	const yaml_node_t *k, *v;
	const char *kind, *value;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "match", "expected a mapping with one of pid, exe, port, cgroup");
	pair = node->data.mapping.pairs.start;
	if (node->data.mapping.pairs.top - pair != 1)
		return yaml_walk_fail(w, node, "match", "expected exactly one of pid, exe, port, cgroup");
	k = yaml_document_get_node(w->doc, pair->key);
	v = yaml_document_get_node(w->doc, pair->value);
	kind = yaml_walk_scalar(k);
	value = yaml_walk_scalar(v);
	if (!kind || !value)
		return yaml_walk_fail(w, node, "match", "expected a mapping of strings");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kind, kinds[i]))
			continue;
		snprintf(spec, sizeof(spec), "%s:%s=%s", kind, value, svc->name);
		if (options_selector_parse(spec, &svc->match, why, sizeof(why)))
			return yaml_walk_fail(w, v, kind, "bad value %s", value);
		return 0;
	}
	return yaml_walk_fail(w, k, kind, "unknown selector (expected pid, exe, port or cgroup)");
}

static int parse_routes(struct yaml_walk *w, const yaml_node_t *node, struct service_config *svc)
{
	size_t n;

	if (node->type != YAML_SEQUENCE_NODE)
		return yaml_walk_fail(w, node, "routes", "expected a list of route patterns");
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n > CONFIG_MAX_ROUTES)
		return yaml_walk_fail(w, node, "routes", "at most %d patterns", CONFIG_MAX_ROUTES);
	svc->routes = calloc(n ? n : 1, sizeof(char *));
	if (!svc->routes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = yaml_document_get_node(w->doc, node->data.sequence.items.start[i]);
		const char *v = yaml_walk_scalar(item);

		if (!v || v[0] != '/')
			return yaml_walk_fail(w, item, "routes",
					      "expected a pattern starting with /, like /api/users/{id}");
		svc->routes[i] = strdup(v);
		if (!svc->routes[i])
			return -ENOMEM;
		svc->nroutes++;
	}
	return 0;
}

/* propagation: {inject: BOOL} */
static int parse_propagation(struct yaml_walk *w, const yaml_node_t *node, struct service_config *svc)
{
	const yaml_node_t *k, *v;
	const char *key, *value;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "propagation", "expected a mapping, like {inject: true}");
	FOR_EACH_PAIR(w, node, "propagation", key, k, v)
	{
		if (strcmp(key, "inject"))
			return yaml_walk_fail(w, k, key, "unknown key (expected inject)");
		value = yaml_walk_scalar(v);
		if (!value || (strcmp(value, "true") && strcmp(value, "false")))
			return yaml_walk_fail(w, v, "inject", "expected true or false");
		svc->inject = !strcmp(value, "true");
	}
	return 0;
}

static int parse_service(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	struct service_config *svc = &c->services[c->nservices];
	const yaml_node_t *match = NULL, *routes = NULL, *propagation = NULL;
	int have_name = 0, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "services", "expected each service to be a mapping with name and match");
	memset(svc, 0, sizeof(*svc));
	c->nservices++;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = yaml_walk_scalar(k);

		if (!key)
			return yaml_walk_fail(w, k, "services", "expected string keys");
		if (!strcmp(key, "name")) {
			ret = yaml_walk_string(w, v, "name", svc->name, sizeof(svc->name));
			if (ret)
				return ret;
			have_name = 1;
		} else if (!strcmp(key, "match")) {
			match = v;
		} else if (!strcmp(key, "routes")) {
			routes = v;
		} else if (!strcmp(key, "propagation")) {
			propagation = v;
		} else {
			return yaml_walk_fail(w, k, key, "unknown key (expected name, match, routes, propagation)");
		}
	}
	if (!have_name)
		return yaml_walk_fail(w, node, "services", "a service needs a name");
	for (size_t i = 0; i + 1 < c->nservices; i++)
		if (!strcmp(c->services[i].name, svc->name))
			return yaml_walk_fail(w, node, "name", "service %s is defined twice", svc->name);
	if (!match)
		return yaml_walk_fail(w, node, "match", "service %s needs a match (pid, exe, port or cgroup)",
				      svc->name);
	ret = parse_match(w, match, svc);
	if (!ret && routes)
		ret = parse_routes(w, routes, svc);
	if (!ret && propagation)
		ret = parse_propagation(w, propagation, svc);
	return ret;
}

/* Each item of a list section, as a mapping; at most max of them. */
static int section_items(struct yaml_walk *w, const yaml_node_t *node, const char *key, size_t max,
			 int (*item)(struct yaml_walk *, const yaml_node_t *, struct config *), struct config *c)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return yaml_walk_fail(w, node, key, "expected a list");
	if ((size_t)(node->data.sequence.items.top - node->data.sequence.items.start) > max)
		return yaml_walk_fail(w, node, key, "at most %zu entries", max);
	for (yaml_node_item_t *i = node->data.sequence.items.start; i < node->data.sequence.items.top; i++) {
		const yaml_node_t *n = yaml_document_get_node(w->doc, *i);
		int ret;

		if (n->type != YAML_MAPPING_NODE)
			return yaml_walk_fail(w, n, key, "expected each entry to be a mapping");
		ret = item(w, n, c);
		if (ret)
			return ret;
	}
	return 0;
}

static int unique_name(struct yaml_walk *w, const yaml_node_t *node, const char *what, const char *name,
		       const char *prev, size_t stride, size_t n)
{
	if (!*name)
		return yaml_walk_fail(w, node, "name", "every %s needs a name", what);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(prev + i * stride, name))
			return yaml_walk_fail(w, node, "name", "%s %s is defined twice", what, name);
	return 0;
}

static int parse_check(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	static const char *const types[] = { "http", "tcp", "redis", "postgres" };
	static const char *const target_key[] = { "url", "address", "address", "dsn" };
	struct check_config *ck = &c->checks[c->nchecks];
	const yaml_node_t *k, *v, *target = NULL;
	const char *key;
	int have_type = 0, ret = 0;

	memset(ck, 0, sizeof(*ck));
	ck->interval_ms = 10000;
	ck->timeout_ms = 2000;
	FOR_EACH_PAIR(w, node, "health_checks", key, k, v)
	{
		if (!strcmp(key, "name"))
			ret = yaml_walk_string(w, v, key, ck->name, sizeof(ck->name));
		else if (!strcmp(key, "type"))
			ret = ENUM_VALUE(w, v, key, types, "http, tcp, redis or postgres", &ck->type), have_type = 1;
		else if (!strcmp(key, "url") || !strcmp(key, "address") || !strcmp(key, "dsn"))
			ret = target ? yaml_walk_fail(w, k, key, "give one of url, address, dsn") :
				       yaml_walk_string(w, v, key, ck->target, sizeof(ck->target)),
			target = k;
		else if (!strcmp(key, "interval"))
			ret = duration_value(w, v, key, &ck->interval_ms);
		else if (!strcmp(key, "timeout"))
			ret = duration_value(w, v, key, &ck->timeout_ms);
		else if (!strcmp(key, "degraded_after"))
			ret = duration_value(w, v, key, &ck->degraded_ms);
		else if (!strcmp(key, "expect_status")) {
			double st;

			ret = number_value(w, v, key, &st);
			if (!ret && (st < 100 || st > 599 || st != (int)st))
				ret = yaml_walk_fail(w, v, key, "expected an HTTP status from 100 to 599");
			if (!ret)
				ck->expect_status = (int)st;
		} else
			ret = yaml_walk_fail(w, k, key,
					     "unknown key (expected name, type, url, address, dsn, interval, "
					     "timeout, expect_status, degraded_after)");
		if (ret)
			return ret;
	}
	ret = unique_name(w, node, "health check", ck->name, c->checks[0].name, sizeof(*ck), c->nchecks);
	if (ret)
		return ret;
	if (!have_type)
		return yaml_walk_fail(w, node, "type", "health check %s needs a type (http, tcp, redis, postgres)",
				      ck->name);
	if (!target || strcmp(yaml_walk_scalar(target), target_key[ck->type]))
		return yaml_walk_fail(w, target ? target : node, target ? yaml_walk_scalar(target) : "type",
				      "a %s check takes %s", types[ck->type], target_key[ck->type]);
	if (ck->type == CHECK_HTTP && strncmp(ck->target, "http://", 7) && strncmp(ck->target, "https://", 8))
		return yaml_walk_fail(w, node, "url", "expected an http:// or https:// URL");
	if ((ck->type == CHECK_TCP || ck->type == CHECK_REDIS) && !strrchr(ck->target, ':'))
		return yaml_walk_fail(w, node, "address", "expected HOST:PORT");
	c->nchecks++;
	return 0;
}

/* "2xx", "503" or "500-599". */
static int parse_status(struct yaml_walk *w, const yaml_node_t *node, struct request_match *m)
{
	const char *v = yaml_walk_scalar(node);
	int lo, hi, used = 0;

	if (v && strlen(v) == 3 && v[0] >= '1' && v[0] <= '5' && !strcmp(v + 1, "xx")) {
		m->status_lo = (v[0] - '0') * 100;
		m->status_hi = m->status_lo + 99;
		return 0;
	}
	if (v && sscanf(v, "%d-%d%n", &lo, &hi, &used) == 2 && !v[used] && lo >= 100 && lo <= hi && hi <= 599) {
		m->status_lo = lo;
		m->status_hi = hi;
		return 0;
	}
	if (v && sscanf(v, "%d%n", &lo, &used) == 1 && !v[used] && lo >= 100 && lo <= 599) {
		m->status_lo = m->status_hi = lo;
		return 0;
	}
	return yaml_walk_fail(w, node, "status", "expected a status like 200, 2xx or 500-599");
}

static int parse_request_match(struct yaml_walk *w, const yaml_node_t *node, struct request_match *m)
{
	const yaml_node_t *k, *v;
	const char *key;
	int ret;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "match", "expected a mapping of service, method, endpoint, status");
	FOR_EACH_PAIR(w, node, "match", key, k, v)
	{
		if (!strcmp(key, "service"))
			ret = yaml_walk_string(w, v, key, m->service, sizeof(m->service));
		else if (!strcmp(key, "method"))
			ret = yaml_walk_string(w, v, key, m->method, sizeof(m->method));
		else if (!strcmp(key, "endpoint"))
			ret = yaml_walk_string(w, v, key, m->endpoint, sizeof(m->endpoint));
		else if (!strcmp(key, "status"))
			ret = parse_status(w, v, m);
		else
			ret = yaml_walk_fail(w, k, key, "unknown key (expected service, method, endpoint, status)");
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_sla(struct yaml_walk *w, const yaml_node_t *node, struct business_config *b)
{
	const yaml_node_t *k, *v;
	const char *key;
	int have_target = 0, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "sla", "expected a mapping of target, operator, objective, window");
	b->has_sla = 1;
	b->sla_op = SLA_LE;
	b->sla_objective = 0.99;
	b->sla_window_ms = 300000;
	FOR_EACH_PAIR(w, node, "sla", key, k, v)
	{
		if (!strcmp(key, "target"))
			ret = number_value(w, v, key, &b->sla_target), have_target = 1;
		else if (!strcmp(key, "operator"))
			ret = ENUM_VALUE(w, v, key, sla_ops, "one of <, <=, >, >=, ==", &b->sla_op);
		else if (!strcmp(key, "objective")) {
			ret = number_value(w, v, key, &b->sla_objective);
			if (!ret && (b->sla_objective <= 0 || b->sla_objective > 1))
				ret = yaml_walk_fail(w, v, key, "expected a ratio in (0, 1]");
		} else if (!strcmp(key, "window"))
			ret = duration_value(w, v, key, &b->sla_window_ms);
		else
			ret = yaml_walk_fail(w, k, key, "unknown key (expected target, operator, objective, window)");
		if (ret)
			return ret;
	}
	if (!have_target)
		return yaml_walk_fail(w, node, "sla", "an SLA needs a target");
	return 0;
}

static int parse_business(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	static const char *const values[] = { "count", "duration" };
	struct business_config *b = &c->business[c->nbusiness];
	const yaml_node_t *k, *v;
	const char *key;
	char why[256];
	int ret;

	memset(b, 0, sizeof(*b));
	FOR_EACH_PAIR(w, node, "business_metrics", key, k, v)
	{
		if (!strcmp(key, "name")) {
			struct sonde_options o;
			char *argv[] = { "sonde", "--namespace",
					 (char *)(yaml_walk_scalar(v) ? yaml_walk_scalar(v) : ""), NULL };

			/* A metric name's rules are a namespace's. */
			ret = yaml_walk_string(w, v, key, b->name, sizeof(b->name));
			if (!ret && options_parse(3, argv, &o, why, sizeof(why)))
				ret = yaml_walk_fail(w, v, key, "expected a metric name [a-zA-Z_][a-zA-Z0-9_]*");
		} else if (!strcmp(key, "description"))
			ret = yaml_walk_string(w, v, key, b->description, sizeof(b->description));
		else if (!strcmp(key, "match"))
			ret = parse_request_match(w, v, &b->match);
		else if (!strcmp(key, "value"))
			ret = ENUM_VALUE(w, v, key, values, "count or duration", &b->value_duration);
		else if (!strcmp(key, "sla"))
			ret = parse_sla(w, v, b);
		else
			ret = yaml_walk_fail(w, k, key, "unknown key (expected name, description, match, value, sla)");
		if (ret)
			return ret;
	}
	ret = unique_name(w, node, "business metric", b->name, c->business[0].name, sizeof(*b), c->nbusiness);
	if (ret)
		return ret;
	c->nbusiness++;
	return 0;
}

/* metric: a built-in, health:CHECK, sla:NAME or a business metric; the
 * names must be defined in the file. */
static int parse_alert_metric(struct yaml_walk *w, const yaml_node_t *node, const struct config *c,
			      struct alert_rule_config *r)
{
	static const char *const builtin[] = { "error_rate", "request_rate", "latency_p50", "latency_p95",
					       "latency_p99" };
	const char *v = yaml_walk_scalar(node);

	for (size_t i = 0; v && i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (!strcmp(v, builtin[i])) {
			r->metric = (enum alert_metric)i;
			return 0;
		}
	}
	if (v && !strncmp(v, "health:", 7)) {
		for (size_t i = 0; i < c->nchecks; i++)
			if (!strcmp(c->checks[i].name, v + 7))
				return r->metric = AM_HEALTH,
				       snprintf(r->metric_arg, sizeof(r->metric_arg), "%s", v + 7), 0;
		return yaml_walk_fail(w, node, "metric", "no health check named %s", v + 7);
	}
	if (v && !strncmp(v, "sla:", 4)) {
		for (size_t i = 0; i < c->nbusiness; i++)
			if (c->business[i].has_sla && !strcmp(c->business[i].name, v + 4))
				return r->metric = AM_SLA, snprintf(r->metric_arg, sizeof(r->metric_arg), "%s", v + 4),
				       0;
		return yaml_walk_fail(w, node, "metric", "no business metric with an sla named %s", v + 4);
	}
	for (size_t i = 0; v && i < c->nbusiness; i++)
		if (!strcmp(c->business[i].name, v))
			return r->metric = AM_BUSINESS, snprintf(r->metric_arg, sizeof(r->metric_arg), "%s", v), 0;
	return yaml_walk_fail(w, node, "metric",
			      "expected error_rate, request_rate, latency_p50, latency_p95, latency_p99, "
			      "health:CHECK, sla:NAME or a business metric's name");
}

static int parse_rule(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	static const char *const levels[] = { "info", "warning", "critical" };
	static const char *const aggregations[] = { "average", "max", "min", "sum", "count" };
	struct alert_rule_config *r = &c->rules[c->nrules];
	const yaml_node_t *k, *v;
	const char *key;
	int have_metric = 0, have_threshold = 0, ret;

	memset(r, 0, sizeof(*r));
	r->condition = SLA_GT;
	r->level = ALERT_WARNING;
	r->window_ms = 300000;
	r->interval_ms = 30000;
	FOR_EACH_PAIR(w, node, "alert_rules", key, k, v)
	{
		if (!strcmp(key, "name"))
			ret = yaml_walk_string(w, v, key, r->name, sizeof(r->name));
		else if (!strcmp(key, "service"))
			ret = yaml_walk_string(w, v, key, r->service, sizeof(r->service));
		else if (!strcmp(key, "metric"))
			ret = parse_alert_metric(w, v, c, r), have_metric = 1;
		else if (!strcmp(key, "condition"))
			ret = ENUM_VALUE(w, v, key, sla_ops, "one of <, <=, >, >=, ==", &r->condition);
		else if (!strcmp(key, "threshold"))
			ret = number_value(w, v, key, &r->threshold), have_threshold = 1;
		else if (!strcmp(key, "level"))
			ret = ENUM_VALUE(w, v, key, levels, "info, warning or critical", &r->level);
		else if (!strcmp(key, "aggregation"))
			ret = ENUM_VALUE(w, v, key, aggregations, "average, max, min, sum or count", &r->aggregation);
		else if (!strcmp(key, "window"))
			ret = duration_value(w, v, key, &r->window_ms);
		else if (!strcmp(key, "evaluation_interval"))
			ret = duration_value(w, v, key, &r->interval_ms);
		else if (!strcmp(key, "for"))
			ret = config_duration(yaml_walk_scalar(v), &r->for_ms) ?
				      yaml_walk_fail(w, v, key, "expected a duration like 0s, 30s or 5m") :
				      0;
		else if (!strcmp(key, "description"))
			ret = yaml_walk_string(w, v, key, r->description, sizeof(r->description));
		else
			ret = yaml_walk_fail(w, k, key,
					     "unknown key (expected name, service, metric, condition, threshold, "
					     "level, aggregation, window, evaluation_interval, for, description)");
		if (ret)
			return ret;
	}
	ret = unique_name(w, node, "alert rule", r->name, c->rules[0].name, sizeof(*r), c->nrules);
	if (ret)
		return ret;
	if (!have_metric || !have_threshold)
		return yaml_walk_fail(w, node, have_metric ? "threshold" : "metric",
				      "alert rule %s needs a metric and a threshold", r->name);
	c->nrules++;
	return 0;
}

static int parse_notifier(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	static const char *const types[] = { "alertmanager", "webhook", "slack", "pagerduty" };
	struct notifier_config *n = &c->notifiers[c->nnotifiers];
	const yaml_node_t *k, *v;
	const char *key;
	int have_type = 0, ret;

	memset(n, 0, sizeof(*n));
	FOR_EACH_PAIR(w, node, "notifiers", key, k, v)
	{
		if (!strcmp(key, "type"))
			ret = ENUM_VALUE(w, v, key, types, "alertmanager, webhook, slack or pagerduty", &n->type),
			have_type = 1;
		else if (!strcmp(key, "url"))
			ret = yaml_walk_string(w, v, key, n->url, sizeof(n->url));
		else if (!strcmp(key, "routing_key"))
			ret = yaml_walk_string(w, v, key, n->routing_key, sizeof(n->routing_key));
		else
			ret = yaml_walk_fail(w, k, key, "unknown key (expected type, url, routing_key)");
		if (ret)
			return ret;
	}
	if (!have_type)
		return yaml_walk_fail(w, node, "type",
				      "a notifier needs a type (alertmanager, webhook, slack, pagerduty)");
	if (n->type == NOTIFIER_PAGERDUTY ? !n->routing_key[0] : !n->url[0])
		return yaml_walk_fail(w, node, n->type == NOTIFIER_PAGERDUTY ? "routing_key" : "url",
				      "a %s notifier needs %s", types[n->type],
				      n->type == NOTIFIER_PAGERDUTY ? "a routing_key" : "a url");
	if (n->url[0] && strncmp(n->url, "http://", 7) && strncmp(n->url, "https://", 8))
		return yaml_walk_fail(w, node, "url", "expected an http:// or https:// URL");
	c->nnotifiers++;
	return 0;
}

int config_func_failed(enum func_error e, int64_t ret)
{
	switch (e) {
	case FUNC_ERROR_LT0:
		return ret < 0;
	case FUNC_ERROR_EQ0:
		return ret == 0;
	case FUNC_ERROR_NE0:
		return ret != 0;
	case FUNC_ERROR_GT0:
		return ret > 0;
	case FUNC_ERROR_LE0:
		return ret <= 0;
	default:
		return 0;
	}
}

/* Its service must be one of the file's, selected by process: the probes
 * go into its processes as they become targets. */
static int function_service(struct yaml_walk *w, const yaml_node_t *node, const struct config *c,
			    const struct function_config *f)
{
	for (size_t i = 0; i < c->nservices; i++) {
		if (strcmp(c->services[i].name, f->service))
			continue;
		if (c->services[i].match.kind == SELECTOR_CGROUP)
			return yaml_walk_fail(
				w, node, "service",
				"service %s is selected by cgroup: functions follow services selected by pid, "
				"exe or port",
				f->service);
		return 0;
	}
	return yaml_walk_fail(w, node, "service", "no service %s under services", f->service);
}

static int parse_function(struct yaml_walk *w, const yaml_node_t *node, struct config *c)
{
	static const char *const errors[] = { "never", "<0", "==0", "!=0", ">0", "<=0" };
	static const char *const runtimes[] = { "native", "go", "python" };
	struct function_config *f = &c->functions[c->nfunctions];
	const yaml_node_t *k, *v, *service = NULL;
	const char *key;
	int ret;

	memset(f, 0, sizeof(*f));
	FOR_EACH_PAIR(w, node, "functions", key, k, v)
	{
		if (!strcmp(key, "service"))
			ret = yaml_walk_string(w, v, key, f->service, sizeof(f->service)), service = v;
		else if (!strcmp(key, "symbol"))
			ret = yaml_walk_string(w, v, key, f->symbol, sizeof(f->symbol));
		else if (!strcmp(key, "name"))
			ret = yaml_walk_string(w, v, key, f->name, sizeof(f->name));
		else if (!strcmp(key, "library"))
			ret = yaml_walk_string(w, v, key, f->library, sizeof(f->library));
		else if (!strcmp(key, "error_when"))
			ret = ENUM_VALUE(w, v, key, errors, "never, <0, ==0, !=0, >0 or <=0", &f->error_when);
		else if (!strcmp(key, "runtime"))
			ret = ENUM_VALUE(w, v, key, runtimes, "native, go or python", &f->runtime);
		else
			ret = yaml_walk_fail(
				w, k, key,
				"unknown key (expected service, symbol, name, error_when, library, runtime)");
		if (ret)
			return ret;
	}
	if (!service)
		return yaml_walk_fail(w, node, "service", "a function needs the service whose processes run it");
	ret = function_service(w, service, c, f);
	if (ret)
		return ret;
	if (!f->symbol[0])
		return yaml_walk_fail(w, node, "symbol", "a function needs a symbol");
	if (f->runtime == FUNC_RUNTIME_PYTHON) {
		const char *dot = strrchr(f->symbol, '.');

		if (!dot || dot == f->symbol || !dot[1] || strlen(dot + 1) >= SONDE_PY_NAME_MAX)
			return yaml_walk_fail(w, node, "symbol",
					      "a Python function is module.function, its name under %d bytes",
					      SONDE_PY_NAME_MAX);
		if (f->error_when != FUNC_ERROR_NEVER)
			return yaml_walk_fail(w, node, "error_when", "a Python function's return value is not seen");
		if (f->library[0])
			return yaml_walk_fail(w, node, "library",
					      "a Python function is found by its module, not a library");
	}
	/* The symbol, cut to a label's length. */
	if (!f->name[0])
		memcpy(f->name, f->symbol, strnlen(f->symbol, sizeof(f->name) - 1));
	for (size_t i = 0; i < c->nfunctions; i++)
		if (!strcmp(c->functions[i].service, f->service) && !strcmp(c->functions[i].name, f->name))
			return yaml_walk_fail(w, node, "name", "function %s of service %s is defined twice", f->name,
					      f->service);
	c->nfunctions++;
	return 0;
}

static int parse_root(struct yaml_walk *w, const yaml_node_t *root, struct config *c)
{
	const yaml_node_t *rules = NULL, *functions = NULL;
	char why[256];
	int ret = 0;

	if (root->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, root, "configuration", "expected a mapping of listen, namespace, services");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = yaml_walk_scalar(k);

		if (!key)
			return yaml_walk_fail(w, k, "configuration", "expected string keys");
		if (!strcmp(key, "listen")) {
			struct sonde_options o;
			char *argv[] = { "sonde", "--listen", (char *)(yaml_walk_scalar(v) ? yaml_walk_scalar(v) : ""),
					 NULL };

			if (!yaml_walk_scalar(v) || options_parse(3, argv, &o, why, sizeof(why)))
				return yaml_walk_fail(w, v, "listen", "expected ADDR:PORT");
			strcpy(c->listen_host, o.listen_host);
			c->listen_port = o.listen_port;
			c->has_listen = 1;
		} else if (!strcmp(key, "namespace")) {
			struct sonde_options o;
			char *argv[] = { "sonde", "--namespace",
					 (char *)(yaml_walk_scalar(v) ? yaml_walk_scalar(v) : ""), NULL };

			if (!yaml_walk_scalar(v) || options_parse(3, argv, &o, why, sizeof(why)))
				return yaml_walk_fail(w, v, "namespace", "expected [a-zA-Z_][a-zA-Z0-9_]*");
			strcpy(c->ns, o.ns);
			c->has_namespace = 1;
		} else if (!strcmp(key, "services")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return yaml_walk_fail(w, v, "services", "expected a list of services");
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				if (c->nservices == SONDE_MAX_SELECTORS)
					return yaml_walk_fail(w, v, "services", "at most %d services",
							      SONDE_MAX_SELECTORS);
				ret = parse_service(w, yaml_document_get_node(w->doc, *i), c);
				if (ret)
					return ret;
			}
		} else if (!strcmp(key, "health_checks")) {
			ret = section_items(w, v, key, CONFIG_MAX_CHECKS, parse_check, c);
		} else if (!strcmp(key, "business_metrics")) {
			ret = section_items(w, v, key, CONFIG_MAX_BUSINESS, parse_business, c);
		} else if (!strcmp(key, "alert_rules")) {
			/* After the rest: a rule may name checks and metrics defined below it. */
			rules = v;
			ret = 0;
		} else if (!strcmp(key, "notifiers")) {
			ret = section_items(w, v, key, CONFIG_MAX_NOTIFIERS, parse_notifier, c);
		} else if (!strcmp(key, "functions")) {
			/* After the services they name. */
			functions = v;
			ret = 0;
		} else {
			return yaml_walk_fail(w, k, key,
					      "unknown key (expected listen, namespace, services, health_checks, "
					      "business_metrics, alert_rules, notifiers, functions)");
		}
		if (ret)
			return ret;
	}
	if (functions)
		ret = section_items(w, functions, "functions", CONFIG_MAX_FUNCTIONS, parse_function, c);
	return !ret && rules ? section_items(w, rules, "alert_rules", CONFIG_MAX_RULES, parse_rule, c) : ret;
}

int config_parse(const char *file, const char *text, size_t len, struct config *out, char *err, size_t errlen)
{
	yaml_document_t doc;
	yaml_node_t *root;
	struct yaml_walk w = { .doc = &doc, .file = file, .err = err, .errlen = errlen };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = yaml_walk_load(&w, text, len, &root);
	if (ret)
		return ret;
	/* An empty file is the defaults. */
	if (root)
		ret = parse_root(&w, root, out);
	yaml_document_delete(&doc);
	if (ret)
		config_free(out);
	return ret;
}

int config_load(const char *path, struct config *out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int ret;

	ret = yaml_walk_read(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = config_parse(path, text, len, out, err, errlen);
	free(text);
	return ret;
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < c->nservices; i++) {
		for (size_t r = 0; r < c->services[i].nroutes; r++)
			free(c->services[i].routes[r]);
		free(c->services[i].routes);
		c->services[i].routes = NULL;
		c->services[i].nroutes = 0;
	}
	c->nservices = 0;
}
