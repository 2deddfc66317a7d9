// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "base/procfs.h"
#include "identity/identity.h"
#include "identity/k8s.h"
#include "kernel/processes.h"
#include "sonde.h"

/* As many as the kernel's targets and proc_conns maps hold. */
#define SONDE_MAX_TARGETS_KEYS 16384

struct proc_entry {
	uint32_t tgid;
	uint32_t service_id;
	int selected; /* in the targets map: resource use is reported */
	int64_t server_connections;
	char service[SONDE_NAME_MAX];
	struct identity id;
	struct process_sample sample;
};

static int read_resident(uint32_t tgid, double *bytes)
{
	unsigned long long resident;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%u/statm", tgid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%*u %llu", &resident);
	fclose(f);
	if (n != 1)
		return -EIO;
	*bytes = (double)resident * (double)sysconf(_SC_PAGESIZE);
	return 0;
}

static int by_tgid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static struct proc_entry *entry_for(struct proc_entry **list, size_t *n, size_t *cap, uint32_t tgid)
{
	struct proc_entry *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*list)[i].tgid == tgid)
			return &(*list)[i];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		grown = realloc(*list, *cap * sizeof(**list));
		if (!grown)
			return NULL;
		*list = grown;
	}
	memset(&(*list)[*n], 0, sizeof(**list));
	(*list)[*n].tgid = tgid;
	return &(*list)[(*n)++];
}

int processes_collect(struct processes *p, const struct bpf_maps *maps, const struct services *services,
		      int observe_all, struct k8s *k8s)
{
	struct proc_entry *list = NULL, *e;
	struct cpu_seen *seen = NULL;
	struct process_sample *samples = NULL;
	struct sonde_proc_conns pc;
	struct sonde_target t;
	size_t n = 0, cap = 0, nseen = 0, ns = 0;
	uint32_t *keys = malloc(SONDE_MAX_TARGETS_KEYS * sizeof(*keys));
	size_t nkeys;
	int ret = 0;

	if (!keys)
		return -ENOMEM;
	nkeys = maps_keys_u32(maps->targets, keys, SONDE_MAX_TARGETS_KEYS);
	for (size_t i = 0; i < nkeys; i++) {
		if (bpf_map_lookup_elem(maps->targets, &keys[i], &t))
			continue;
		e = entry_for(&list, &n, &cap, keys[i]);
		if (!e)
			goto nomem;
		e->service_id = t.service_id;
		e->selected = 1;
	}
	nkeys = maps_keys_u32(maps->proc_conns, keys, SONDE_MAX_TARGETS_KEYS);
	for (size_t i = 0; i < nkeys; i++) {
		if (bpf_map_lookup_elem(maps->proc_conns, &keys[i], &pc))
			continue;
		e = entry_for(&list, &n, &cap, keys[i]);
		if (!e)
			goto nomem;
		e->service_id = pc.service_id;
		e->server_connections = pc.server;
	}
	free(keys);
	keys = NULL;
	qsort(list, n, sizeof(*list), by_tgid);
	samples = calloc(n ? n : 1, sizeof(*samples));
	seen = calloc(n ? n : 1, sizeof(*seen));
	if (!samples || !seen)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct process_sample *s = &samples[ns];
		char comm[SERVICES_COMM_MAX + 1];
		struct procfs_stat st;
		const char *name;
		int alive;
		double cpu;

		e = &list[i];
		identity_of_pid(e->tgid, &e->id);
		k8s_enrich(k8s, &e->id);
		alive = !procfs_stat(e->tgid, &st);
		if (!alive)
			memset(&st, 0, sizeof(st));
		/* Named as the collector names the same process's traffic. */
		name = services_label(services, e->service_id, &e->id, st.comm, comm);
		if (!name)
			continue;
		snprintf(e->service, sizeof(e->service), "%s", name);
		ns++;
		s->service = e->service;
		s->id = &e->id;
		s->server_connections = e->server_connections;
		if (observe_all || !e->selected || !alive || read_resident(e->tgid, &s->resident_bytes))
			continue;
		s->has_usage = 1;
		cpu = (double)(st.utime + st.stime) / (double)sysconf(_SC_CLK_TCK);
		s->cpu_seconds_delta = cpu;
		/* CPU is a counter: add what each process used since the last
		 * scrape, so processes that exit take nothing back. */
		struct cpu_seen *prev = bsearch(&e->tgid, p->seen, p->nseen, sizeof(*p->seen), by_tgid);
		if (prev && prev->start_time == st.start_time)
			s->cpu_seconds_delta = cpu - prev->cpu_seconds;
		seen[nseen++] = (struct cpu_seen){ .tgid = e->tgid, .start_time = st.start_time, .cpu_seconds = cpu };
	}
	processes_free(p);
	p->seen = seen;
	p->nseen = nseen;
	p->entries = list;
	p->samples = samples;
	p->nsamples = ns;
	return 0;
nomem:
	ret = -ENOMEM;
	free(keys);
	free(seen);
	free(samples);
	free(list);
	return ret;
}

void processes_free(struct processes *p)
{
	free(p->seen);
	free(p->entries);
	free(p->samples);
	memset(p, 0, sizeof(*p));
}
