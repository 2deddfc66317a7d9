// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The collector fed with exchange events as the kernel builds them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics/registry.h"
#include "metrics/self_metrics.h"
#include "pipeline/collector.h"
#include "pipeline/functions.h"
#include "pipeline/red.h"
#include "pipeline/sinks.h"
#include "base/buckets.h"
#include "metrics/prom.h"
#include "pipeline/routes.h"
#include "base/strbuf.h"

struct fixture {
	struct registry *reg;
	struct services services;
	struct red red;
	struct self_metrics self;
	struct sinks sinks;
	struct collector c;
	struct functions functions;
	struct strbuf out;
	uint32_t web;
};

/* series_cap 8, or with room for more. */
static int setup_with(void **state, size_t series_cap)
{
	struct red_config rc = {
		.ns = "microservice",
		.buckets = buckets_default,
		.nbuckets = buckets_default_len,
		.series_cap = series_cap,
	};
	struct fixture *f = calloc(1, sizeof(*f));
	struct collector_config cfg;

	if (!f)
		return -1;
	cfg = (struct collector_config){
		.services = &f->services,
		.peers_per_service = 2,
		.sinks = &f->sinks,
		.red = &f->red,
		.self = &f->self,
		.functions = &f->functions,
	};
	f->reg = registry_new();
	if (!f->reg || red_init(&f->red, f->reg, &rc) || self_metrics_init(&f->self, f->reg, "test", "unit") ||
	    services_intern(&f->services, "web", &f->web) || collector_init(&f->c, &cfg))
		return -1;
	sinks_init(&f->sinks, &f->red);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 8);
}

static int setup_wide(void **state)
{
	return setup_with(state, 200);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	collector_free(&f->c);
	registry_free(f->reg);
	strbuf_free(&f->out);
	free(f);
	return 0;
}

/* An HTTP exchange event of a role, to a peer or none. */
static void feed_exchange(struct fixture *f, uint8_t role, const struct sonde_peer *peer, uint32_t service,
			  uint64_t conn_id, const char *req, const char *resp, uint64_t start_ns, uint64_t end_ns)
{
	struct sonde_http_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_HTTP;
	ev.role = role;
	if (peer)
		ev.peer = *peer;
	ev.conn_id = conn_id;
	ev.service_id = service;
	ev.start_ns = start_ns;
	ev.end_ns = end_ns;
	ev.req_len = (uint16_t)(strlen(req) < SONDE_REQ_CAP ? strlen(req) : SONDE_REQ_CAP);
	memcpy(ev.req, req, ev.req_len);
	ev.resp_len = (uint16_t)(strlen(resp) < SONDE_RESP_CAP ? strlen(resp) : SONDE_RESP_CAP);
	memcpy(ev.resp, resp, ev.resp_len);
	strcpy(ev.comm, "python3");
	collector_event(&f->c, &ev, SONDE_EVENT_SIZE(ev.req_len));
}

static void feed_event(struct fixture *f, uint32_t service, uint64_t conn_id, const char *req, const char *resp,
		       uint64_t start_ns, uint64_t end_ns)
{
	feed_exchange(f, SONDE_ROLE_SERVER, NULL, service, conn_id, req, resp, start_ns, end_ns);
}

static void feed(struct fixture *f, uint32_t service, const char *req, const char *resp, uint64_t dur_ns)
{
	feed_event(f, service, 0, req, resp, 1000000, 1000000 + dur_ns);
}

/* An exchange on connection conn_id, read at 1 ms: one without request
 * bytes is a response to a pipelined request. */
static void feed_conn(struct fixture *f, uint64_t conn_id, const char *req, const char *resp, uint64_t end_ns)
{
	feed_event(f, f->web, conn_id, req, resp, *req ? 1000000 : 0, end_ns);
}

static const char *render(struct fixture *f)
{
	strbuf_free(&f->out);
	memset(&f->out, 0, sizeof(f->out));
	assert_int_equal(prom_render(f->reg, &f->out), 0);
	assert_int_equal(f->out.err, 0);
	assert_true(strbuf_append(&f->out, "", 1) == 0 && f->out.err == 0);
	return f->out.data;
}

