// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "status/history.h"

void history_init(struct history *h)
{
	pthread_mutex_init(&h->lock, NULL);
}

void history_free(struct history *h)
{
	pthread_mutex_destroy(&h->lock);
}

static int column_of(struct history *h, const char *name)
{
	for (size_t i = 0; i < h->nnames; i++)
		if (!strcmp(h->names[i], name))
			return (int)i;
	if (h->nnames == SUMMARY_SERVICES_MAX)
		return -1;
	strcpy(h->names[h->nnames], name);
	return (int)h->nnames++;
}

void history_add(struct history *h, const struct summary *sum, uint64_t t_ms)
{
	size_t at;

	pthread_mutex_lock(&h->lock);
	if (h->n == HISTORY_POINTS) {
		h->head = (h->head + 1) % HISTORY_POINTS;
		h->n--;
	}
	at = (h->head + h->n++) % HISTORY_POINTS;
	h->t_ms[at] = t_ms;
	memset(h->s[at], 0, sizeof(h->s[at]));
	for (size_t i = 0; i < sum->nservices; i++) {
		const struct summary_service *v = &sum->services[i];
		int col = column_of(h, v->name);
		struct history_sample *p;

		if (col < 0)
			continue;
		/* The bounds are the same for every series: the first seen. */
		if (!h->nle && v->nbuckets) {
			h->nle = v->nbuckets;
			memcpy(h->le, v->le, v->nbuckets * sizeof(v->le[0]));
		}
		p = &h->s[at][col];
		p->present = true;
		p->requests = v->requests;
		p->errors = v->errors;
		if (v->nbuckets == h->nle)
			memcpy(p->cum, v->cum, v->nbuckets * sizeof(v->cum[0]));
	}
	pthread_mutex_unlock(&h->lock);
}

/* What happened between samples x (at ta, maybe absent) and y (at tb). */
static void step(const struct history *h, const struct history_sample *x, uint64_t ta, const struct history_sample *y,
		 uint64_t tb, struct history_step *st)
{
	double d = y->requests - (x->present ? x->requests : 0), dt = (double)(tb - ta) / 1e3;
	double diff[SUMMARY_BUCKETS_MAX];

	st->t_ms = tb;
	st->rate = y->present && dt > 0 && d > 0 ? d / dt : 0;
	st->error_ratio = y->present && d > 0 ? (y->errors - (x->present ? x->errors : 0)) / d : -1;
	for (size_t i = 0; i < h->nle; i++)
		diff[i] = y->present ? y->cum[i] - (x->present ? x->cum[i] : 0) : 0;
	st->p50 = summary_quantile(h->le, diff, h->nle, 0.50);
	st->p95 = summary_quantile(h->le, diff, h->nle, 0.95);
	st->p99 = summary_quantile(h->le, diff, h->nle, 0.99);
}

size_t history_steps(struct history *h, const char *name, const struct summary_service *now, uint64_t now_ms,
		     struct history_step *out)
{
	size_t n = 0, last;
	int col = -1;

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->nnames && col < 0; i++)
		if (!strcmp(h->names[i], name))
			col = (int)i;
	for (size_t k = 1; col >= 0 && k < h->n; k++) {
		size_t a = (h->head + k - 1) % HISTORY_POINTS, b = (h->head + k) % HISTORY_POINTS;

		step(h, &h->s[a][col], h->t_ms[a], &h->s[b][col], h->t_ms[b], &out[n++]);
	}
	last = (h->head + h->n - 1) % HISTORY_POINTS;
	if (now && col >= 0 && h->n && now_ms >= h->t_ms[last] + 1000 && now->nbuckets == h->nle) {
		struct history_sample y = { .present = true, .requests = now->requests, .errors = now->errors };

		memcpy(y.cum, now->cum, now->nbuckets * sizeof(now->cum[0]));
		step(h, &h->s[last][col], h->t_ms[last], &y, now_ms, &out[n++]);
	}
	pthread_mutex_unlock(&h->lock);
	return n;
}
