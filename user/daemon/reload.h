/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The configuration file's checks, business metrics, alert rules and
 * notifiers in the running daemon: built at start, replaced on SIGHUP. The
 * services, listen address and namespace are set at start. */
#ifndef SONDE_RELOAD_H
#define SONDE_RELOAD_H

#include <stddef.h>

#include "daemon/daemon.h"

/* The configuration's business metrics and alert rules, built, with the
 * pipeline's lock held, before they replace the running ones. */
int reload_build_rules(struct daemon *d, const struct config *c, struct business *b, struct alerts *a, char *err,
		       size_t errlen);
/* The threads of c's health checks and notifiers. */
int reload_start_threads(struct daemon *d, const struct config *c, struct checks **checks, struct notifier **notifier);
/* SIGHUP: checks, business metrics, SLAs, rules and notifiers are
 * replaced; a file that does not load is refused and the running
 * configuration stays. */
void reload_config(struct daemon *d);

/* SIGHUP with --web-config: a file that loads and differs restarts the
 * endpoints with it (connections open then are closed); one that does
 * not load is refused and the running one stays. */
void reload_web_config(struct daemon *d);

/* Waits for the replaced checks and notifiers to have stopped. */
void reload_join(struct daemon *d);

#endif
