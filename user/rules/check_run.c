// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The health checks' runs: each to completion within its timeout, saying
 * what it saw. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "rules/check_run.h"
#include "base/clocks.h"

/* "host:port" or "[v6]:port" into its parts. */
static int split_address(const char *address, char *host, size_t size, char *port, size_t psize)
{
	const char *colon = strrchr(address, ':');
	size_t n;

	if (!colon || !colon[1] || strlen(colon + 1) >= psize)
		return -EINVAL;
	n = (size_t)(colon - address);
	if (n >= 2 && address[0] == '[' && address[n - 1] == ']') {
		address++;
		n -= 2;
	}
	if (!n || n >= size)
		return -EINVAL;
	memcpy(host, address, n);
	host[n] = 0;
	strcpy(port, colon + 1);
	return 0;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static enum health_status run_http(const struct check_config *c, char *msg, size_t size)
{
	CURL *curl = curl_easy_init();
	long code = 0;
	CURLcode res;

	if (!curl) {
		snprintf(msg, size, "out of memory");
		return HEALTH_UNHEALTHY;
	}
	curl_easy_setopt(curl, CURLOPT_URL, c->target);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "sonde-health-check");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	res = curl_easy_perform(curl);
	if (res == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(curl);
	if (res != CURLE_OK) {
		snprintf(msg, size, "%s", curl_easy_strerror(res));
		return HEALTH_UNHEALTHY;
	}
	if (c->expect_status ? code == c->expect_status : code >= 200 && code < 400) {
		snprintf(msg, size, "HTTP %ld", code);
		return HEALTH_HEALTHY;
	}
	if (c->expect_status)
		snprintf(msg, size, "HTTP %ld, expected %d", code, c->expect_status);
	else
		snprintf(msg, size, "HTTP %ld, expected 2xx or 3xx", code);
	return code >= 500 ? HEALTH_UNHEALTHY : HEALTH_DEGRADED;
}

/* A non-blocking connect bounded by the timeout. */
static int connect_within(const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd p = { .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	p.fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (p.fd < 0)
		return -errno;
	if (connect(p.fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		err = -errno;
		goto out;
	}
	err = poll(&p, 1, timeout_ms);
	if (err <= 0) {
		err = err ? -errno : -ETIMEDOUT;
		goto out;
	}
	if (getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	err = -err;
out:
	close(p.fd);
	return err;
}

static enum health_status run_tcp(const struct check_config *c, char *msg, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], port[16];
	int ret;

	if (split_address(c->target, host, sizeof(host), port, sizeof(port))) {
		snprintf(msg, size, "bad address %.200s", c->target);
		return HEALTH_UNHEALTHY;
	}
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		snprintf(msg, size, "cannot resolve %.100s: %s", host, gai_strerror(ret));
		return HEALTH_UNHEALTHY;
	}
	ret = connect_within(ai, (int)c->timeout_ms);
	freeaddrinfo(ai);
	if (ret == -ETIMEDOUT)
		snprintf(msg, size, "timed out after %llu ms", (unsigned long long)c->timeout_ms);
	else if (ret)
		snprintf(msg, size, "%s", strerror(-ret));
	else
		snprintf(msg, size, "connected");
	return ret ? HEALTH_UNHEALTHY : HEALTH_HEALTHY;
}

static enum health_status run_redis(const struct check_config *c, char *msg, size_t size)
{
	struct timeval tv = { .tv_sec = (time_t)(c->timeout_ms / 1000),
			      .tv_usec = (suseconds_t)(c->timeout_ms % 1000) * 1000 };
	enum health_status st = HEALTH_UNHEALTHY;
	char host[256], port[16];
	redisContext *ctx;
	redisReply *reply;

	if (split_address(c->target, host, sizeof(host), port, sizeof(port))) {
		snprintf(msg, size, "bad address %.200s", c->target);
		return HEALTH_UNHEALTHY;
	}
	ctx = redisConnectWithTimeout(host, atoi(port), tv);
	if (!ctx || ctx->err) {
		snprintf(msg, size, "%s", ctx ? ctx->errstr : "out of memory");
		goto out;
	}
	redisSetTimeout(ctx, tv);
	reply = redisCommand(ctx, "PING");
	if (!reply) {
		snprintf(msg, size, "%s", ctx->errstr);
		goto out;
	}
	if (reply->type == REDIS_REPLY_STATUS && !strcmp(reply->str, "PONG")) {
		snprintf(msg, size, "PONG");
		st = HEALTH_HEALTHY;
	} else {
		snprintf(msg, size, "PING answered %s", reply->str ? reply->str : "without a status");
	}
	freeReplyObject(reply);
out:
	redisFree(ctx);
	return st;
}

static enum health_status run_postgres(const struct check_config *c, char *msg, size_t size)
{
	char timeout[24];
	const char *keys[] = { "dbname", "connect_timeout", NULL };
	const char *values[] = { c->target, timeout, NULL };

	/* libpq takes whole seconds, at least 2 to mean anything. */
	snprintf(timeout, sizeof(timeout), "%llu",
		 (unsigned long long)(c->timeout_ms < 2000 ? 2 : (c->timeout_ms + 999) / 1000));
	switch (PQpingParams(keys, values, 1)) {
	case PQPING_OK:
		snprintf(msg, size, "accepting connections");
		return HEALTH_HEALTHY;
	case PQPING_REJECT:
		snprintf(msg, size, "rejecting connections");
		return HEALTH_DEGRADED;
	case PQPING_NO_ATTEMPT:
		snprintf(msg, size, "bad connection string");
		return HEALTH_UNHEALTHY;
	default:
		snprintf(msg, size, "no response");
		return HEALTH_UNHEALTHY;
	}
}

void check_run(const struct check_config *c, struct check_result *r)
{
	struct timespec t0, t1;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (c->type) {
	case CHECK_HTTP:
		r->status = run_http(c, r->message, sizeof(r->message));
		break;
	case CHECK_TCP:
		r->status = run_tcp(c, r->message, sizeof(r->message));
		break;
	case CHECK_REDIS:
		r->status = run_redis(c, r->message, sizeof(r->message));
		break;
	case CHECK_POSTGRES:
		r->status = run_postgres(c, r->message, sizeof(r->message));
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->duration_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	r->checked_at_ms = clocks_unix_ms();
	if (r->status == HEALTH_HEALTHY && c->degraded_ms && r->duration_ms > (double)c->degraded_ms) {
		snprintf(r->message, sizeof(r->message), "slow: %.0f ms > %llu ms", r->duration_ms,
			 (unsigned long long)c->degraded_ms);
		r->status = HEALTH_DEGRADED;
	}
}
