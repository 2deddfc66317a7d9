// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <curl/curl.h>
#include <curses.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clocks.h"
#include "base/strbuf.h"
#include "status/summary.h"
#include "top/top.h"

#define TOP_DEFAULT_URL "http://127.0.0.1:9464"
#define TOP_REFRESH_MS 1000
#define TOP_BODY_MAX (64u << 20) /* a larger exposition is cut */

static const char top_usage[] = "usage: sonde top [--url http://HOST:PORT]\n"
				"  keys: r sort by rate, e by error ratio, l by p99 latency, up/down select,\n"
				"        enter a service's routes (enter again to go back), q quit\n";

enum sort_key { SORT_RATE, SORT_ERRORS, SORT_LATENCY };

/* One service's line. */
struct row {
	const struct summary_service *v;
	double rate, error_ratio, p50, p99;
};

struct top {
	char url[512];
	CURL *curl;
	struct summary *now, *before;
	int64_t now_ms, before_ms;
	char error[CURL_ERROR_SIZE];
	char ns[64];
	enum sort_key sort;
	size_t selected;
	bool detail; /* the selected service's routes */
	char detail_name[SUMMARY_NAME_MAX];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct strbuf *b = arg;

	if (b->len + size * n > TOP_BODY_MAX)
		return 0;
	return strbuf_append(b, p, size * n) ? 0 : size * n;
}

/* A fresh summary of the daemon's /metrics; 0, or -1 with t->error set. */
static int fetch(struct top *t)
{
	struct strbuf body = { 0 };
	char url[600];
	long code = 0;
	struct summary *tmp;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s/metrics", t->url);
	curl_easy_setopt(t->curl, CURLOPT_URL, url);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, 3000L);
	t->error[0] = 0;
	rc = curl_easy_perform(t->curl);
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200 || body.err) {
		if (!t->error[0])
			snprintf(t->error, sizeof(t->error), "HTTP %ld", code);
		strbuf_free(&body);
		return -1;
	}
	if (!t->ns[0])
		summary_namespace(body.data ? body.data : "", body.len, t->ns, sizeof(t->ns));
	tmp = t->before;
	t->before = t->now;
	t->before_ms = t->now_ms;
	t->now = tmp;
	summary_build(body.data ? body.data : "", body.len, t->ns, t->now);
	t->now_ms = clocks_mono_ms();
	strbuf_free(&body);
	return 0;
}

static double rate_of(const struct top *t, const struct summary_service *v)
{
	const struct summary_service *old = t->before_ms ? summary_service(t->before, v->name) : NULL;
	double dt = (double)(t->now_ms - t->before_ms) / 1e3;

	return old && dt > 0 && v->requests >= old->requests ? (v->requests - old->requests) / dt : 0;
}

static enum sort_key sort_by;

static int by_key(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	double kx = sort_by == SORT_RATE ? x->rate : sort_by == SORT_ERRORS ? x->error_ratio : x->p99;
	double ky = sort_by == SORT_RATE ? y->rate : sort_by == SORT_ERRORS ? y->error_ratio : y->p99;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	return strcmp(x->v->name, y->v->name);
}

static size_t rows_of(const struct top *t, struct row *rows)
{
	size_t n = 0;

	for (size_t i = 0; i < t->now->nservices; i++) {
		const struct summary_service *v = &t->now->services[i];

		rows[n++] = (struct row){
			.v = v,
			.rate = rate_of(t, v),
			.error_ratio = v->requests > 0 ? v->errors / v->requests : 0,
			.p50 = summary_quantile(v->le, v->cum, v->nbuckets, 0.50),
			.p99 = summary_quantile(v->le, v->cum, v->nbuckets, 0.99),
		};
	}
	sort_by = t->sort;
	qsort(rows, n, sizeof(rows[0]), by_key);
	return n;
}

static void latency(char *out, size_t size, double s)
{
	if (s < 0)
		snprintf(out, size, "-");
	else if (s < 1)
		snprintf(out, size, "%.1fms", s * 1e3);
	else
		snprintf(out, size, "%.2fs", s);
}

