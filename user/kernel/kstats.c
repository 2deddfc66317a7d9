// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/kstats.h"

int kstats_read(int map_fd, uint64_t out[SONDE_STAT_MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values;
	int ret = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	memset(out, 0, sizeof(uint64_t) * SONDE_STAT_MAX);
	for (uint32_t k = 0; k < SONDE_STAT_MAX; k++) {
		if (bpf_map_lookup_elem(map_fd, &k, values)) {
			ret = -errno;
			goto out;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			out[k] += values[cpu];
	}
out:
	free(values);
	return ret;
}
