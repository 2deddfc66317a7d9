// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A shared library whose function sonde times from outside (library: in
 * the configuration): lib_charge lasts about 1 ms and fails (-1) when
 * asked to. */
#include <time.h>

__attribute__((noinline)) int lib_charge(int fail)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
	return fail ? -1 : 0;
}
