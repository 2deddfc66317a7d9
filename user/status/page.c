// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "status/page.h"

#define CHART_W 180
#define CHART_H 36

static const char style[] =
	"body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}"
	"table{border-collapse:collapse;margin:.4em 0 1.2em}"
	"td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right;vertical-align:middle}"
	"td:first-child,th:first-child,td.l{text-align:left}"
	"th{background:#f4f4f4}.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}"
	"h2{margin-top:1.4em;border-bottom:2px solid #444}h3{margin:.8em 0 .2em}small{color:#666}"
	"svg{background:#fafafa;border:1px solid #e4e4e4}";

static bool is_object(json_object *o)
{
	return o && json_object_is_type(o, json_type_object);
}

static void esc(struct strbuf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			strbuf_append(out, "&amp;", 5);
			break;
		case '<':
			strbuf_append(out, "&lt;", 4);
			break;
		case '>':
			strbuf_append(out, "&gt;", 4);
			break;
		case '"':
			strbuf_append(out, "&quot;", 6);
			break;
		case '\'':
			strbuf_append(out, "&#39;", 5);
			break;
		default:
			strbuf_append(out, s, 1);
		}
	}
}

/* Seconds as the page shows them: ms below one. */
static void seconds(struct strbuf *out, double s)
{
	if (s < 0)
		strbuf_printf(out, "–");
	else if (s < 1)
		strbuf_printf(out, "%.1f ms", s * 1e3);
	else
		strbuf_printf(out, "%.2f s", s);
}

static void ratio(struct strbuf *out, double r)
{
	if (r < 0)
		strbuf_printf(out, "–");
	else
		strbuf_printf(out, "<span class=\"%s\">%.2f%%</span>", r > 0 ? "bad" : "ok", r * 100);
}

enum chart_field { CHART_RATE, CHART_ERRORS, CHART_P95 };

static double field_of(const struct history_step *st, enum chart_field f)
{
	return f == CHART_RATE ? st->rate : f == CHART_ERRORS ? st->error_ratio : st->p95;
}

/* A line chart of one field of the steps; title says what and its peak. */
static void chart(struct strbuf *out, const struct history_step *st, size_t n, enum chart_field field, const char *what,
		  const char *color)
{
	double v[HISTORY_POINTS], max = 0;

	for (size_t i = 0; i < n; i++) {
		v[i] = field_of(&st[i], field) < 0 ? 0 : field_of(&st[i], field);
		if (v[i] > max)
			max = v[i];
	}
	strbuf_printf(out, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>", CHART_W,
		      CHART_H, CHART_W, CHART_H);
	esc(out, what);
	strbuf_printf(out, ", last %zu min, peak %.4g</title>", (n * HISTORY_STEP_MS + 59999) / 60000, max);
	if (n > 1) {
		strbuf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
		for (size_t i = 0; i < n; i++)
			strbuf_printf(out, "%.1f,%.1f ",
				      (double)(CHART_W - 2) * (double)(i + HISTORY_POINTS - n) / (HISTORY_POINTS - 1) +
					      1,
				      CHART_H - 2 - (max > 0 ? v[i] / max * (CHART_H - 4) : 0));
		strbuf_printf(out, "\"/>");
	}
	strbuf_printf(out, "</svg>");
}

