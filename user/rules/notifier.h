/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The notifications' sender: one thread with a bounded queue, retries and
 * backoff, so the evaluator never blocks on a receiver. */
#ifndef SONDE_NOTIFIER_H
#define SONDE_NOTIFIER_H

#include <stdatomic.h>
#include <stddef.h>

#include "rules/notify.h"

/* Per notifier counters, read at scrape time. */
struct notifier_stats {
	atomic_ulong sent; /* accepted by the receiver (2xx) */
	atomic_ulong failed; /* given up after the last attempt */
	atomic_ulong dropped; /* the queue was full */
};

struct notifier;

/* Starts the sender thread for these notifiers; generator names sonde in
 * the bodies (Alertmanager's generatorURL). totals, NULL or NOTIFIER_TYPES
 * counters by notifier type that outlive the notifier, also count every
 * outcome: a reload's new notifiers count on from its old ones'. */
int notifier_start(struct notifier **out, const struct notifier_config *cfg, size_t n, const char *generator,
		   struct notifier_stats *totals);
/* Queues one notice for every notifier that wants it; never blocks. NULL is fine. */
void notifier_push(struct notifier *nt, const struct alert_notice *a);
/* The counters of notifier i (configuration order), or NULL. */
const struct notifier_stats *notifier_stats(const struct notifier *nt, size_t i);
/* Sends what is queued within a bounded time, then stops; NULL is fine. */
void notifier_stop(struct notifier *nt);

#endif