static void assert_line(struct fixture *f, const char *line)
{
	const char *text = render(f);
	char *needle;

	assert_true(asprintf(&needle, "\n%s\n", line) > 0);
	if (!strstr(text, needle))
		fail_msg("missing line: %s\nin:\n%s", line, text);
	free(needle);
}

static void assert_no_text(struct fixture *f, const char *s)
{
	if (strstr(render(f), s))
		fail_msg("unexpected text: %s", s);
}

static void test_red_counts(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++)
		feed(f, f->web, "GET /api/users/42?secret=1 HTTP/1.1\r\nHost: x\r\n\r\n",
		     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 2000000);
	feed(f, f->web, "POST /api/users/7 HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	     "HTTP/1.1 503 Service Temporarily Unavailable with a very long reason phrase\r\n", 300000);
	feed(f, f->web, "GET /missing HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n", 100000);
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/api/users/{id}\",status=\"200\"} 3");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"POST\","
		       "endpoint=\"/api/users/{id}\",status=\"503\"} 1");
	assert_line(f, "microservice_request_duration_seconds_bucket{service=\"web\",protocol=\"http\","
		       "method=\"GET\",endpoint=\"/api/users/{id}\",status=\"200\",le=\"0.001\"} 0");
	assert_line(f, "microservice_request_duration_seconds_bucket{service=\"web\",protocol=\"http\","
		       "method=\"GET\",endpoint=\"/api/users/{id}\",status=\"200\",le=\"0.0025\"} 3");
	assert_line(f, "microservice_request_duration_seconds_count{service=\"web\",protocol=\"http\","
		       "method=\"GET\",endpoint=\"/api/users/{id}\",status=\"200\"} 3");
	/* 4xx are client errors, not server errors. */
	assert_line(f, "microservice_errors_total{service=\"web\",type=\"http_5xx\"} 1");
	assert_line(f, "sonde_events_total 5");
	assert_no_text(f, "secret");
}

/* Pipelined requests: three read at once, a fourth read while two wait;
 * each response, in order, answers the oldest one waiting, timed from the
 * read that held it. A response with none waiting is counted lost. */
static void test_pipelined(void **state)
{
	struct fixture *f = *state;

	feed_conn(f, 9,
		  "GET /a/1 HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\n\r\n",
		  "HTTP/1.1 200 OK\r\n", 1500000);
	feed_conn(f, 9, "", "HTTP/1.1 201 Created\r\n", 2500000);
	feed_conn(f, 9, "GET /d HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", 3500000);
	feed_conn(f, 9, "", "HTTP/1.1 503 No\r\n", 4500000);
	feed_conn(f, 9, "", "HTTP/1.1 500 No\r\n", 5500000);
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/a/{id}\",status=\"200\"} 1");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"POST\","
		       "endpoint=\"/b\",status=\"201\"} 1");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/c\",status=\"404\"} 1");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/d\",status=\"503\"} 1");
	/* /c waited from the first read, at 1 ms, to its response at 3.5 ms. */
	assert_line(f, "microservice_request_duration_seconds_bucket{service=\"web\",protocol=\"http\","
		       "method=\"GET\",endpoint=\"/c\",status=\"404\",le=\"0.001\"} 0");
	assert_line(f, "microservice_request_duration_seconds_bucket{service=\"web\",protocol=\"http\","
		       "method=\"GET\",endpoint=\"/c\",status=\"404\",le=\"0.0025\"} 1");
	assert_line(f, "sonde_parse_failures_total{kind=\"pipeline\"} 1");
	assert_no_text(f, "status=\"500\"");
	/* A response on connection 0, the mark of a free slot, while another
	 * connection has requests waiting: nothing waits on it. */
	feed_conn(f, 8, "GET /e HTTP/1.1\r\n\r\nGET /f HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", 6000000);
	feed_event(f, f->web, 0, "", "HTTP/1.1 200 OK\r\n", 0, 7000000);
	assert_line(f, "sonde_parse_failures_total{kind=\"pipeline\"} 2");
}