static void services(struct strbuf *out, const struct page_inputs *in, json_object *health)
{
	json_object *hs = NULL;

	json_object_object_get_ex(health, "services", &hs);
	strbuf_printf(out, "<h2>Services</h2>");
	if (!in->sum->nservices) {
		strbuf_printf(out, "<p>No service has been seen yet.</p>");
		return;
	}
	strbuf_printf(out, "<table><tr><th>service</th><th>health</th><th>requests</th><th>req/s</th><th>errors</th>"
			   "<th>error ratio</th><th>p50</th><th>p95</th><th>p99</th><th>client calls</th>"
			   "<th>requests a second</th><th>error ratio</th><th>p95</th></tr>");
	for (size_t i = 0; i < in->sum->nservices; i++) {
		const struct summary_service *v = &in->sum->services[i];
		struct history_step st[HISTORY_POINTS];
		size_t n = history_steps(in->history, v->name, v, in->unix_ms, st);
		json_object *o = NULL, *status = NULL;
		const char *h = "–";

		if (is_object(hs) && json_object_object_get_ex(hs, v->name, &o) && is_object(o) &&
		    json_object_object_get_ex(o, "status", &status))
			h = json_object_get_string(status);
		strbuf_printf(out, "<tr><td><a href=\"#svc-%zu\">", i);
		esc(out, v->name);
		strbuf_printf(out, "</a></td><td class=\"%s\">", strcmp(h, "healthy") ? "bad" : "ok");
		esc(out, h);
		strbuf_printf(out, "</td><td>%.0f</td><td>%.1f</td><td>%.0f</td><td>", v->requests,
			      n ? st[n - 1].rate : 0.0, v->errors);
		ratio(out, v->requests > 0 ? v->errors / v->requests : -1);
		strbuf_printf(out, "</td><td>");
		seconds(out, summary_quantile(v->le, v->cum, v->nbuckets, 0.50));
		strbuf_printf(out, "</td><td>");
		seconds(out, summary_quantile(v->le, v->cum, v->nbuckets, 0.95));
		strbuf_printf(out, "</td><td>");
		seconds(out, summary_quantile(v->le, v->cum, v->nbuckets, 0.99));
		strbuf_printf(out, "</td><td>%.0f</td><td>", v->client_requests);
		chart(out, st, n, CHART_RATE, "requests a second", "#2060c0");
		strbuf_printf(out, "</td><td>");
		chart(out, st, n, CHART_ERRORS, "error ratio", "#b00020");
		strbuf_printf(out, "</td><td>");
		chart(out, st, n, CHART_P95, "p95 seconds", "#7a3db8");
		strbuf_printf(out, "</td></tr>");
	}
	strbuf_printf(out,
		      "</table><p><small>Totals since sonde started; rates and charts per %d s, the last %d "
		      "minutes; quantiles interpolated in the histogram's buckets.</small></p>",
		      HISTORY_STEP_MS / 1000, HISTORY_POINTS * HISTORY_STEP_MS / 60000);
}

static void routes(struct strbuf *out, const char *title, const char *what, const struct summary_route *r, size_t n)
{
	if (!n)
		return;
	strbuf_printf(out, "<table><tr><th>%s</th><th>%s</th><th>requests</th><th>errors</th></tr>", title, what);
	for (size_t i = 0; i < n && i < PAGE_ROUTES; i++) {
		strbuf_printf(out, "<tr><td>");
		esc(out, r[i].method);
		strbuf_printf(out, "</td><td class=\"l\">");
		esc(out, r[i].name);
		strbuf_printf(out, "</td><td>%.0f</td><td>%.0f</td></tr>", r[i].requests, r[i].errors);
	}
	strbuf_printf(out, "</table>");
}

static void service_details(struct strbuf *out, const struct summary *sum)
{
	for (size_t i = 0; i < sum->nservices; i++) {
		const struct summary_service *v = &sum->services[i];

		if (!v->nroutes && !v->npeers)
			continue;
		strbuf_printf(out, "<h3 id=\"svc-%zu\">", i);
		esc(out, v->name);
		strbuf_printf(out, "</h3>");
		routes(out, "method", "route", v->routes, v->nroutes);
		routes(out, "protocol", "peer (client calls)", v->peers, v->npeers);
	}
}

/* A JSON value as the page shows it: a double to four digits. */
static void json_value(struct strbuf *out, json_object *v)
{
	if (json_object_is_type(v, json_type_double))
		strbuf_printf(out, "%.4g", json_object_get_double(v));
	else
		esc(out, json_object_get_string(v));
}

/* A JSON object's members as table rows: name, then the fields asked. */
static void members(struct strbuf *out, json_object *all, const char *const *fields, size_t nfields)
{
	json_object_object_foreach(all, name, o)
	{
		strbuf_printf(out, "<tr><td>");
		esc(out, name);
		strbuf_printf(out, "</td>");
		for (size_t i = 0; i < nfields; i++) {
			json_object *f = NULL;
			const char *s = json_object_object_get_ex(o, fields[i], &f) ? json_object_get_string(f) : "";

			strbuf_printf(out, "<td class=\"l%s\">",
				      !strcmp(s, "unhealthy") || !strcmp(s, "false") ? " bad" : "");
			if (f)
				json_value(out, f);
			strbuf_printf(out, "</td>");
		}
		strbuf_printf(out, "</tr>");
	}
}

