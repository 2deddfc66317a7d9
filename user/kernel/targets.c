// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "identity/cgroup.h"
#include "base/log.h"
#include "base/procfs.h"
#include "sonde.h"
#include "kernel/listeners.h"
#include "kernel/targets.h"

#define MAX_INODES 256

_Static_assert(PROCFS_COMM_MAX == SONDE_COMM_LEN, "a command name is the kernel's TASK_COMM_LEN");

struct proc_info {
	uint32_t pid;
	uint32_t ppid;
	char comm[SONDE_COMM_LEN];
	char exe[SONDE_NAME_MAX]; /* basename of /proc/PID/exe, "" if unreadable */
	uint64_t start_time;
	char state;
};

static int read_proc(uint32_t pid, struct proc_info *p)
{
	char path[64], link[PATH_MAX];
	struct procfs_stat st;
	const char *base;
	ssize_t n;
	size_t len;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	ret = procfs_stat(pid, &st);
	if (ret)
		return ret;
	memcpy(p->comm, st.comm, sizeof(p->comm));
	p->ppid = st.ppid;
	p->start_time = st.start_time;
	p->state = st.state;
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = 0;
		base = strrchr(link, '/');
		base = base ? base + 1 : link;
		/* An exe replaced on disk reads "name (deleted)". */
		len = strcspn(base, " ");
		if (len < sizeof(p->exe)) {
			memcpy(p->exe, base, len);
			p->exe[len] = 0;
		}
	}
	return 0;
}

/* Whether the process read as p still runs: the same pid and start time,
 * its exit not begun. The kernel sets PF_EXITING before its exit hook
 * clears the entry, so an entry made before this check is cleared by that
 * hook, and one made after it is cleared here. */
static bool alive(const struct proc_info *p)
{
	struct procfs_stat st;

	return !procfs_stat(p->pid, &st) && st.start_time == p->start_time && !st.exiting && st.state != 'Z' &&
	       st.state != 'X';
}

static int select_pid(struct targets *t, const struct proc_info *p, uint32_t service_id)
{
	struct sonde_target v = { .service_id = service_id };
	struct sonde_target old;

	if (!service_id) {
		const char *name = p->exe[0] ? p->exe : p->comm;
		int ret = services_intern(t->services, name, &v.service_id);

		if (ret)
			return ret;
	}
	/* Cleared at every scan: a send the kernel saw while the entry was
	 * being written may have found none and set it again. */
	if (bpf_map_lookup_elem(t->maps.targets, &p->pid, &old) == 0 && old.service_id == v.service_id) {
		maps_stranger_forget(&t->maps, p->pid);
		return 0;
	}
	if (p->state == 'Z' || p->state == 'X')
		return 0;
	if (bpf_map_update_elem(t->maps.targets, &p->pid, &v, BPF_ANY))
		return -errno;
	/* It may have exited since the scan read it, its exit clearing an
	 * entry that was not there yet: a dead pid must not stay a target,
	 * nor lend its service to the next process given that pid. */
	if (!alive(p)) {
		bpf_map_delete_elem(t->maps.targets, &p->pid);
		return 0;
	}
	maps_stranger_forget(&t->maps, p->pid);
	log_info("targets", "observing pid %u (%s) as service %s", p->pid, p->comm,
		 services_name(t->services, v.service_id));
	return 0;
}

static int load_procs(struct proc_info **out, size_t *count)
{
	struct proc_info *procs = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(procs, cap * sizeof(*procs));
			if (!grown) {
				free(procs);
				closedir(dir);
				return -ENOMEM;
			}
			procs = grown;
		}
		if (read_proc((uint32_t)strtoul(d->d_name, NULL, 10), &procs[n]) == 0)
			n++;
	}
	closedir(dir);
	*out = procs;
	*count = n;
	return 0;
}

/* Whether pid is root or a descendant of root. */
static int descends_from(const struct proc_info *procs, size_t n, uint32_t pid, uint32_t root)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		size_t i;

		if (pid == root)
			return 1;
		for (i = 0; i < n && procs[i].pid != pid; i++)
			;
		if (i == n)
			return 0;
		pid = procs[i].ppid;
	}
	return pid == root;
}

/* A cgroup selector: the kernel compares the current process's ancestor
 * at the directory's depth with the directory's id, so processes that
 * move in later are selected too. */
static int select_cgroup(const struct bpf_maps *maps, struct sonde_config *cfg, const char *path, uint32_t service_id)
{
	struct sonde_cgroup_target cg = { .service_id = service_id };
	char dir[PATH_MAX];
	uint64_t id;
	uint32_t level;
	int ret;

	if (cfg->ncgroups == SONDE_MAX_CGROUP_TARGETS) {
		log_error("targets", "at most %d cgroup selectors", SONDE_MAX_CGROUP_TARGETS);
		return -ENOSPC;
	}
	ret = cgroup_resolve(path, dir, sizeof(dir), &id, &level);
	if (ret) {
		log_error("targets", "cgroup:%s: %s", path, strerror(-ret));
		return ret;
	}
	cg.id = id;
	cg.level = level;
	if (bpf_map_update_elem(maps->cgroup_targets, &cfg->ncgroups, &cg, BPF_ANY))
		return -errno;
	cfg->ncgroups++;
	log_info("targets", "observing cgroup %s and below (id %llu, level %u)", dir, (unsigned long long)cg.id,
		 cg.level);
	return 0;
}

