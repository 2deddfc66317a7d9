// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

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

struct usage {
	uint64_t start_time;
	double cpu_seconds;
	double resident_bytes;
};

static int read_usage(uint32_t tgid, struct usage *u)
{
	unsigned long long utime, stime, start, resident;
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* After the command: state, then utime and stime are fields 14 and 15,
	 * starttime field 22. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
			 &utime, &stime, &start) != 3)
		return -EIO;
	snprintf(path, sizeof(path), "/proc/%u/statm", tgid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%*u %llu", &resident);
	fclose(f);
	if (n != 1)
		return -EIO;
	u->start_time = start;
	u->cpu_seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
	u->resident_bytes = (double)resident * (double)sysconf(_SC_PAGESIZE);
	return 0;
}

static void comm_of(uint32_t tgid, char *out, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", tgid);
	out[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)size, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
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
	nkeys = map_keys_u32(maps->targets, keys, SONDE_MAX_TARGETS_KEYS);
	for (size_t i = 0; i < nkeys; i++) {
		if (bpf_map_lookup_elem(maps->targets, &keys[i], &t))
			continue;
		e = entry_for(&list, &n, &cap, keys[i]);
		if (!e)
			goto nomem;
		e->service_id = t.service_id;
		e->selected = 1;
	}
	nkeys = map_keys_u32(maps->proc_conns, keys, SONDE_MAX_TARGETS_KEYS);
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
		const char *name = services_name(services, list[i].service_id);
		struct usage u;

		e = &list[i];
		identity_of_pid(e->tgid, &e->id);
		k8s_enrich(k8s, &e->id);
		/* Named as the collector names the same process's traffic. */
		if (name || (name = identity_workload(&e->id)))
			snprintf(e->service, sizeof(e->service), "%s", name);
		else
			comm_of(e->tgid, e->service, sizeof(e->service));
		if (!e->service[0])
			continue;
		ns++;
		s->service = e->service;
		s->id = &e->id;
		s->server_connections = e->server_connections;
		if (observe_all || !e->selected || read_usage(e->tgid, &u))
			continue;
		s->has_usage = 1;
		s->resident_bytes = u.resident_bytes;
		s->cpu_seconds_delta = u.cpu_seconds;
		/* CPU is a counter: add what each process used since the last
		 * scrape, so processes that exit take nothing back. */
		struct cpu_seen *prev = bsearch(&e->tgid, p->seen, p->nseen, sizeof(*p->seen), by_tgid);
		if (prev && prev->start_time == u.start_time)
			s->cpu_seconds_delta = u.cpu_seconds - prev->cpu_seconds;
		seen[nseen++] = (struct cpu_seen){ .tgid = e->tgid, .start_time = u.start_time, .cpu_seconds = u.cpu_seconds };
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