static void checks_and_slas(struct strbuf *out, json_object *health)
{
	static const char *const check_fields[] = { "status", "message", "checked_at" };
	static const char *const sla_fields[] = { "met", "compliance_ratio", "target", "value" };
	json_object *checks = NULL, *slas = NULL;

	strbuf_printf(out, "<h2>Health checks</h2>");
	if (json_object_object_get_ex(health, "checks", &checks) && is_object(checks) &&
	    json_object_object_length(checks)) {
		strbuf_printf(out, "<table><tr><th>check</th><th>status</th><th>message</th><th>checked at</th></tr>");
		members(out, checks, check_fields, 3);
		strbuf_printf(out, "</table>");
	} else {
		strbuf_printf(out, "<p>None configured.</p>");
	}
	strbuf_printf(out, "<h2>SLAs</h2>");
	if (json_object_object_get_ex(health, "sla", &slas) && is_object(slas) && json_object_object_length(slas)) {
		strbuf_printf(out, "<table><tr><th>SLA</th><th>met</th><th>compliance</th><th>target</th>"
				   "<th>value</th></tr>");
		members(out, slas, sla_fields, 4);
		strbuf_printf(out, "</table>");
	} else {
		strbuf_printf(out, "<p>None configured.</p>");
	}
}

static void alerts(struct strbuf *out, json_object *list)
{
	static const char *const fields[] = { "rule",	   "service", "level",	   "metric",
					      "condition", "value",   "threshold", "description" };
	size_t firing = 0;

	strbuf_printf(out, "<h2>Alerts firing</h2>");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *a = json_object_array_get_idx(list, i), *state = NULL;

		if (!is_object(a) || !json_object_object_get_ex(a, "state", &state) ||
		    strcmp(json_object_get_string(state), "firing"))
			continue;
		if (!firing++)
			strbuf_printf(out,
				      "<table><tr><th>rule</th><th>service</th><th>level</th><th>metric</th>"
				      "<th>condition</th><th>value</th><th>threshold</th><th>description</th></tr>");
		strbuf_printf(out, "<tr class=\"bad\">");
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			json_object *f = NULL;

			strbuf_printf(out, "<td class=\"l\">");
			if (json_object_object_get_ex(a, fields[k], &f))
				json_value(out, f);
			strbuf_printf(out, "</td>");
		}
		strbuf_printf(out, "</tr>");
	}
	strbuf_printf(out, firing ? "</table>" : "<p class=\"ok\">None.</p>");
}

static void self_state(struct strbuf *out, const struct summary *s)
{
	strbuf_printf(out,
		      "<h2>sonde</h2><table>"
		      "<tr><td>hooks</td><td class=\"l\">%s</td></tr>"
		      "<tr><td>target processes</td><td class=\"l\">%.0f</td></tr>"
		      "<tr><td>events</td><td class=\"l\">%.0f</td></tr>"
		      "<tr><td>events lost</td><td class=\"l%s\">%.0f</td></tr>"
		      "<tr><td>parse failures</td><td class=\"l\">%.0f</td></tr>"
		      "<tr><td>TLS probe sites</td><td class=\"l\">%zu emulated, %zu single-stepped</td></tr>"
		      "<tr><td>processes with TLS probes</td><td class=\"l\">%.0f</td></tr>"
		      "<tr><td>TLS connections it cannot read</td><td class=\"l%s\">%.0f</td></tr>"
		      "</table>",
		      s->mode[0] ? s->mode : "–", s->targets, s->events, s->lost > 0 ? " bad" : "", s->lost,
		      s->parse_failures, s->tls_sites_emulated, s->tls_sites_stepped, s->tls_processes,
		      s->tls_unreadable > 0 ? " bad" : "", s->tls_unreadable);
}

int page_render(const struct page_inputs *in, struct strbuf *out)
{
	json_object *health = in->health_json ? json_tokener_parse(in->health_json) : NULL;
	json_object *list = in->alerts_json ? json_tokener_parse(in->alerts_json) : NULL;
	time_t now = (time_t)(in->unix_ms / 1000);
	char when[32];
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tm));
	strbuf_printf(out,
		      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		      "<meta http-equiv=\"refresh\" content=\"%d\"><title>sonde</title><style>%s</style></head>"
		      "<body><h1>sonde <small>",
		      PAGE_REFRESH_S, style);
	esc(out, in->sum->version);
	strbuf_printf(out,
		      " · %s</small></h1><p><a href=\"/metrics\">/metrics</a> · "
		      "<a href=\"/health/detailed\">/health/detailed</a> · <a href=\"/alerts\">/alerts</a></p>",
		      when);
	if (!is_object(health)) {
		json_object_put(health);
		health = NULL;
	}
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(list);
		list = NULL;
	}
	alerts(out, list);
	services(out, in, health);
	service_details(out, in->sum);
	checks_and_slas(out, health);
	self_state(out, in->sum);
	strbuf_printf(out, "</body></html>\n");
	json_object_put(health);
	json_object_put(list);
	return out->err;
}
