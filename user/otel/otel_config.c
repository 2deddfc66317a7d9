// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "otel/otel_config.h"

static int parse_size(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || !isdigit((unsigned char)*v))
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno || *end || !*out || *out > max ? -EINVAL : 0;
}

/* Percent-decoding, as the specification asks for header values. */
static int url_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			char hex[3];

			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
				return -EINVAL;
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			hex[2] = 0;
			c = (char)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= size || c == '\r' || c == '\n')
			return -EINVAL;
		out[o++] = c;
	}
	out[o] = 0;
	return 0;
}

/* "key=value,key2=value2": keys and values trimmed, values percent-decoded. */
static int parse_headers(struct otlp_transport *c, const char *v)
{
	while (*v) {
		const char *end = strchr(v, ','), *eq, *k, *val;
		size_t len = end ? (size_t)(end - v) : strlen(v), klen, vlen;
		char key[128], value[384];

		eq = memchr(v, '=', len);
		if (!eq || c->nheaders == OTEL_MAX_HEADERS)
			return -EINVAL;
		k = v;
		klen = (size_t)(eq - v);
		while (klen && isspace((unsigned char)*k)) {
			k++;
			klen--;
		}
		while (klen && isspace((unsigned char)k[klen - 1]))
			klen--;
		if (!klen || klen >= sizeof(key))
			return -EINVAL;
		memcpy(key, k, klen);
		key[klen] = 0;
		for (size_t i = 0; i < klen; i++)
			if (!isalnum((unsigned char)key[i]) && key[i] != '-' && key[i] != '_')
				return -EINVAL;
		val = eq + 1;
		vlen = len - (size_t)(val - v);
		while (vlen && isspace((unsigned char)*val)) {
			val++;
			vlen--;
		}
		while (vlen && isspace((unsigned char)val[vlen - 1]))
			vlen--;
		if (url_decode(val, vlen, value, sizeof(value)))
			return -EINVAL;
		snprintf(c->headers[c->nheaders++], sizeof(c->headers[0]), "%s: %s", key, value);
		v += len;
		if (*v == ',')
			v++;
	}
	return 0;
}

static int set_endpoint(struct otlp_transport *t, const char *base, const char *append)
{
	size_t n = strlen(base);

	if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
		return -EINVAL;
	while (append && n && base[n - 1] == '/')
		n--;
	if (snprintf(t->endpoint, sizeof(t->endpoint), "%.*s%s", (int)n, base, append ? append : "") >=
	    (int)sizeof(t->endpoint))
		return -EINVAL;
	return 0;
}

/* The signal's variable if set, else the general one; its name in var. */
static const char *signal_var(env_lookup get, const char *signal, const char *what, char *var, size_t size)
{
	const char *v;

	snprintf(var, size, "OTEL_EXPORTER_OTLP_%s_%s", signal, what);
	v = get(var);
	if (v && *v)
		return v;
	snprintf(var, size, "OTEL_EXPORTER_OTLP_%s", what);
	v = get(var);
	return v && *v ? v : NULL;
}

#define BAD(var, what)                                                   \
	do {                                                             \
		snprintf(err, errlen, "%s=%s: %s", var, get(var), what); \
		return -EINVAL;                                          \
	} while (0)

/* A signal's endpoint, protocol, headers and timeout. The endpoint: the
 * flag's base URL, else the signal's own URL as given, else the general
 * base URL with path appended. */
static int transport_load(struct otlp_transport *t, env_lookup get, const char *signal, const char *path,
			  const char *flag_endpoint, char *err, size_t errlen)
{
	char var[64];
	const char *v;
	unsigned long n;

	t->protocol = OTLP_HTTP_PROTOBUF;
	t->timeout_ms = 10000;
	snprintf(var, sizeof(var), "OTEL_EXPORTER_OTLP_%s_ENDPOINT", signal);
	if (flag_endpoint) {
		if (set_endpoint(t, flag_endpoint, path)) {
			snprintf(err, errlen, "--otlp-endpoint %s: expected an http:// or https:// URL", flag_endpoint);
			return -EINVAL;
		}
	} else if ((v = get(var)) && *v) {
		if (set_endpoint(t, v, NULL))
			BAD(var, "expected an http:// or https:// URL");
	} else if ((v = get("OTEL_EXPORTER_OTLP_ENDPOINT")) && *v) {
		if (set_endpoint(t, v, path))
			BAD("OTEL_EXPORTER_OTLP_ENDPOINT", "expected an http:// or https:// URL");
	}
	if ((v = signal_var(get, signal, "PROTOCOL", var, sizeof(var)))) {
		if (!strcmp(v, "http/json"))
			t->protocol = OTLP_HTTP_JSON;
		else if (strcmp(v, "http/protobuf"))
			BAD(var, "expected http/protobuf or http/json (grpc is not supported)");
	}
	if ((v = signal_var(get, signal, "HEADERS", var, sizeof(var))) && parse_headers(t, v))
		BAD(var, "expected key=value,key2=value2");
	if ((v = signal_var(get, signal, "TIMEOUT", var, sizeof(var)))) {
		if (parse_size(v, 3600000, &n))
			BAD(var, "expected milliseconds, 1 to 3600000");
		t->timeout_ms = (uint32_t)n;
	}
	return 0;
}