static void test_service_by_comm(void **state)
{
	struct fixture *f = *state;

	feed(f, SONDE_SERVICE_BY_COMM, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n", 1000);
	assert_line(f, "microservice_requests_total{service=\"python3\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/\",status=\"200\"} 1");
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;

	feed(f, f->web, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "HTTP/1.1 200 OK\r\n", 1000);
	feed(f, f->web, "GET / HTTP/1.1\r\n\r\n", "\x00\x01garbage", 1000);
	feed(f, f->web, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 2000 OK\r\n", 1000);
	feed(f, f->web, "BREW /pot HTTP/1.1\r\n\r\n", "HTTP/1.1 418 I'm a teapot\r\n", 1000);
	assert_line(f, "sonde_parse_failures_total{kind=\"request\"} 1");
	assert_line(f, "sonde_parse_failures_total{kind=\"response\"} 2");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/\",status=\"unknown\"} 2");
	assert_line(f, "microservice_errors_total{service=\"web\",type=\"malformed_response\"} 2");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"_OTHER\","
		       "endpoint=\"/pot\",status=\"418\"} 1");
}

static void test_truncated_request_line(void **state)
{
	struct fixture *f = *state;
	char req[SONDE_REQ_CAP + 1];

	/* A target longer than the capture: the cut segment is dropped. */
	strcpy(req, "GET /files/12/");
	memset(req + strlen(req), 'a', sizeof(req) - 1 - strlen(req));
	req[SONDE_REQ_CAP] = 0;
	feed(f, f->web, req, "HTTP/1.1 200 OK\r\n", 1000);
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/files/{id}\",status=\"200\"} 1");
}

static void test_series_cap(void **state)
{
	struct fixture *f = *state;
	char req[64];

	for (int i = 0; i < 20; i++) {
		snprintf(req, sizeof(req), "GET /page-%c HTTP/1.1\r\n\r\n", 'a' + i);
		feed(f, f->web, req, "HTTP/1.1 200 OK\r\n", 1000);
	}
	/* The cap of 8 holds; the rest are counted in the overflow series. */
	assert_line(f, "microservice_requests_total{service=\"__overflow__\",protocol=\"__overflow__\","
		       "method=\"__overflow__\",endpoint=\"__overflow__\",status=\"__overflow__\","
		       "container_id=\"__overflow__\",k8s_pod_uid=\"__overflow__\",k8s_namespace_name=\"__overflow__\","
		       "k8s_pod_name=\"__overflow__\",k8s_container_name=\"__overflow__\","
		       "k8s_deployment_name=\"__overflow__\",k8s_statefulset_name=\"__overflow__\","
		       "k8s_daemonset_name=\"__overflow__\"} 12");
}

static void test_bad_event_sizes(void **state)
{
	struct fixture *f = *state;
	struct sonde_http_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_HTTP;
	strcpy(ev.req, "GET / HTTP/1.1\r\n\r\n");
	strcpy(ev.resp, "HTTP/1.1 200 OK\r\n");
	ev.resp_len = 17;
	ev.req_len = 18;
	collector_event(&f->c, &ev, SONDE_EVENT_SIZE(10));
	collector_event(&f->c, &ev, 12);
	ev.req_len = SONDE_REQ_CAP + 1;
	collector_event(&f->c, &ev, sizeof(ev));
	ev.req_len = 18;
	ev.resp_len = SONDE_RESP_CAP + 1;
	collector_event(&f->c, &ev, sizeof(ev));
	ev.resp_len = 17;
	ev.type = 99;
	collector_event(&f->c, &ev, sizeof(ev));
	collector_event(&f->c, &ev, 2);
	assert_line(f, "sonde_parse_failures_total{kind=\"event\"} 6");
	assert_no_text(f, "microservice_requests_total{");
}

static void test_kernel_stats(void **state)
{
	struct fixture *f = *state;
	uint64_t stats[SONDE_STAT_MAX] = { [SONDE_STAT_LOST] = 3, [SONDE_STAT_CONNS] = 9 };

	self_metrics_kernel(&f->self, stats, 4);
	assert_line(f, "sonde_events_lost_total 3");
	assert_line(f, "sonde_connections_tracked_total 9");
	assert_line(f, "sonde_targets 4");
	assert_line(f, "sonde_build_info{version=\"test\",mode=\"unit\"} 1");
}