static void draw_services(struct top *t, const struct row *rows, size_t n)
{
	static const char *const sorts[] = { "rate", "error ratio", "p99" };

	mvprintw(2, 0, "sorted by %s   r rate  e errors  l latency  enter routes  q quit", sorts[t->sort]);
	attron(A_REVERSE);
	mvprintw(4, 0, "%-32s %12s %10s %8s %10s %10s", "SERVICE", "REQUESTS", "REQ/S", "ERR%", "P50", "P99");
	attroff(A_REVERSE);
	for (size_t i = 0; i < n && (int)i + 5 < LINES; i++) {
		char p50[16], p99[16];

		latency(p50, sizeof(p50), rows[i].p50);
		latency(p99, sizeof(p99), rows[i].p99);
		if (i == t->selected)
			attron(A_BOLD);
		mvprintw((int)i + 5, 0, "%-32.32s %12.0f %10.1f %7.2f%% %10s %10s", rows[i].v->name,
			 rows[i].v->requests, rows[i].rate, rows[i].error_ratio * 100, p50, p99);
		if (i == t->selected)
			attroff(A_BOLD);
	}
	if (!n)
		mvprintw(5, 0, "no service seen yet");
}

static void draw_detail(struct top *t)
{
	const struct summary_service *v = summary_service(t->now, t->detail_name);

	mvprintw(2, 0, "routes of %.64s   enter back  q quit", t->detail_name);
	attron(A_REVERSE);
	mvprintw(4, 0, "%-8s %-48s %12s %10s", "METHOD", "ROUTE", "REQUESTS", "ERRORS");
	attroff(A_REVERSE);
	for (size_t i = 0; v && i < v->nroutes && (int)i + 5 < LINES; i++)
		mvprintw((int)i + 5, 0, "%-8.8s %-48.48s %12.0f %10.0f", v->routes[i].method, v->routes[i].name,
			 v->routes[i].requests, v->routes[i].errors);
}

static void draw(struct top *t)
{
	struct row rows[SUMMARY_SERVICES_MAX];
	size_t n = rows_of(t, rows);

	erase();
	mvprintw(0, 0, "sonde top  %.200s  %s%s  events %.0f  lost %.0f", t->url, t->now->mode[0] ? "mode " : "",
		 t->now->mode, t->now->events, t->now->lost);
	if (t->error[0])
		mvprintw(1, 0, "cannot read %.200s/metrics: %.200s", t->url, t->error);
	if (n && t->selected >= n)
		t->selected = n - 1;
	if (t->detail)
		draw_detail(t);
	else
		draw_services(t, rows, n);
	refresh();
}

/* A key; returns false to quit. */
static bool on_key(struct top *t, int ch)
{
	struct row rows[SUMMARY_SERVICES_MAX];
	size_t n;

	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 'r':
		t->sort = SORT_RATE;
		break;
	case 'e':
		t->sort = SORT_ERRORS;
		break;
	case 'l':
		t->sort = SORT_LATENCY;
		break;
	case KEY_UP:
		if (t->selected)
			t->selected--;
		break;
	case KEY_DOWN:
		t->selected++;
		break;
	case '\n':
	case KEY_ENTER:
		n = rows_of(t, rows);
		if (!t->detail && t->selected < n)
			snprintf(t->detail_name, sizeof(t->detail_name), "%s", rows[t->selected].v->name);
		t->detail = !t->detail && t->selected < n;
		break;
	default:
		break;
	}
	return true;
}

int top_main(int argc, char **argv)
{
	struct top t = { .sort = SORT_RATE };
	int ret = 1;
	bool run = true;

	snprintf(t.url, sizeof(t.url), "%s", TOP_DEFAULT_URL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--url") && i + 1 < argc) {
			snprintf(t.url, sizeof(t.url), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(top_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "sonde top: unknown argument %s\n%s", argv[i], top_usage);
			return 2;
		}
	}
	t.url[strcspn(t.url, "\n")] = 0;
	if (strlen(t.url) && t.url[strlen(t.url) - 1] == '/')
		t.url[strlen(t.url) - 1] = 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	t.curl = curl_easy_init();
	t.now = calloc(1, sizeof(*t.now));
	t.before = calloc(1, sizeof(*t.before));
	if (!t.curl || !t.now || !t.before) {
		fprintf(stderr, "sonde top: out of memory\n");
		goto out;
	}
	if (!initscr()) {
		fprintf(stderr, "sonde top: cannot use the terminal\n");
		goto out;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(TOP_REFRESH_MS);
	while (run) {
		int64_t next = clocks_mono_ms() + TOP_REFRESH_MS;

		fetch(&t);
		draw(&t);
		/* Keys until the next refresh. */
		while (run && clocks_mono_ms() < next) {
			int ch;

			timeout((int)(next - clocks_mono_ms()));
			ch = getch();
			if (ch == ERR)
				continue;
			run = on_key(&t, ch);
			if (run)
				draw(&t);
		}
	}
	endwin();
	ret = 0;
out:
	free(t.now);
	free(t.before);
	if (t.curl)
		curl_easy_cleanup(t.curl);
	curl_global_cleanup();
	return ret;
}
