/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Whether the current process is observed, and as which service: checked
 * when a connection starts, never per read or write. */
#ifndef SONDE_SELECT_BPF_H
#define SONDE_SELECT_BPF_H

#include "maps.bpf.h"

/* Returns 1 and sets *service when the current process is observed: it
 * was selected by pid, exe or port (targets map), or it runs in, or below,
 * a selected cgroup now, which counts processes that moved in later. */
static __always_inline int select_current(__u32 *service)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sonde_config *cfg = config_get();
	struct sonde_target *t;
	__u32 i;

	if (!cfg)
		return 0;
	if (cfg->observe_all) {
		*service = SONDE_SERVICE_BY_COMM;
		return tgid != cfg->self_tgid;
	}
	t = bpf_map_lookup_elem(&targets, &tgid);
	if (t) {
		*service = t->service_id;
		return 1;
	}
	for (i = 0; i < SONDE_MAX_CGROUP_TARGETS; i++) {
		struct sonde_cgroup_target *cg;
		__u32 k = i;

		if (i >= cfg->ncgroups)
			break;
		cg = bpf_map_lookup_elem(&cgroup_targets, &k);
		if (cg && bpf_get_current_ancestor_cgroup_id(cg->level) == cg->id) {
			*service = cg->service_id;
			return 1;
		}
	}
	return 0;
}

/* select_current for a process that holds no followed connection: one
 * not observed is remembered in strangers, whose bit its next sends and
 * receives leave at. */
static __always_inline int select_stranger(__u32 tgid, __u32 *service)
{
	struct sonde_config *cfg;

	if (pid_bit_has(&strangers, tgid))
		return 0;
	if (select_current(service))
		return 1;
	cfg = config_get();
	if (cfg && !cfg->ncgroups)
		pid_bit_set(&strangers, tgid, 1);
	return 0;
}

#endif
