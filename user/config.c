// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

struct walk {
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "FILE:LINE: key: what is wrong"; lines count from 1. */
static int fail(struct walk *w, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, w->errlen, "%s:%lu: %s: ", w->file, (unsigned long)node->start_mark.line + 1, key);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int string_value(struct walk *w, const yaml_node_t *node, const char *key, char *out, size_t size)
{
	const char *v = scalar(node);

	if (!v)
		return fail(w, node, key, "expected a string");
	if (!*v || strlen(v) >= size)
		return fail(w, node, key, "expected 1 to %zu characters", size - 1);
	strcpy(out, v);
	return 0;
}

static int parse_match(struct walk *w, const yaml_node_t *node, struct service_config *svc)
{
	static const char *const kinds[] = { "pid", "exe", "port", "cgroup" };
	char spec[320], why[256];
	const yaml_node_pair_t *pair;
	const yaml_node_t *k, *v;
	const char *kind, *value;

	if (node->type != YAML_MAPPING_NODE)
		return fail(w, node, "match", "expected a mapping with one of pid, exe, port, cgroup");
	pair = node->data.mapping.pairs.start;
	if (node->data.mapping.pairs.top - pair != 1)
		return fail(w, node, "match", "expected exactly one of pid, exe, port, cgroup");
	k = yaml_document_get_node(w->doc, pair->key);
	v = yaml_document_get_node(w->doc, pair->value);
	kind = scalar(k);
	value = scalar(v);
	if (!kind || !value)
		return fail(w, node, "match", "expected a mapping of strings");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kind, kinds[i]))
			continue;
		snprintf(spec, sizeof(spec), "%s:%s=%s", kind, value, svc->name);
		if (selector_parse(spec, &svc->match, why, sizeof(why)))
			return fail(w, v, kind, "bad value %s", value);
		return 0;
	}
	return fail(w, k, kind, "unknown selector (expected pid, exe, port or cgroup)");
}

static int parse_routes(struct walk *w, const yaml_node_t *node, struct service_config *svc)
{
	size_t n;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail(w, node, "routes", "expected a list of route patterns");
	n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n > CONFIG_MAX_ROUTES)
		return fail(w, node, "routes", "at most %d patterns", CONFIG_MAX_ROUTES);
	svc->routes = calloc(n ? n : 1, sizeof(char *));
	if (!svc->routes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *item = yaml_document_get_node(w->doc, node->data.sequence.items.start[i]);
		const char *v = scalar(item);

		if (!v || v[0] != '/')
			return fail(w, item, "routes", "expected a pattern starting with /, like /api/users/{id}");
		svc->routes[i] = strdup(v);
		if (!svc->routes[i])
			return -ENOMEM;
		svc->nroutes++;
	}
	return 0;
}

static int parse_service(struct walk *w, const yaml_node_t *node, struct config *c)
{
	struct service_config *svc = &c->services[c->nservices];
	const yaml_node_t *match = NULL, *routes = NULL;
	int have_name = 0, ret;

	if (node->type != YAML_MAPPING_NODE)
		return fail(w, node, "services", "expected each service to be a mapping with name and match");
	memset(svc, 0, sizeof(*svc));
	c->nservices++;
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = scalar(k);

		if (!key)
			return fail(w, k, "services", "expected string keys");
		if (!strcmp(key, "name")) {
			ret = string_value(w, v, "name", svc->name, sizeof(svc->name));
			if (ret)
				return ret;
			have_name = 1;
		} else if (!strcmp(key, "match")) {
			match = v;
		} else if (!strcmp(key, "routes")) {
			routes = v;
		} else {
			return fail(w, k, key, "unknown key (expected name, match, routes)");
		}
	}
	if (!have_name)
		return fail(w, node, "services", "a service needs a name");
	for (size_t i = 0; i + 1 < c->nservices; i++)
		if (!strcmp(c->services[i].name, svc->name))
			return fail(w, node, "name", "service %s is defined twice", svc->name);
	if (!match)
		return fail(w, node, "match", "service %s needs a match (pid, exe, port or cgroup)", svc->name);
	ret = parse_match(w, match, svc);
	if (!ret && routes)
		ret = parse_routes(w, routes, svc);
	return ret;
}

static int parse_root(struct walk *w, const yaml_node_t *root, struct config *c)
{
	char why[256];
	int ret;

	if (root->type != YAML_MAPPING_NODE)
		return fail(w, root, "configuration", "expected a mapping of listen, namespace, services");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const char *key = scalar(k);

		if (!key)
			return fail(w, k, "configuration", "expected string keys");
		if (!strcmp(key, "listen")) {
			struct sonde_options o;
			char *argv[] = { "sonde", "--listen", (char *)(scalar(v) ? scalar(v) : ""), NULL };

			if (!scalar(v) || options_parse(3, argv, &o, why, sizeof(why)))
				return fail(w, v, "listen", "expected ADDR:PORT");
			strcpy(c->listen_host, o.listen_host);
			c->listen_port = o.listen_port;
			c->has_listen = 1;
		} else if (!strcmp(key, "namespace")) {
			struct sonde_options o;
			char *argv[] = { "sonde", "--namespace", (char *)(scalar(v) ? scalar(v) : ""), NULL };

			if (!scalar(v) || options_parse(3, argv, &o, why, sizeof(why)))
				return fail(w, v, "namespace", "expected [a-zA-Z_][a-zA-Z0-9_]*");
			strcpy(c->ns, o.ns);
			c->has_namespace = 1;
		} else if (!strcmp(key, "services")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return fail(w, v, "services", "expected a list of services");
			for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
				if (c->nservices == SONDE_MAX_SELECTORS)
					return fail(w, v, "services", "at most %d services", SONDE_MAX_SELECTORS);
				ret = parse_service(w, yaml_document_get_node(w->doc, *i), c);
				if (ret)
					return ret;
			}
		} else {
			return fail(w, k, key, "unknown key (expected listen, namespace, services)");
		}
	}
	return 0;
}

int config_parse(const char *file, const char *text, size_t len, struct config *out, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct walk w = { .doc = &doc, .file = file, .err = err, .errlen = errlen };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: syntax: %s", file, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	/* An empty file is the defaults. */
	if (root && !(root->type == YAML_SCALAR_NODE && !root->data.scalar.length))
		ret = parse_root(&w, root, out);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret)
		config_free(out);
	return ret;
}

int config_load(const char *path, struct config *out, char *err, size_t errlen)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	ret = config_parse(path, n > 0 ? text : "", n > 0 ? (size_t)n : 0, out, err, errlen);
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
