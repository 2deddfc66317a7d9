// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one definition of the shared maps. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define SONDE_DEFINE_MAPS
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
