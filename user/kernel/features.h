/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the kernel offers, checked before anything is loaded. */
#ifndef SONDE_FEATURES_H
#define SONDE_FEATURES_H

#include <stddef.h>

#include "base/options.h"

/* Mounts tracefs when missing, then checks BPF privilege, kernel BTF, the
 * ring buffer, bpf_loop and every hook sonde attaches, and chooses the
 * mode: "sockets" (the socket layer's send and receive tracepoints) where the
 * kernel has them and wanted allows, else "syscalls". Returns 0, or a
 * negative errno with a one-line reason in err. */
int features_check(enum hooks_mode wanted, char *err, size_t errlen);
/* 1 when the mode chosen is "sockets". */
int features_sockets(void);
/* The hook mode chosen, for the log and sonde_build_info. */
const char *features_mode(void);
/* 1 when sockops and sk_msg programs and a sockhash can be loaded with
 * the capabilities held now, else 0 with the reason in why. */
int features_socket_programs(char *why, size_t whylen);

#endif