struct injected_seen {
	int n, injected;
	uint8_t span[8];
};

static void see_injected(void *arg, const struct exchange *x)
{
	struct injected_seen *seen = arg;

	seen->n++;
	if (x->injected_span) {
		seen->injected++;
		memcpy(seen->span, x->injected_span, sizeof(seen->span));
	}
}

/* The traceparent the kernel wrote goes with the client exchange of the
 * same connection that follows it, once; other exchanges have none. */
static void test_propagation_event(void **state)
{
	struct fixture *f = *state;
	struct sonde_propagation_event pe = {
		.type = SONDE_EVENT_PROPAGATION,
		.tgid = 0,
		.tid = 5,
		.ts_ns = 1500000,
		.conn_id = 77,
		.span_id = { 1, 2, 3, 4, 5, 6, 7, 8 },
	};
	struct sonde_http_event ev;
	struct injected_seen seen = { 0 };
	const char *req = "GET / HTTP/1.1\r\nHost: b\r\n\r\n", *resp = "HTTP/1.1 200 OK\r\n\r\n";

	assert_int_equal(sinks_add(&f->sinks, see_injected, &seen), 0);
	collector_event(&f->c, &pe, sizeof(pe));
	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_HTTP;
	ev.role = SONDE_ROLE_CLIENT;
	ev.conn_id = 77;
	ev.service_id = f->web;
	ev.start_ns = 1600000;
	ev.end_ns = 1700000;
	ev.req_len = (uint16_t)strlen(req);
	memcpy(ev.req, req, ev.req_len);
	ev.resp_len = (uint16_t)strlen(resp);
	memcpy(ev.resp, resp, ev.resp_len);
	collector_event(&f->c, &ev, SONDE_EVENT_SIZE(ev.req_len));
	collector_event(&f->c, &ev, SONDE_EVENT_SIZE(ev.req_len));
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.injected, 1);
	assert_memory_equal(seen.span, pe.span_id, 8);
	/* A wrong size is counted, not read. */
	collector_event(&f->c, &pe, sizeof(pe) - 1);
	assert_line(f, "sonde_parse_failures_total{kind=\"event\"} 1");
}

static void feed_tcp(struct fixture *f, uint8_t what, uint64_t rtt_ns, uint64_t sent, uint64_t received)
{
	struct sonde_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_CONN;
	ev.tgid = 42;
	ev.service_id = f->web;
	ev.what = what;
	ev.role = SONDE_ROLE_SERVER;
	ev.duration_ns = rtt_ns;
	ev.bytes_sent = sent;
	ev.bytes_received = received;
	ev.peer.family = 2;
	ev.peer.port = 40000;
	memcpy(ev.peer.addr, "\x7f\0\0\1", 4);
	strcpy(ev.comm, "python3");
	collector_event(&f->c, &ev, sizeof(ev));
}

/* A live connection tells its bytes twice, then closes with the rest;
 * each tell is an RTT sample, the close none. */
static void test_tcp_progress(void **state)
{
	struct fixture *f = *state;

	feed_tcp(f, SONDE_CONN_PROGRESS, 40000, 1000, 70);
	feed_tcp(f, SONDE_CONN_PROGRESS, 300000, 10485760, 0);
	feed_tcp(f, SONDE_CONN_CLOSED, 0, 1, 1);
	assert_line(f, "microservice_tcp_sent_bytes_total{service=\"web\",peer=\"127.0.0.1\"} 10486761");
	assert_line(f, "microservice_tcp_received_bytes_total{service=\"web\",peer=\"127.0.0.1\"} 71");
	assert_line(f, "microservice_tcp_rtt_seconds_count{service=\"web\",peer=\"127.0.0.1\"} 2");
	assert_line(f, "microservice_tcp_rtt_seconds_bucket{service=\"web\",peer=\"127.0.0.1\",le=\"5e-05\"} 1");
	assert_line(f, "microservice_tcp_rtt_seconds_bucket{service=\"web\",peer=\"127.0.0.1\",le=\"0.00025\"} 1");
	assert_line(f, "microservice_tcp_rtt_seconds_bucket{service=\"web\",peer=\"127.0.0.1\",le=\"0.0005\"} 2");
}

