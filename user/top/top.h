/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `sonde top`: a terminal view of a running sonde, from its /metrics (this
 * host's or another's): one service a line, refreshed every second. */
#ifndef SONDE_TOP_H
#define SONDE_TOP_H

/* argv[0] is "top". Returns the process's exit status. */
int top_main(int argc, char **argv);

#endif
