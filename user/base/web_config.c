// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml_walk.h"
#include "base/web_config.h"

static const char *const client_auth_names[] = {
	[WEB_NO_CLIENT_CERT] = "NoClientCert",
	[WEB_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[WEB_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[WEB_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEB_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

static const char *const tls_versions[] = { "TLS10", "TLS11", "TLS12", "TLS13" };

#define FOR_PAIRS(w, map, k, v, key)                                                                            \
	for (yaml_node_pair_t *p_ = (map)->data.mapping.pairs.start; p_ < (map)->data.mapping.pairs.top; p_++)  \
		if (((k) = yaml_document_get_node((w)->doc, p_->key)),                                          \
		    ((v) = yaml_document_get_node((w)->doc, p_->value)), ((key) = yaml_walk_scalar(k)), !(key)) \
			return yaml_walk_fail(w, k, "web configuration", "expected a string key");              \
		else

/* A file the configuration names, relative to its own directory. */
static int read_named(struct yaml_walk *w, const yaml_node_t *node, const char *key, char **out)
{
	char path[4096], dir[4096], why[512];
	const char *v = yaml_walk_scalar(node);
	size_t len;

	if (!v || !*v)
		return yaml_walk_fail(w, node, key, "expected a file name");
	snprintf(dir, sizeof(dir), "%s", w->file);
	if (v[0] == '/')
		snprintf(path, sizeof(path), "%s", v);
	else
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), v);
	if (yaml_walk_read(path, out, &len, why, sizeof(why)))
		return yaml_walk_fail(w, node, key, "%s", why);
	return 0;
}

static int version_index(struct yaml_walk *w, const yaml_node_t *node, const char *key, int *out)
{
	const char *v = yaml_walk_scalar(node);

	for (int i = 0; v && i < 4; i++) {
		if (!strcmp(v, tls_versions[i])) {
			*out = i;
			return 0;
		}
	}
	return yaml_walk_fail(w, node, key, "expected TLS10, TLS11, TLS12 or TLS13");
}

/* GnuTLS priority strings for the versions from min to max. */
static const char *priorities(int min, int max)
{
	static const char *const table[4][4] = {
		{ "NORMAL:-VERS-ALL:+VERS-TLS1.0", "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0",
		  "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0",
		  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1:+VERS-TLS1.0" },
		{ NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.1", "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1",
		  "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:+VERS-TLS1.1" },
		{ NULL, NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" },
		{ NULL, NULL, NULL, "NORMAL:-VERS-ALL:+VERS-TLS1.3" },
	};

	return table[min][max];
}

static int parse_tls(struct yaml_walk *w, const yaml_node_t *node, struct web_config *c)
{
	const yaml_node_t *k, *v, *ca = NULL;
	const char *key;
	int min = 2, max = 3, ret;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "tls_server_config", "expected a mapping");
	FOR_PAIRS(w, node, k, v, key)
	{
		if (!strcmp(key, "cert_file")) {
			ret = read_named(w, v, key, &c->cert_pem);
		} else if (!strcmp(key, "key_file")) {
			ret = read_named(w, v, key, &c->key_pem);
		} else if (!strcmp(key, "client_ca_file")) {
			ret = read_named(w, v, key, &c->ca_pem);
			ca = v;
		} else if (!strcmp(key, "client_auth_type")) {
			const char *s = yaml_walk_scalar(v);
			size_t i = 0;

			for (; s && i < sizeof(client_auth_names) / sizeof(client_auth_names[0]); i++)
				if (!strcmp(s, client_auth_names[i]))
					break;
			ret = s && i < sizeof(client_auth_names) / sizeof(client_auth_names[0]) ?
				      0 :
				      yaml_walk_fail(w, v, key,
						     "expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
						     "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
			c->client_auth = (enum web_client_auth)i;
		} else if (!strcmp(key, "min_version")) {
			ret = version_index(w, v, key, &min);
		} else if (!strcmp(key, "max_version")) {
			ret = version_index(w, v, key, &max);
		} else {
			ret = yaml_walk_fail(w, k, key,
					     "not a key sonde reads (cert_file, key_file, client_auth_type, "
					     "client_ca_file, min_version, max_version)");
		}
		if (ret)
			return ret;
	}
	if (!c->cert_pem || !c->key_pem)
		return yaml_walk_fail(w, node, "tls_server_config", "cert_file and key_file are both required");
	if (c->client_auth >= WEB_VERIFY_CLIENT_CERT_IF_GIVEN && !c->ca_pem)
		return yaml_walk_fail(w, node, "client_auth_type", "%s needs client_ca_file",
				      client_auth_names[c->client_auth]);
	if (ca && c->client_auth == WEB_NO_CLIENT_CERT)
		return yaml_walk_fail(w, ca, "client_ca_file", "given, but client_auth_type is NoClientCert");
	if (min > max)
		return yaml_walk_fail(w, node, "min_version", "later than max_version");
	c->priorities = priorities(min, max);
	c->tls = true;
	return 0;
}

static int parse_users(struct yaml_walk *w, const yaml_node_t *node, struct web_config *c)
{
	const yaml_node_t *k, *v;
	const char *key;

	if (node->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, node, "basic_auth_users", "expected a mapping of user names to bcrypt hashes");
	FOR_PAIRS(w, node, k, v, key)
	{
		struct web_user *u = &c->users[c->nusers];
		const char *hash = yaml_walk_scalar(v);

		if (c->nusers == WEB_MAX_USERS)
			return yaml_walk_fail(w, k, "basic_auth_users", "more than %d users", WEB_MAX_USERS);
		if (!*key || strlen(key) >= sizeof(u->name) || strchr(key, ':'))
			return yaml_walk_fail(w, k, "basic_auth_users", "a user name of 1 to 127 characters, no colon");
		if (!hash || strlen(hash) != 60 ||
		    (strncmp(hash, "$2a$", 4) && strncmp(hash, "$2b$", 4) && strncmp(hash, "$2y$", 4)))
			return yaml_walk_fail(w, v, key, "expected a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters)");
		snprintf(u->name, sizeof(u->name), "%s", key);
		snprintf(u->hash, sizeof(u->hash), "%s", hash);
		c->nusers++;
	}
	return 0;
}

static int parse_root(struct yaml_walk *w, const yaml_node_t *root, struct web_config *c)
{
	const yaml_node_t *k, *v;
	const char *key;
	int ret;

	if (root->type != YAML_MAPPING_NODE)
		return yaml_walk_fail(w, root, "web configuration", "expected a mapping");
	FOR_PAIRS(w, root, k, v, key)
	{
		if (!strcmp(key, "tls_server_config"))
			ret = parse_tls(w, v, c);
		else if (!strcmp(key, "basic_auth_users"))
			ret = parse_users(w, v, c);
		else
			ret = yaml_walk_fail(w, k, key, "not a key sonde reads (tls_server_config, basic_auth_users)");
		if (ret)
			return ret;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *c, char *err, size_t errlen)
{
	yaml_document_t doc;
	yaml_node_t *root;
	struct yaml_walk w = { .doc = &doc, .file = path, .err = err, .errlen = errlen };
	char *text;
	size_t len;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = yaml_walk_read(path, &text, &len, err, errlen);
	if (ret)
		return ret;
	ret = yaml_walk_load(&w, text, len, &root);
	free(text);
	if (ret)
		return ret;
	if (root)
		ret = parse_root(&w, root, c);
	yaml_document_delete(&doc);
	if (ret)
		web_config_free(c);
	return ret;
}

void web_config_free(struct web_config *c)
{
	free(c->cert_pem);
	free(c->key_pem);
	free(c->ca_pem);
	memset(c, 0, sizeof(*c));
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool web_config_same(const struct web_config *a, const struct web_config *b)
{
	if (a->tls != b->tls || a->client_auth != b->client_auth || a->priorities != b->priorities ||
	    a->nusers != b->nusers || !same_text(a->cert_pem, b->cert_pem) || !same_text(a->key_pem, b->key_pem) ||
	    !same_text(a->ca_pem, b->ca_pem))
		return false;
	return !memcmp(a->users, b->users, a->nusers * sizeof(a->users[0]));
}