static void feed_conn_event(struct fixture *f, uint32_t service, uint8_t what, uint8_t role, uint16_t peer_port,
			    uint16_t local_port)
{
	struct sonde_conn_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_CONN;
	ev.service_id = service;
	ev.what = what;
	ev.role = role;
	ev.peer.family = ev.local.family = 2;
	ev.peer.port = peer_port;
	ev.local.port = local_port;
	memcpy(ev.peer.addr, "\x7f\0\0\1", 4);
	memcpy(ev.local.addr, "\x7f\0\0\1", 4);
	collector_event(&f->c, &ev, sizeof(ev));
}

static char seen_peer_service[64];

static void peer_service_sink(void *arg, const struct exchange *x)
{
	(void)arg;
	snprintf(seen_peer_service, sizeof(seen_peer_service), "%s", x->peer_service ? x->peer_service : "(none)");
}

/* On loopback a caller can read its answer before the server's exchange
 * is emitted: the server's accept, told first, names the callee. */
static void test_callee_from_accept(void **state)
{
	struct fixture *f = *state;
	struct sonde_peer server = { .family = 2, .port = 8080, .addr = { 127, 0, 0, 1 } };
	uint32_t frontend, inventory;

	assert_int_equal(services_intern(&f->services, "frontend", &frontend), 0);
	assert_int_equal(services_intern(&f->services, "inventory", &inventory), 0);
	assert_int_equal(sinks_add(&f->sinks, peer_service_sink, NULL), 0);
	feed_conn_event(f, frontend, SONDE_CONN_CONNECTED, SONDE_ROLE_CLIENT, 8080, 40000);
	feed_conn_event(f, inventory, SONDE_CONN_ACCEPTED, SONDE_ROLE_SERVER, 40000, 0);
	feed_exchange(f, SONDE_ROLE_CLIENT, &server, frontend, 7, "GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n",
		      1000000, 2000000);
	assert_string_equal(seen_peer_service, "inventory");
}

/* One data event of connection conn_id: len of the bytes captured, of
 * total moved. */
static void feed_proto(struct fixture *f, uint8_t proto, uint64_t conn_id, uint8_t role, uint8_t flags,
		       const char *bytes, uint32_t len, uint32_t total)
{
	static struct sonde_data_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_DATA;
	ev.role = role;
	ev.proto = proto;
	ev.flags = flags;
	ev.ts_ns = 1000000 + conn_id;
	ev.conn_id = conn_id;
	ev.tgid = 42;
	ev.service_id = f->web;
	ev.total = total;
	ev.len = len;
	ev.peer.family = 2;
	ev.peer.port = 6379;
	memcpy(ev.peer.addr, "\x7f\0\0\1", 4);
	memcpy(ev.data, bytes, len);
	strcpy(ev.comm, "redis-server");
	collector_event(&f->c, &ev, SONDE_DATA_EVENT_SIZE(len));
}

static void feed_data(struct fixture *f, uint64_t conn_id, uint8_t role, uint8_t flags, const char *bytes, uint32_t len,
		      uint32_t total)
{
	feed_proto(f, SONDE_PROTO_REDIS, conn_id, role, flags, bytes, len, total);
}

static void feed_text(struct fixture *f, uint64_t conn_id, uint8_t role, uint8_t flags, const char *text)
{
	feed_data(f, conn_id, role, flags, text, (uint32_t)strlen(text), (uint32_t)strlen(text));
}

