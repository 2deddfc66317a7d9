/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --web-config: TLS and basic authentication for the endpoints, in the
 * Prometheus exporter-toolkit's format (tls_server_config,
 * basic_auth_users), as node_exporter's --web.config.file reads it. */
#ifndef SONDE_WEB_CONFIG_H
#define SONDE_WEB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum web_client_auth {
	WEB_NO_CLIENT_CERT,
	WEB_REQUEST_CLIENT_CERT,
	WEB_REQUIRE_ANY_CLIENT_CERT,
	WEB_VERIFY_CLIENT_CERT_IF_GIVEN,
	WEB_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

#define WEB_MAX_USERS 64

struct web_user {
	char name[128];
	char hash[64]; /* bcrypt: $2a$, $2b$ or $2y$, 60 characters */
};

struct web_config {
	bool tls;
	char *cert_pem, *key_pem, *ca_pem; /* the files' contents; ca_pem NULL without client_ca_file */
	enum web_client_auth client_auth;
	const char *priorities; /* GnuTLS priorities from min_version and max_version */
	struct web_user users[WEB_MAX_USERS];
	size_t nusers;
};

/* Reads path and the files it names (relative to its directory). 0, or
 * -EINVAL with "FILE:LINE: key: what is wrong" (or the file that cannot
 * be read) in err; -ENOMEM. An empty file is plain HTTP without
 * authentication. */
int web_config_load(const char *path, struct web_config *c, char *err, size_t errlen);
void web_config_free(struct web_config *c);
/* Whether two loads would serve alike: a reload restarts the endpoints
 * only when not. */
bool web_config_same(const struct web_config *a, const struct web_config *b);

#endif
