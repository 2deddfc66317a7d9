/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One run of a health check of each type (http, tcp, redis, postgres),
 * to completion within its timeout. */
#ifndef SONDE_CHECK_RUN_H
#define SONDE_CHECK_RUN_H

#include "base/config.h"
#include "rules/checks.h"

/* Runs the check and says what it saw in r. */
void check_run(const struct check_config *c, struct check_result *r);

#endif