static void test_data_events(void **state)
{
	struct fixture *f = *state;
	const char set[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";

	/* Server side: two pipelined commands, their replies in one read. */
	feed_text(f, 1, SONDE_ROLE_SERVER, 0, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n");
	feed_text(f, 1, SONDE_ROLE_SERVER, SONDE_DATA_SENT, "$5\r\nvalue\r\n-ERR not an integer\r\n");
	/* A command whose value was not all captured: a gap, then its end. */
	feed_data(f, 1, SONDE_ROLE_SERVER, 0, set, sizeof(set) - 1 - 4, sizeof(set) - 1 - 2);
	feed_text(f, 1, SONDE_ROLE_SERVER, 0, "\r\n");
	feed_text(f, 1, SONDE_ROLE_SERVER, SONDE_DATA_SENT, "+OK\r\n");
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"redis\",method=\"GET\",endpoint=\"GET\",status=\"ok\"} 1");
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"redis\",method=\"INCR\",endpoint=\"INCR\",status=\"error\"} 1");
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"redis\",method=\"SET\",endpoint=\"SET\",status=\"ok\"} 1");
	assert_no_text(f, "microservice_errors_total{");
	/* Client side: the command sent, the reply read; LOADING is the server's fault but a client counts no server errors. */
	feed_text(f, 2, SONDE_ROLE_CLIENT, SONDE_DATA_SENT, "*1\r\n$4\r\nPING\r\n");
	feed_text(f, 2, SONDE_ROLE_CLIENT, 0, "+PONG\r\n");
	assert_line(
		f,
		"microservice_client_requests_total{service=\"web\",protocol=\"redis\",method=\"PING\",peer=\"127.0.0.1:6379\",status=\"ok\"} 1");
	/* A server fault counts as an error. */
	feed_text(f, 1, SONDE_ROLE_SERVER, 0, "*1\r\n$4\r\nPING\r\n");
	feed_text(f, 1, SONDE_ROLE_SERVER, SONDE_DATA_SENT, "-LOADING dataset in memory\r\n");
	assert_line(f, "microservice_errors_total{service=\"web\",type=\"redis_error\"} 1");
	/* Junk is counted once; the connection is left alone until it closes. */
	feed_text(f, 3, SONDE_ROLE_SERVER, 0, "*x\r\n");
	feed_text(f, 3, SONDE_ROLE_SERVER, 0, "*1\r\n$4\r\nPING\r\n");
	feed_text(f, 3, SONDE_ROLE_SERVER, SONDE_DATA_CLOSE, "");
	feed_text(f, 3, SONDE_ROLE_SERVER, 0, "*1\r\n$4\r\nPING\r\n");
	feed_text(f, 3, SONDE_ROLE_SERVER, SONDE_DATA_SENT, "+PONG\r\n");
	assert_line(f, "sonde_parse_failures_total{kind=\"redis\"} 1");
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"redis\",method=\"PING\",endpoint=\"PING\",status=\"ok\"} 1");
}

/* An HTTP/2 stream reset before its response: no status to label, and
 * not the server's fault. */
static void test_h2_reset(void **state)
{
	static const char req[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				  /* HEADERS, END_STREAM | END_HEADERS, stream 1: GET http / */
				  "\0\0\3\1\5\0\0\0\1\x82\x86\x84"
				  /* RST_STREAM, stream 1, CANCEL */
				  "\0\0\4\3\0\0\0\0\1\0\0\0\x08";
	struct fixture *f = *state;

	feed_proto(f, SONDE_PROTO_HTTP2, 9, SONDE_ROLE_SERVER, 0, req, sizeof(req) - 1, sizeof(req) - 1);
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/\",status=\"unknown\"} 1");
	assert_no_text(f, "microservice_errors_total{");
	assert_no_text(f, "sonde_parse_failures_total{");
}

/* A connection the kernel tags with another protocol than before starts
 * over with that protocol's parser: one parser never gets another's state. */
static void test_protocol_change(void **state)
{
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				 /* HEADERS, END_STREAM | END_HEADERS, stream 1: GET http / */
				 "\0\0\3\1\5\0\0\0\1\x82\x86\x84"
				 /* HEADERS, END_STREAM | END_HEADERS, stream 1: :status 200 */
				 "\0\0\1\1\5\0\0\0\1\x88";
	struct fixture *f = *state;

	feed_text(f, 5, SONDE_ROLE_SERVER, 0, "*1\r\n$4\r\nPING\r\n");
	feed_proto(f, SONDE_PROTO_HTTP2, 5, SONDE_ROLE_SERVER, 0, h2, 24 + 12, 24 + 12);
	feed_proto(f, SONDE_PROTO_HTTP2, 5, SONDE_ROLE_SERVER, SONDE_DATA_SENT, h2 + 36, 10, 10);
	assert_line(
		f,
		"microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\",endpoint=\"/\",status=\"200\"} 1");
	assert_no_text(f, "protocol=\"redis\"");
	assert_no_text(f, "sonde_parse_failures_total{");
}

