// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "base/clocks.h"
#include "base/log.h"
#include "daemon/server.h"
#include "base/web_config.h"
#include "base/strbuf.h"

/* What no client can exhaust: a thread pool, so a slow client holds one
 * thread, not the server; connections per client address and in all,
 * and a short timeout for one that sends or reads nothing. */
#define SERVER_THREADS 4
#define SERVER_CONNECTIONS 512
#define SERVER_CONNECTIONS_PER_IP 384
#define SERVER_TIMEOUT_S 10u
/* How old a shared /metrics may be. */
#define SERVER_SNAPSHOT_MS 1000

static const char *const exposition_types[2] = { "text/plain; version=0.0.4; charset=utf-8",
						 "application/openmetrics-text; version=1.0.0; charset=utf-8" };
static const char json_type[] = "application/json";
static const char html_type[] = "text/html; charset=utf-8";

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code, const char *type, const char *body,
			       size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int code, const char *type, const char *body)
{
	return respond(conn, code, type, body, strlen(body), MHD_RESPMEM_PERSISTENT);
}

/* A rendered document: MHD frees it once sent. */
static enum MHD_Result serve(struct MHD_Connection *conn, int ret, struct strbuf *out, unsigned int status,
			     const char *type)
{
	if (ret || out->err) {
		strbuf_free(out);
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "rendering failed\n");
	}
	return respond(conn, status, type, out->data ? out->data : "", out->len,
		       out->data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
}

/* Marks a request whose response is the shared /metrics. */
static char metrics_request;

/* Whether the client asks for OpenMetrics, as Prometheus does when it
 * stores exemplars: any Accept offer of it not refused with q=0. */
static bool wants_openmetrics(struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	const char *p = accept ? strstr(accept, "application/openmetrics-text") : NULL;

	for (; p; p = strstr(p + 1, "application/openmetrics-text")) {
		const char *q = memmem(p, strcspn(p, ","), "q=", 2);

		if (!q || strtod(q + 2, NULL) > 0)
			return true;
	}
	return false;
}

/* /metrics: rendered afresh, unless another scrape is still being sent
 * the one of its format rendered within the last second. */
static enum MHD_Result serve_metrics(struct server *s, struct MHD_Connection *conn, void **req_cls)
{
	struct strbuf out = { 0 };
	struct MHD_Response *r;
	enum MHD_Result ret;
	int64_t now = clocks_mono_ms();
	int om = wants_openmetrics(conn);

	pthread_mutex_lock(&s->lock);
	if (!s->snapshot[om] || !s->sending || now - s->snapshot_ms[om] >= SERVER_SNAPSHOT_MS) {
		int rc = s->handlers.metrics(s->handlers.arg, om, &out);

		r = rc || out.err ?
			    NULL :
			    MHD_create_response_from_buffer(out.len, out.data ? out.data : "",
							    out.data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (!r) {
			pthread_mutex_unlock(&s->lock);
			strbuf_free(&out);
			return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", "rendering failed\n");
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, exposition_types[om]);
		/* Responses are counted references: those being sent keep theirs. */
		if (s->snapshot[om])
			MHD_destroy_response(s->snapshot[om]);
		s->snapshot[om] = r;
		s->snapshot_ms[om] = now;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, s->snapshot[om]);
	if (ret == MHD_YES) {
		s->sending++;
		*req_cls = &metrics_request;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;

	(void)conn;
	(void)toe;
	if (*req_cls != &metrics_request)
		return;
	pthread_mutex_lock(&s->lock);
	s->sending--;
	pthread_mutex_unlock(&s->lock);
}

/* A password bcrypt accepted lately: its digest with the user's hash as
 * salt, so the table holds nothing a password can be read from. */
static void password_digest(const struct web_user *u, const char *password, unsigned char digest[32])
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "%s:%s", u->hash, password);

	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n > 0 ? (size_t)n : 0, digest);
	gnutls_memset(buf, 0, sizeof(buf));
}