int otel_config_load(struct otel_config *c, env_lookup get, const char *flag_endpoint, double slow_seconds, char *err,
		     size_t errlen)
{
	const char *v;
	unsigned long n;
	char *end;
	int ret;

	memset(c, 0, sizeof(*c));
	c->sampler = SAMPLER_PARENTBASED_ALWAYS_ON;
	c->ratio = 1.0;
	c->slow_ns = (uint64_t)(slow_seconds * 1e9);
	c->max_queue = 2048;
	c->max_batch = 512;
	c->delay_ms = 5000;
	ret = transport_load(&c->transport, get, "TRACES", "/v1/traces", flag_endpoint, err, errlen);
	if (ret)
		return ret;
	if ((v = get("OTEL_TRACES_SAMPLER")) && *v && sampler_parse(v, &c->sampler))
		BAD("OTEL_TRACES_SAMPLER", "expected always_on, always_off, traceidratio, parentbased_always_on, "
					   "parentbased_always_off or parentbased_traceidratio");
	if ((v = get("OTEL_TRACES_SAMPLER_ARG")) && *v) {
		c->ratio = strtod(v, &end);
		if (end == v || *end || !(c->ratio >= 0 && c->ratio <= 1))
			BAD("OTEL_TRACES_SAMPLER_ARG", "expected a ratio from 0 to 1");
	}
	if ((v = get("OTEL_BSP_MAX_QUEUE_SIZE")) && *v) {
		if (parse_size(v, 1000000, &n))
			BAD("OTEL_BSP_MAX_QUEUE_SIZE", "expected 1 to 1000000");
		c->max_queue = n;
	}
	if ((v = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) && *v) {
		if (parse_size(v, 1000000, &n))
			BAD("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "expected 1 to 1000000");
		c->max_batch = n;
	}
	if ((v = get("OTEL_BSP_SCHEDULE_DELAY")) && *v) {
		if (parse_size(v, 3600000, &n))
			BAD("OTEL_BSP_SCHEDULE_DELAY", "expected milliseconds, 1 to 3600000");
		c->delay_ms = (uint32_t)n;
	}
	/* The specification: a batch never exceeds the queue. */
	if (c->max_batch > c->max_queue)
		c->max_batch = c->max_queue;
	return 0;
}

int otel_metrics_config_load(struct otel_metrics_config *c, env_lookup get, char *err, size_t errlen)
{
	const char *v = get("OTEL_METRICS_EXPORTER");
	unsigned long n;
	int ret;

	memset(c, 0, sizeof(*c));
	c->interval_ms = 60000;
	c->temporality = OTLP_CUMULATIVE;
	/* Prometheus is what sonde serves anyway: "prometheus" is none too. */
	if (!v || !*v || !strcmp(v, "none") || !strcmp(v, "prometheus"))
		return 0;
	if (strcmp(v, "otlp"))
		BAD("OTEL_METRICS_EXPORTER", "expected none, prometheus or otlp");
	ret = transport_load(&c->transport, get, "METRICS", "/v1/metrics", NULL, err, errlen);
	if (ret)
		return ret;
	if (!c->transport.endpoint[0])
		set_endpoint(&c->transport, "http://localhost:4318", "/v1/metrics");
	if ((v = get("OTEL_METRIC_EXPORT_INTERVAL")) && *v) {
		if (parse_size(v, 3600000, &n))
			BAD("OTEL_METRIC_EXPORT_INTERVAL", "expected milliseconds, 1 to 3600000");
		c->interval_ms = (uint32_t)n;
	}
	v = get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE");
	if (v && *v) {
		/* Histograms are delta under lowmemory too. */
		if (!strcasecmp(v, "delta") || !strcasecmp(v, "lowmemory"))
			c->temporality = OTLP_DELTA;
		else if (strcasecmp(v, "cumulative"))
			BAD("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
			    "expected cumulative, delta or lowmemory");
	}
	return 0;
}
