// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/registry.h"
#include "metrics/prom.h"
#include "base/strbuf.h"

static const char *const type_names[] = { "counter", "gauge", "histogram" };

void prom_format_value(double v, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	} else if (v == 0) {
		/* Also -0, which would print as "-0". */
		snprintf(buf, size, "0");
	} else if (v == trunc(v) && fabs(v) < 1e17) {
		/* Every digit of a double this small is exact. */
		snprintf(buf, size, "%.0f", v);
	} else {
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
}

/* The length of the well-formed UTF-8 sequence at s, or 0: no overlongs,
 * surrogates or code points past U+10FFFF. Stops at the NUL. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		lo = s[0] == 0xe0 ? 0xa0 : lo;
		hi = s[0] == 0xed ? 0x9f : hi;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		lo = s[0] == 0xf0 ? 0x90 : lo;
		hi = s[0] == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* What replaces the character at s, of UTF-8 length n (0: malformed), or
 * NULL to keep it. HELP texts (label false) keep their double quotes. */
static const char *escape(const char *s, size_t n, bool label)
{
	if (!n)
		return "\xef\xbf\xbd"; /* U+FFFD */
	if (*s == '\\')
		return "\\\\";
	if (*s == '\n')
		return "\\n";
	if (*s == '"' && label)
		return "\\\"";
	return NULL;
}

static void append_escaped(struct strbuf *out, const char *s, bool label)
{
	const char *run = s;

	while (*s) {
		size_t n = utf8_len((const unsigned char *)s);
		const char *esc = escape(s, n, label);

		if (!esc) {
			s += n;
			continue;
		}
		/* Plain runs go out whole; the escaped byte is skipped. */
		strbuf_append(out, run, (size_t)(s - run));
		strbuf_append(out, esc, strlen(esc));
		run = ++s;
	}
	strbuf_append(out, run, (size_t)(s - run));
}

/* name{l1="v1",...,le="x"}; le is NULL outside histogram buckets. */
static void append_series_name(struct strbuf *out, const struct family_desc *d, const char *suffix,
			       const struct metric_series *s, const char *le)
{
	const char *const *values = series_labels(s);
	size_t n = 0;

	strbuf_printf(out, "%s%s", d->name, suffix);
	for (size_t i = 0; i < d->nlabels; i++) {
		if (!values[i][0])
			continue;
		strbuf_printf(out, "%s%s=\"", n++ ? "," : "{", d->label_names[i]);
		append_escaped(out, values[i], true);
		strbuf_append(out, "\"", 1);
	}
	if (le)
		strbuf_printf(out, "%sle=\"%s\"", n++ ? "," : "{", le);
	if (n)
		strbuf_append(out, "}", 1);
}

/* The exemplar of an OpenMetrics bucket line: its span, value and time. */
static void append_exemplar(struct strbuf *out, const struct series_exemplar *e)
{
	char value[PROM_VALUE_MAX];

	strbuf_printf(out, " # {trace_id=\"");
	for (size_t i = 0; i < sizeof(e->trace_id); i++)
		strbuf_printf(out, "%02x", e->trace_id[i]);
	strbuf_printf(out, "\",span_id=\"");
	for (size_t i = 0; i < sizeof(e->span_id); i++)
		strbuf_printf(out, "%02x", e->span_id[i]);
	prom_format_value(e->value, value, sizeof(value));
	strbuf_printf(out, "\"} %s %lld.%03lld", value, (long long)(e->unix_ms / 1000), (long long)(e->unix_ms % 1000));
}

static void append_sample(struct strbuf *out, const struct family_desc *d, const char *suffix,
			  const struct metric_series *s, const char *le, double v, const struct series_exemplar *e)
{
	char value[PROM_VALUE_MAX];

	append_series_name(out, d, suffix, s, le);
	prom_format_value(v, value, sizeof(value));
	strbuf_printf(out, " %s", value);
	if (e && e->unix_ms)
		append_exemplar(out, e);
	strbuf_append(out, "\n", 1);
}

/* Exemplars are OpenMetrics' only: with_exemplars false renders 0.0.4. */
static void render_series(struct strbuf *out, const struct family_desc *d, const struct metric_series *s,
			  bool with_exemplars)
{
	const struct series_exemplar *ex = with_exemplars ? series_exemplars(s) : NULL;
	const uint64_t *buckets;
	uint64_t cumulative = 0;
	char le[PROM_VALUE_MAX];

	if (d->type != METRIC_HISTOGRAM) {
		append_sample(out, d, "", s, NULL, series_value(s), NULL);
		return;
	}
	buckets = series_buckets(s);
	for (size_t b = 0; b < d->nbounds; b++) {
		cumulative += buckets[b];
		prom_format_value(d->bounds[b], le, sizeof(le));
		append_sample(out, d, "_bucket", s, le, (double)cumulative, ex ? &ex[b] : NULL);
	}
	cumulative += buckets[d->nbounds];
	append_sample(out, d, "_bucket", s, "+Inf", (double)cumulative, ex ? &ex[d->nbounds] : NULL);
	append_sample(out, d, "_sum", s, NULL, series_sum(s), NULL);
	append_sample(out, d, "_count", s, NULL, series_value(s), NULL);
}

int prom_render(const struct registry *r, struct strbuf *out)
{
	for (const struct metric_family *f = registry_first(r); f; f = family_next(f)) {
		struct family_desc d;
		size_t n = family_size(f);

		family_describe(f, &d);
		strbuf_printf(out, "# HELP %s ", d.name);
		append_escaped(out, d.help, false);
		strbuf_printf(out, "\n# TYPE %s %s\n", d.name, type_names[d.type]);
		for (size_t i = 0; i < n; i++)
			render_series(out, &d, family_series_at(f, i), false);
	}
	return out->err;
}

/* OpenMetrics names a counter's family without its _total, which its
 * samples keep; a counter named otherwise is of type unknown there. */
int prom_render_openmetrics(const struct registry *r, struct strbuf *out)
{
	for (const struct metric_family *f = registry_first(r); f; f = family_next(f)) {
		struct family_desc d;
		size_t n = family_size(f), len;
		const char *type;

		family_describe(f, &d);
		len = strlen(d.name);
		type = type_names[d.type];
		if (d.type == METRIC_COUNTER) {
			if (len > 6 && !strcmp(d.name + len - 6, "_total"))
				len -= 6;
			else
				type = "unknown";
		}
		strbuf_printf(out, "# HELP %.*s ", (int)len, d.name);
		append_escaped(out, d.help, true);
		strbuf_printf(out, "\n# TYPE %.*s %s\n", (int)len, d.name, type);
		for (size_t i = 0; i < n; i++)
			render_series(out, &d, family_series_at(f, i), true);
	}
	strbuf_printf(out, "# EOF\n");
	return out->err;
}