static bool password_ok(struct server *s, const struct web_user *u, const char *password)
{
	unsigned char digest[32];
	struct crypt_data *cd;
	bool ok = false;

	password_digest(u, password, digest);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nverified && !ok; i++)
		ok = !strcmp(s->verified[i].user, u->name) && !gnutls_memcmp(s->verified[i].digest, digest, 32);
	pthread_mutex_unlock(&s->lock);
	if (ok)
		return true;
	cd = calloc(1, sizeof(*cd));
	if (cd) {
		const char *h = crypt_rn(password, u->hash, cd, sizeof(*cd));

		ok = h && strlen(h) == strlen(u->hash) && !gnutls_memcmp(h, u->hash, strlen(u->hash));
		free(cd);
	}
	if (!ok)
		return false;
	pthread_mutex_lock(&s->lock);
	snprintf(s->verified[s->next_verified].user, sizeof(s->verified[0].user), "%s", u->name);
	memcpy(s->verified[s->next_verified].digest, digest, 32);
	s->next_verified = (s->next_verified + 1) % SERVER_VERIFIED_MAX;
	if (s->nverified < SERVER_VERIFIED_MAX)
		s->nverified++;
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* The client's certificate as client_auth_type asks. */
static bool client_cert_ok(const struct server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	unsigned int n = 0, status = 0;
	enum web_client_auth mode = s->web->client_auth;

	if (mode == WEB_NO_CLIENT_CERT || mode == WEB_REQUEST_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	if (!gnutls_certificate_get_peers(ci->tls_session, &n))
		n = 0;
	if (!n)
		return mode == WEB_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (mode == WEB_REQUIRE_ANY_CLIENT_CERT)
		return true;
	return !gnutls_certificate_verify_peers2(ci->tls_session, &status) && !status;
}

/* Who may ask, by the web configuration: MHD_YES to go on, else the
 * refusal queued in *ret. */
static bool authorized(struct server *s, struct MHD_Connection *conn, enum MHD_Result *ret)
{
	struct MHD_Response *r;
	char *user, *password = NULL;
	bool ok = false;

	if (s->web->tls && !client_cert_ok(s, conn)) {
		atomic_fetch_add(&s->auth_failures[AUTH_CLIENT_CERTIFICATE], 1);
		*ret = respond_text(conn, MHD_HTTP_FORBIDDEN, "text/plain",
				    "a verified client certificate is required\n");
		return false;
	}
	if (!s->web->nusers)
		return true;
	user = MHD_basic_auth_get_username_password(conn, &password);
	for (size_t i = 0; user && password && i < s->web->nusers && !ok; i++)
		if (!strcmp(s->web->users[i].name, user))
			ok = password_ok(s, &s->web->users[i], password);
	atomic_fetch_add(&s->auth_failures[user ? AUTH_WRONG_PASSWORD : AUTH_NO_CREDENTIALS], !ok);
	if (password) {
		gnutls_memset(password, 0, strlen(password));
		MHD_free(password);
	}
	if (user)
		MHD_free(user);
	if (ok)
		return true;
	r = MHD_create_response_from_buffer(strlen("unauthorized\n"), (void *)"unauthorized\n", MHD_RESPMEM_PERSISTENT);
	*ret = r ? MHD_queue_basic_auth_fail_response(conn, "sonde", r) : MHD_NO;
	if (r)
		MHD_destroy_response(r);
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct server *s = cls;
	struct strbuf out = { 0 };
	unsigned int status = MHD_HTTP_OK;
	enum MHD_Result auth;
	int ret;

	(void)version;
	(void)upload_data;
	if (*upload_data_size)
		return MHD_NO;
	if (s->web && !authorized(s, conn, &auth))
		return auth;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(s, conn, req_cls);
	if (!strcmp(url, "/health") || !strcmp(url, "/health/detailed")) {
		ret = s->handlers.health(s->handlers.arg, url[7] == '/', &out, &status);
		return serve(conn, ret, &out, status, json_type);
	}
	if (!strcmp(url, "/alerts"))
		return serve(conn, s->handlers.alerts(s->handlers.arg, &out), &out, MHD_HTTP_OK, json_type);
	if (!strcmp(url, "/"))
		return serve(conn, s->handlers.page(s->handlers.arg, &out), &out, MHD_HTTP_OK, html_type);
	return respond_text(conn, MHD_HTTP_NOT_FOUND, "text/plain",
			    "not found; try /, /metrics, /health, /health/detailed or /alerts\n");
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	log_warn("http", "%s", line);
}

int server_start(struct server *s, const char *host, uint16_t port, const struct server_handlers *h,
		 const struct web_config *web)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char service[8];
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[12];
	size_t n;
	int ret;

	memset(s, 0, sizeof(*s));
	s->handlers = *h;
	s->web = web;
	pthread_mutex_init(&s->lock, NULL);
	snprintf(service, sizeof(service), "%u", port);
	ret = getaddrinfo(host, service, &hints, &ai);
	if (ret) {
		log_error("http", "cannot resolve listen address %s: %s", host, gai_strerror(ret));
		return -EINVAL;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	n = 0;
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_error, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, ai->ai_addr };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, SERVER_TIMEOUT_S, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, SERVER_THREADS, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, SERVER_CONNECTIONS, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, SERVER_CONNECTIONS_PER_IP, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s };
	if (web && web->tls) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, web->cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, web->key_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)web->priorities };
		/* A trust list makes the handshake ask for a client certificate. */
		if (web->ca_pem)
			opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, web->ca_pem };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	s->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!s->mhd) {
		log_error("http", "cannot listen on %s:%u", host, port);
		return -EADDRINUSE;
	}
	return 0;
}

void server_stop(struct server *s)
{
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	for (int i = 0; i < 2; i++) {
		if (s->snapshot[i])
			MHD_destroy_response(s->snapshot[i]);
		s->snapshot[i] = NULL;
	}
}