int targets_init(struct targets *t, const struct sonde_options *opts, struct services *services,
		 const struct bpf_maps *maps)
{
	struct sonde_config cfg = {
		.self_tgid = (uint32_t)getpid(),
		.observe_all = !opts->nselectors,
		.max_conns = opts->max_connections,
	};
	uint32_t zero = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	t->opts = opts;
	t->services = services;
	t->maps = *maps;
	for (size_t i = 0; i < opts->nselectors; i++) {
		const struct selector *s = &opts->selectors[i];
		const char *name = s->service[0] ? s->service : NULL;

		if (s->kind == SELECTOR_EXE && !name)
			name = s->value;
		if (name) {
			ret = services_intern(services, name, &t->selector_service[i]);
			if (ret)
				return ret;
		}
		if (s->kind == SELECTOR_CGROUP) {
			ret = select_cgroup(maps, &cfg, s->value, t->selector_service[i]);
			if (ret)
				return ret;
		}
		if (s->kind == SELECTOR_EXE) {
			struct sonde_comm_key key = {};
			struct sonde_target v = { .service_id = t->selector_service[i] };

			/* The kernel keeps 15 bytes of a command name. */
			memcpy(key.comm, s->value, strnlen(s->value, sizeof(key.comm) - 1));
			if (strlen(s->value) >= sizeof(key.comm))
				log_warn("targets", "exe:%s matches processes by its first %zu bytes, %s", s->value,
					 sizeof(key.comm) - 1, key.comm);
			if (bpf_map_update_elem(maps->exe_targets, &key, &v, BPF_ANY))
				return -errno;
		}
	}
	/* Last: the kernel starts selecting once the config is in. */
	if (bpf_map_update_elem(maps->config, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int targets_have_port_selectors(const struct targets *t)
{
	for (size_t i = 0; i < t->opts->nselectors; i++)
		if (t->opts->selectors[i].kind == SELECTOR_PORT)
			return 1;
	return 0;
}

static int selector_matches(const struct selector *s, const struct proc_info *procs, size_t n,
			    const struct proc_info *p, const unsigned long *inodes, size_t ninodes)
{
	switch (s->kind) {
	case SELECTOR_PID:
		return descends_from(procs, n, p->pid, (uint32_t)s->number);
	case SELECTOR_EXE:
		return !strncmp(p->comm, s->value, SONDE_COMM_LEN - 1) || !strcmp(p->exe, s->value);
	case SELECTOR_PORT:
		return ninodes && procfs_holds_socket(p->pid, inodes, ninodes);
	case SELECTOR_CGROUP:
		return 0;
	}
	return 0;
}

int targets_scan(struct targets *t)
{
	uint32_t self = (uint32_t)getpid();
	unsigned long inodes[MAX_INODES];
	struct proc_info *procs = NULL;
	size_t n = 0, ninodes;
	int ret;

	if (!t->opts->nselectors)
		return 0;
	ret = load_procs(&procs, &n);
	if (ret)
		return ret;
	for (size_t i = 0; i < t->opts->nselectors; i++) {
		const struct selector *s = &t->opts->selectors[i];

		ninodes = 0;
		if (s->kind == SELECTOR_PORT) {
			struct listener_sock socks[MAX_INODES];

			ninodes = listeners_dump(s->number, socks, MAX_INODES);
			for (size_t k = 0; k < ninodes; k++)
				inodes[k] = socks[k].inode;
		}
		for (size_t j = 0; j < n; j++) {
			if (procs[j].pid == self || !selector_matches(s, procs, n, &procs[j], inodes, ninodes))
				continue;
			ret = select_pid(t, &procs[j], t->selector_service[i]);
			if (ret)
				log_warn("targets", "cannot select pid %u: %s", procs[j].pid, strerror(-ret));
		}
	}
	free(procs);
	return 0;
}

uint64_t targets_count(const struct targets *t)
{
	uint32_t key, next;
	uint64_t n = 0;
	struct dirent *d;
	DIR *dir;
	int err;

	if (t->opts->nselectors) {
		err = bpf_map_get_next_key(t->maps.targets, NULL, &key);
		for (; !err; n++) {
			err = bpf_map_get_next_key(t->maps.targets, &key, &next);
			key = next;
		}
		return n;
	}
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		if (isdigit((unsigned char)d->d_name[0]))
			n++;
	closedir(dir);
	return n ? n - 1 : 0;
}

bool targets_by_pid(const struct targets *t)
{
	for (size_t i = 0; i < t->opts->nselectors; i++)
		if (t->opts->selectors[i].kind == SELECTOR_CGROUP)
			return false;
	return t->opts->nselectors > 0;
}

size_t targets_pids(const struct targets *t, uint32_t *pids, size_t max)
{
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	if (targets_by_pid(t))
		return maps_keys_u32(t->maps.targets, pids, max);
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while (n < max && (d = readdir(dir)))
		if (isdigit((unsigned char)d->d_name[0]))
			pids[n++] = (uint32_t)strtoul(d->d_name, NULL, 10);
	closedir(dir);
	return n;
}
