// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --web-config files: what loads, what is refused by file, line and key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/web_config.h"

#define HASH "$2y$10$UuXJfEOvaVtviOG4vecwIepx.VsrDVCmAt92t7nIfS8.yksVHFPU."

static char dir[64];

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, struct web_config *c, char *err)
{
	char path[128];

	put("web.yml", text);
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	return web_config_load(path, c, err, 512);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sonde-webcfg.XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("cert.pem", "CERT\n");
	put("key.pem", "KEY\n");
	put("ca.pem", "CA\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_loads(void **state)
{
	struct web_config c, d;
	char err[512];

	(void)state;
	assert_int_equal(load("", &c, err), 0);
	assert_false(c.tls);
	assert_int_equal(c.nusers, 0);
	web_config_free(&c);
	assert_int_equal(load("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
			      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
			      "  min_version: TLS13\nbasic_auth_users:\n  prom: " HASH "\n  alice: " HASH "\n",
			      &c, err),
			 0);
	assert_true(c.tls);
	/* Relative to the file's directory. */
	assert_string_equal(c.cert_pem, "CERT\n");
	assert_string_equal(c.ca_pem, "CA\n");
	assert_int_equal(c.client_auth, WEB_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_string_equal(c.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	assert_int_equal(c.nusers, 2);
	assert_string_equal(c.users[1].name, "alice");
	assert_int_equal(load("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n"
			      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
			      "  min_version: TLS13\nbasic_auth_users:\n  prom: " HASH "\n  alice: " HASH "\n",
			      &d, err),
			 0);
	assert_true(web_config_same(&c, &d));
	web_config_free(&d);
	assert_int_equal(load("basic_auth_users:\n  prom: " HASH "\n", &d, err), 0);
	assert_false(web_config_same(&c, &d));
	assert_string_equal(d.users[0].hash, HASH);
	web_config_free(&c);
	web_config_free(&d);
}

static void test_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "basic_auth_users:\n  prom: plain\n", "web.yml:2: prom: expected a bcrypt hash" },
		{ "basic_auth_users:\n  prom: " HASH "\n  prom: " HASH "\n", "web.yml:3: prom: given twice" },
		{ "tls_server_config:\n  cert_file: cert.pem\n",
		  "web.yml:2: tls_server_config: cert_file and key_file" },
		{ "tls_server_config:\n  cert_file: nothere.pem\n  key_file: key.pem\n",
		  "web.yml:2: cert_file: /tmp/sonde-webcfg." },
		{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: SSL3\n",
		  "web.yml:4: min_version: expected TLS10" },
		{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  min_version: TLS13\n"
		  "  max_version: TLS12\n",
		  "web.yml:2: min_version: later than max_version" },
		{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: VerifyClientCertIfGiven\n",
		  "web.yml:2: client_auth_type: VerifyClientCertIfGiven needs client_ca_file" },
		{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_auth_type: Sometimes\n",
		  "web.yml:4: client_auth_type: expected NoClientCert" },
		{ "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  cipher_suites: [a]\n",
		  "web.yml:4: cipher_suites: not a key sonde reads" },
		{ "http_server_config:\n  http2: false\n", "web.yml:1: http_server_config: not a key sonde reads" },
		{ "basic_auth_users: [prom]\n", "web.yml:1: basic_auth_users: expected a mapping" },
		{ "tls_server_config: [\n", "web.yml:2: syntax:" },
	};
	struct web_config c;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(cases[i][0], &c, err), -EINVAL);
		if (!strstr(err, cases[i][1]))
			fail_msg("case %zu: got '%s', expected '%s'", i, err, cases[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
