/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the kernel offers, checked before anything is loaded. */
#ifndef SONDE_FEATURES_H
#define SONDE_FEATURES_H

#include <stddef.h>

/* Mounts tracefs when missing, then checks BPF privilege, kernel BTF, the
 * ring buffer, bpf_loop and every hook sonde attaches. Returns 0, or a
 * negative errno with a one-line reason in err. */
int features_check(char *err, size_t errlen);
/* The hook mode chosen, for the log and sonde_build_info. */
const char *features_mode(void);

#endif
