// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buckets.h"
#include "base/config.h"
#include "base/options.h"

const char options_usage[] =
	"usage: sonde [--config FILE] [--listen ADDR:PORT] [--namespace NAME] [--target SELECTOR[=SERVICE]]...\n"
	"             [--buckets B1,B2,...] [--series-cap N] [--series-family-cap N]\n"
	"             [--series-idle DURATION] [--log-level LEVEL]\n"
	"             [--otlp-endpoint URL] [--slow-threshold SECONDS] [--max-connections N]\n"
	"             [--hooks auto|sockets|syscalls] [--web-config FILE]\n"
	"       sonde top [--url http://HOST:PORT]   a terminal view of a running sonde\n"
	"  --config FILE           YAML configuration: listen, namespace, services; flags win over it\n"
	"  --listen ADDR:PORT      serve /, /metrics, /health and /alerts here (default 127.0.0.1:9464)\n"
	"  --namespace NAME        metric name prefix (default microservice)\n"
	"  --target SELECTOR[=SERVICE]\n"
	"                          pid:N, exe:NAME, port:N or cgroup:PATH; repeatable. Without any,\n"
	"                          every process but sonde itself is observed\n"
	"  --buckets LIST          request duration buckets in seconds\n"
	"  --series-cap N          series of one service in a metric family before its own overflow\n"
	"                          series (default 1000)\n"
	"  --series-family-cap N   series of a metric family in all before the overflow series\n"
	"                          (default 20000)\n"
	"  --series-idle DURATION  series and peers not updated for this long are dropped (default\n"
	"                          10m; 0: never)\n"
	"  --log-level LEVEL       debug, info, warn or error (default info)\n"
	"  --otlp-endpoint URL     send spans over OTLP/HTTP to URL/v1/traces (or set\n"
	"                          OTEL_EXPORTER_OTLP_ENDPOINT and the other OTEL_* variables)\n"
	"  --slow-threshold SECS   requests slower than this are traced whatever the sampler (default 1)\n"
	"  --max-connections N     connections the kernel side follows at once (default 65536); the\n"
	"                          BPF maps grow with it, by about 300 bytes a connection\n"
	"  --hooks MODE            sockets: the socket layer's send and receive tracepoints, nothing\n"
	"                          for other syscalls (Linux 6.3+); syscalls: every syscall's exit;\n"
	"                          auto (default): sockets where the kernel has them\n"
	"  --web-config FILE       TLS and basic authentication for every endpoint, in the Prometheus\n"
	"                          exporter-toolkit format; reloaded on SIGHUP\n";

void options_defaults(struct sonde_options *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->listen_host, "127.0.0.1");
	o->listen_port = 9464;
	strcpy(o->ns, "microservice");
	memcpy(o->buckets, buckets_default, buckets_default_len * sizeof(double));
	o->nbuckets = buckets_default_len;
	o->series_cap = 1000;
	o->series_family_cap = 20000;
	o->series_idle_ms = 600000;
	o->log_level = LOG_INFO;
	o->slow_threshold = 1.0;
	o->max_connections = OPTIONS_MAX_CONNECTIONS_DEFAULT;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

int options_selector_parse(const char *spec, struct selector *s, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':'), *eq, *value;
	size_t value_len;
	char buf[256];

	memset(s, 0, sizeof(*s));
	if (!colon)
		goto bad;
	value = colon + 1;
	/* A cgroup path may hold '=' only in the service suffix we split off. */
	eq = strrchr(value, '=');
	value_len = eq ? (size_t)(eq - value) : strlen(value);
	if (!value_len || value_len >= sizeof(buf))
		goto bad;
	memcpy(buf, value, value_len);
	buf[value_len] = 0;
	if (eq) {
		if (!eq[1] || strlen(eq + 1) >= sizeof(s->service)) {
			snprintf(err, errlen, "--target %s: service name must be 1 to %zu bytes", spec,
				 sizeof(s->service) - 1);
			return -EINVAL;
		}
		strcpy(s->service, eq + 1);
	}
	if (!strncmp(spec, "pid:", 4)) {
		s->kind = SELECTOR_PID;
		if (parse_ulong(buf, 4194304, &s->number) || !s->number)
			goto bad;
	} else if (!strncmp(spec, "port:", 5)) {
		s->kind = SELECTOR_PORT;
		if (parse_ulong(buf, 65535, &s->number) || !s->number)
			goto bad;
	} else if (!strncmp(spec, "exe:", 4)) {
		s->kind = SELECTOR_EXE;
		if (strchr(buf, '/'))
			goto bad;
		strcpy(s->value, buf);
	} else if (!strncmp(spec, "cgroup:", 7)) {
		s->kind = SELECTOR_CGROUP;
		if (buf[0] != '/')
			goto bad;
		strcpy(s->value, buf);
	} else {
		goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen,
		 "--target %s: expected pid:N, exe:NAME (a basename), port:N or cgroup:/PATH, then optionally =SERVICE",
		 spec);
	return -EINVAL;
}

static int parse_listen(const char *arg, struct sonde_options *o)
{
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	size_t host_len;

	if (!colon || colon == arg)
		return -EINVAL;
	host_len = (size_t)(colon - arg);
	/* An IPv6 address comes in brackets, [::1]:9464. */
	if (arg[0] == '[' && host_len > 2 && arg[host_len - 1] == ']') {
		arg++;
		host_len -= 2;
	}
	if (host_len >= sizeof(o->listen_host) || parse_ulong(colon + 1, 65535, &port))
		return -EINVAL;
	memcpy(o->listen_host, arg, host_len);
	o->listen_host[host_len] = 0;
	o->listen_port = (uint16_t)port;
	return 0;
}

