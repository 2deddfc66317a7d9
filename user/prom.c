// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "prom.h"
#include "strbuf.h"

static const char *const type_names[] = { "counter", "gauge", "histogram" };

void prom_format_value(double v, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
	} else if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, size, "%.0f", v);
	} else {
		/* The shortest of these that reads back as the same double. */
		for (int prec = 6; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
}

/* Escapes a label value (backslash, quote, newline) or, with quotes 0, a
 * HELP text (backslash, newline). */
static void append_escaped(struct strbuf *out, const char *s, int quotes)
{
	for (; *s; s++) {
		if (*s == '\\')
			strbuf_append(out, "\\\\", 2);
		else if (*s == '\n')
			strbuf_append(out, "\\n", 2);
		else if (*s == '"' && quotes)
			strbuf_append(out, "\\\"", 2);
		else
			strbuf_append(out, s, 1);
	}
}

/* name{l1="v1",...,extra} for a series; extra is the le label or NULL. */
static void append_series_name(struct strbuf *out, const struct metric_family *f, const char *suffix,
			       const struct metric_series *s, const char *le)
{
	size_t n = 0;

	strbuf_printf(out, "%s%s", f->name, suffix);
	if (!f->nlabels && !le)
		return;
	strbuf_append(out, "{", 1);
	for (size_t i = 0; i < f->nlabels; i++, n++) {
		strbuf_printf(out, "%s%s=\"", n ? "," : "", f->labels[i]);
		append_escaped(out, s->values[i], 1);
		strbuf_append(out, "\"", 1);
	}
	if (le)
		strbuf_printf(out, "%sle=\"%s\"", n ? "," : "", le);
	strbuf_append(out, "}", 1);
}

static void append_sample(struct strbuf *out, const struct metric_family *f, const char *suffix,
			  const struct metric_series *s, const char *le, double v)
{
	char value[40];

	append_series_name(out, f, suffix, s, le);
	prom_format_value(v, value, sizeof(value));
	strbuf_printf(out, " %s\n", value);
}

static void render_series(struct strbuf *out, const struct metric_family *f, const struct metric_series *s)
{
	uint64_t cumulative = 0;
	char le[40];

	if (f->type != METRIC_HISTOGRAM) {
		append_sample(out, f, "", s, NULL, s->value);
		return;
	}
	for (size_t b = 0; b < f->nbounds; b++) {
		cumulative += s->buckets[b];
		prom_format_value(f->bounds[b], le, sizeof(le));
		append_sample(out, f, "_bucket", s, le, (double)cumulative);
	}
	cumulative += s->buckets[f->nbounds];
	append_sample(out, f, "_bucket", s, "+Inf", (double)cumulative);
	append_sample(out, f, "_sum", s, NULL, s->sum);
	append_sample(out, f, "_count", s, NULL, (double)s->count);
}

int prom_render(const struct registry *r, struct strbuf *out)
{
	for (const struct metric_family *f = r->first; f; f = f->next) {
		strbuf_printf(out, "# HELP %s ", f->name);
		append_escaped(out, f->help, 0);
		strbuf_printf(out, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		for (size_t i = 0; i < f->n; i++)
			render_series(out, f, f->series[i]);
		if (f->overflow)
			render_series(out, f, f->overflow);
	}
	return out->err;
}