static void test_bad_data_events(void **state)
{
	struct fixture *f = *state;
	static struct sonde_data_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_DATA;
	ev.proto = SONDE_PROTO_REDIS;
	ev.conn_id = 1;
	ev.len = 10;
	ev.total = 10;
	collector_event(&f->c, &ev, SONDE_DATA_EVENT_SIZE(5));
	ev.len = SONDE_DATA_CAP + 1;
	ev.total = ev.len;
	collector_event(&f->c, &ev, sizeof(ev));
	ev.len = 10;
	ev.total = 5;
	collector_event(&f->c, &ev, sizeof(ev));
	assert_line(f, "sonde_parse_failures_total{kind=\"event\"} 3");
	ev.total = 10;
	ev.proto = 99;
	collector_event(&f->c, &ev, SONDE_DATA_EVENT_SIZE(10));
	assert_line(f, "sonde_parse_failures_total{kind=\"unknown\"} 1");
}

/* A full table makes room by dropping the connection used longest ago. */
static void test_streams_evict(void **state)
{
	static struct sonde_data_event ev;
	struct streams s;

	(void)state;
	assert_int_equal(streams_init(&s, 4), 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_DATA;
	ev.proto = SONDE_PROTO_REDIS;
	ev.role = SONDE_ROLE_SERVER;
	for (uint64_t id = 1; id <= 6; id++) {
		ev.conn_id = id;
		assert_int_equal(streams_feed(&s, &ev, NULL, NULL), 0);
	}
	assert_int_equal(s.used, 4);
	assert_int_equal(s.evicted, 2);
	ev.flags = SONDE_DATA_CLOSE;
	for (uint64_t id = 1; id <= 6; id++) {
		ev.conn_id = id;
		assert_int_equal(streams_feed(&s, &ev, NULL, NULL), 0);
	}
	assert_int_equal(s.used, 0);
	streams_free(&s);
}

/* A process that exits takes its connections' parsers along, wherever
 * they sit in the table, and leaves the others. */
static void test_streams_forget(void **state)
{
	static struct sonde_data_event ev;
	struct streams s;

	(void)state;
	assert_int_equal(streams_init(&s, 64), 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = SONDE_EVENT_DATA;
	ev.proto = SONDE_PROTO_REDIS;
	ev.role = SONDE_ROLE_SERVER;
	for (uint64_t id = 1; id <= 60; id++) {
		ev.tgid = id % 3 ? 7 : 8;
		ev.conn_id = id;
		assert_int_equal(streams_feed(&s, &ev, NULL, NULL), 0);
	}
	assert_int_equal(s.used, 60);
	streams_forget(&s, 7);
	assert_int_equal(s.used, 20);
	streams_forget(&s, 9);
	assert_int_equal(s.used, 20);
	ev.flags = SONDE_DATA_CLOSE;
	ev.tgid = 8;
	for (uint64_t id = 3; id <= 60; id += 3) {
		ev.conn_id = id;
		assert_int_equal(streams_feed(&s, &ev, NULL, NULL), 0);
	}
	assert_int_equal(s.used, 0);
	assert_int_equal(s.evicted, 0);
	streams_free(&s);
}

/* A service's first 20 routes that only got 404s keep their names; the
 * rest of the 404s to paths it never answered otherwise count under one
 * endpoint; a route it serves keeps its 404s; all forgotten when idle. */
static void test_unmatched_404(void **state)
{
	struct fixture *f = *state;
	char req[64];

	for (int i = 0; i < 30; i++) {
		snprintf(req, sizeof(req), "GET /wp-admin/x%d.php HTTP/1.1\r\n\r\n", i);
		feed(f, f->web, req, "HTTP/1.1 404 Not Found\r\n", 1000);
	}
	feed(f, f->web, "GET /api/users/1 HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK\r\n", 1000);
	feed(f, f->web, "GET /api/users/2 HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found\r\n", 1000);
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/wp-admin/x19.php\",status=\"404\"} 1");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"__unmatched__\",status=\"404\"} 10");
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"/api/users/{id}\",status=\"404\"} 1");
	/* Forgotten when idle: 20 routes named again, then the rest collapse. */
	for (int t = 0; t < 4; t++)
		collector_expire(&f->c, 3);
	for (int i = 0; i < 25; i++) {
		snprintf(req, sizeof(req), "GET /cgi-bin/y%d HTTP/1.1\r\n\r\n", i);
		feed(f, f->web, req, "HTTP/1.1 404 Not Found\r\n", 1000);
	}
	assert_line(f, "microservice_requests_total{service=\"web\",protocol=\"http\",method=\"GET\","
		       "endpoint=\"__unmatched__\",status=\"404\"} 15");
}