static int valid_namespace(const char *ns)
{
	size_t n = strlen(ns);

	if (!n || n >= SONDE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = ns[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';

		if (!alpha && !(i && c >= '0' && c <= '9'))
			return 0;
	}
	return 1;
}

int options_parse(int argc, char **argv, struct sonde_options *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "config", required_argument, 0, 'c' },
		{ "listen", required_argument, 0, 'l' },
		{ "namespace", required_argument, 0, 'n' },
		{ "target", required_argument, 0, 't' },
		{ "buckets", required_argument, 0, 'b' },
		{ "series-cap", required_argument, 0, 's' },
		{ "series-family-cap", required_argument, 0, 'S' },
		{ "series-idle", required_argument, 0, 'i' },
		{ "log-level", required_argument, 0, 'v' },
		{ "otlp-endpoint", required_argument, 0, 'o' },
		{ "slow-threshold", required_argument, 0, 'w' },
		{ "max-connections", required_argument, 0, 'm' },
		{ "hooks", required_argument, 0, 'k' },
		{ "web-config", required_argument, 0, 'W' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 },
	};
	unsigned long cap;
	int c;

	options_defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'l':
			if (parse_listen(optarg, o)) {
				snprintf(err, errlen, "--listen %s: expected ADDR:PORT", optarg);
				return -EINVAL;
			}
			o->listen_set = 1;
			break;
		case 'n':
			if (!valid_namespace(optarg)) {
				snprintf(err, errlen, "--namespace %s: expected [a-zA-Z_][a-zA-Z0-9_]*", optarg);
				return -EINVAL;
			}
			strcpy(o->ns, optarg);
			o->ns_set = 1;
			break;
		case 't':
			if (o->nselectors == SONDE_MAX_SELECTORS) {
				snprintf(err, errlen, "--target: at most %d selectors", SONDE_MAX_SELECTORS);
				return -EINVAL;
			}
			if (options_selector_parse(optarg, &o->selectors[o->nselectors], err, errlen))
				return -EINVAL;
			o->nselectors++;
			break;
		case 'b':
			if (buckets_parse(optarg, o->buckets, SONDE_MAX_BUCKETS, &o->nbuckets)) {
				snprintf(err, errlen,
					 "--buckets %s: expected up to %d increasing positive seconds, comma-separated",
					 optarg, SONDE_MAX_BUCKETS);
				return -EINVAL;
			}
			break;
		case 's':
			if (parse_ulong(optarg, 1000000, &cap) || !cap) {
				snprintf(err, errlen, "--series-cap %s: expected 1 to 1000000", optarg);
				return -EINVAL;
			}
			o->series_cap = cap;
			break;
		case 'S':
			if (parse_ulong(optarg, 10000000, &cap) || !cap) {
				snprintf(err, errlen, "--series-family-cap %s: expected 1 to 10000000", optarg);
				return -EINVAL;
			}
			o->series_family_cap = cap;
			break;
		case 'i':
			if (strcmp(optarg, "0") &&
			    (config_duration(optarg, &o->series_idle_ms) || o->series_idle_ms < 10000)) {
				snprintf(err, errlen,
					 "--series-idle %s: expected 0 or a duration of 10s or more, like 10m", optarg);
				return -EINVAL;
			}
			if (!strcmp(optarg, "0"))
				o->series_idle_ms = 0;
			break;
		case 'v':
			if (log_level_parse(optarg, &o->log_level)) {
				snprintf(err, errlen, "--log-level %s: expected debug, info, warn or error", optarg);
				return -EINVAL;
			}
			break;
		case 'o':
			o->otlp_endpoint = optarg;
			break;
		case 'W':
			o->web_config_path = optarg;
			break;
		case 'w': {
			char *end;

			o->slow_threshold = strtod(optarg, &end);
			if (end == optarg || *end || !(o->slow_threshold >= 0 && o->slow_threshold <= 86400)) {
				snprintf(err, errlen, "--slow-threshold %s: expected seconds, 0 to 86400", optarg);
				return -EINVAL;
			}
			break;
		}
		case 'm':
			if (parse_ulong(optarg, OPTIONS_MAX_CONNECTIONS_MAX, &cap) ||
			    cap < OPTIONS_MAX_CONNECTIONS_MIN) {
				snprintf(err, errlen, "--max-connections %s: expected %d to %d", optarg,
					 OPTIONS_MAX_CONNECTIONS_MIN, OPTIONS_MAX_CONNECTIONS_MAX);
				return -EINVAL;
			}
			o->max_connections = (uint32_t)cap;
			break;
		case 'k':
			if (!strcmp(optarg, "auto")) {
				o->hooks = HOOKS_AUTO;
			} else if (!strcmp(optarg, "sockets")) {
				o->hooks = HOOKS_SOCKETS;
			} else if (!strcmp(optarg, "syscalls")) {
				o->hooks = HOOKS_SYSCALLS;
			} else {
				snprintf(err, errlen, "--hooks %s: expected auto, sockets or syscalls", optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			o->show_help = 1;
			break;
		case 'V':
			o->show_version = 1;
			break;
		case ':':
			snprintf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument %s", argv[optind]);
		return -EINVAL;
	}
	return 0;
}