static void feed_call(struct fixture *f, uint32_t id, int64_t ret, const char *file, uint64_t dur_ns)
{
	struct sonde_func_event ev = {
		.type = SONDE_EVENT_FUNC, .func_id = id, .start_ns = 1000, .end_ns = 1000 + dur_ns, .ret = ret, .tgid = 7
	};

	ev.file_len = (uint16_t)strlen(file);
	memcpy(ev.file, file, ev.file_len);
	collector_event(&f->c, &ev, sizeof(ev));
}

/* Calls of the configuration's functions: counted by the outcome their
 * return value says; a Python name of another module skipped; a call of
 * a function a reload dropped never counted under another. */
static void test_function_calls(void **state)
{
	const struct function_config cfg[] = {
		{ .service = "orders",
		  .symbol = "process_order",
		  .name = "process_order",
		  .error_when = FUNC_ERROR_LT0 },
		{ .service = "orders",
		  .symbol = "app.handlers.checkout",
		  .name = "checkout",
		  .runtime = FUNC_RUNTIME_PYTHON },
	};
	struct fixture *f = *state;
	uint32_t native, python, stale;
	char cut[SONDE_PY_FILE_MAX];

	functions_set(&f->functions, cfg, 2);
	stale = f->functions.entries[0].id;
	functions_set(&f->functions, cfg, 2);
	native = f->functions.entries[0].id;
	python = f->functions.entries[1].id;
	assert_int_not_equal(stale, native);
	assert_string_equal(f->functions.entries[1].module, "app.handlers");
	assert_string_equal(f->functions.entries[1].py_name, "checkout");
	feed_call(f, native, -1, "", 2000000);
	feed_call(f, native, 0, "", 2000000);
	feed_call(f, native, 0, "", 3000000);
	feed_call(f, stale, 0, "", 3000000);
	feed_call(f, 0, 0, "", 3000000);
	feed_call(f, python, 0, "/srv/app/handlers.py", 500000);
	feed_call(f, python, 0, "/srv/app/handlers/__init__.py", 500000);
	feed_call(f, python, 0, "/srv/app/other.py", 500000);
	feed_call(f, python, 0, "/srv/app/xhandlers.py", 500000);
	/* As the kernel cuts a long path: 127 bytes and a NUL. */
	memset(cut, 'a', sizeof(cut) - 1);
	cut[sizeof(cut) - 1] = '\0';
	memcpy(cut + sizeof(cut) - 12, "/x.py", 5);
	feed_call(f, python, 0, cut, 500000);
	assert_line(f,
		    "microservice_function_calls_total{service=\"orders\",function=\"process_order\",status=\"ok\"} 2");
	assert_line(
		f,
		"microservice_function_calls_total{service=\"orders\",function=\"process_order\",status=\"error\"} 1");
	assert_line(f, "microservice_function_duration_seconds_count{service=\"orders\",function=\"process_order\"} 3");
	assert_line(f, "microservice_function_duration_seconds_bucket{service=\"orders\",function=\"process_order\","
		       "le=\"0.0025\"} 2");
	/* Its module's file, its package's __init__.py, and one cut short. */
	assert_line(f, "microservice_function_calls_total{service=\"orders\",function=\"checkout\",status=\"ok\"} 3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_red_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_by_comm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_request_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_event_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callee_from_accept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_propagation_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_data_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_h2_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocol_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmatched_404, setup_wide, teardown),
		cmocka_unit_test(test_streams_evict),
		cmocka_unit_test(test_streams_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
