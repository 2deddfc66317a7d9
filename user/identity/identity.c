// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity/identity.h"

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A 64-hex container id in one path component: bare (cgroupfs drivers) or
 * wrapped as <runtime>-<id>.scope (systemd drivers). */
static int component_container(const char *c, size_t n, char *out)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-", "containerd-" };
	const char *id = c;
	size_t len = n;

	if (len > 6 && !memcmp(c + len - 6, ".scope", 6)) {
		len -= 6;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			size_t pl = strlen(prefixes[i]);

			if (len > pl && !memcmp(c, prefixes[i], pl)) {
				id = c + pl;
				len -= pl;
				break;
			}
		}
	}
	if (len != 64 || !all_hex(id, len))
		return 0;
	memcpy(out, id, 64);
	out[64] = 0;
	return 1;
}

/* pod<uid> (cgroupfs) or kubepods-<qos>-pod<uid>.slice (systemd, with '_'
 * for '-' in the uid). */
static int component_pod(const char *c, size_t n, char *out)
{
	for (size_t i = 0; i + 3 + 36 <= n; i++) {
		const char *u = c + i + 3;
		size_t k;

		if (memcmp(c + i, "pod", 3) || (i && c[i - 1] != '-'))
			continue;
		for (k = 0; k < 36; k++) {
			int dash = k == 8 || k == 13 || k == 18 || k == 23;

			if (dash ? (u[k] != '-' && u[k] != '_') : !isxdigit((unsigned char)u[k]))
				break;
		}
		if (k != 36 || (i + 3 + 36 != n && strncmp(u + 36, ".slice", n - i - 3 - 36)))
			continue;
		for (k = 0; k < 36; k++)
			out[k] = u[k] == '_' ? '-' : (char)tolower((unsigned char)u[k]);
		out[36] = 0;
		return 1;
	}
	return 0;
}

int identity_from_cgroup_path(const char *path, struct identity *out)
{
	const char *p = path;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n) {
			component_container(p, n, out->container_id);
			component_pod(p, n, out->pod_uid);
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return out->container_id[0] || out->pod_uid[0];
}

int identity_of_pid(uint32_t pid, struct identity *out)
{
	char path[64], line[1024];
	FILE *f;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	/* "ID:CONTROLLERS:PATH"; on hybrid mounts the v1 lines may hold the
	 * container's path while the v2 line does not, so try each. */
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		colon = colon ? strchr(colon + 1, ':') : NULL;
		if (!colon)
			continue;
		line[strcspn(line, "\n")] = 0;
		if (identity_from_cgroup_path(colon + 1, out))
			break;
	}
	fclose(f);
	return 0;
}

const struct identity *identity_cached(struct identity_cache *c, uint64_t cgroup_id, uint32_t pid)
{
	uint32_t start = (uint32_t)((cgroup_id * 0x9E3779B97F4A7C15ull) >> 52), i = start;

	for (uint32_t probe = 0; probe < 8; probe++, i = (i + 1) % IDENTITY_CACHE_SIZE) {
		if (c->slots[i].cgroup_id == cgroup_id)
			return &c->slots[i].id;
		if (!c->slots[i].cgroup_id)
			break;
	}
	if (c->slots[i].cgroup_id) {
		/* Crowded: forget everything rather than probe further. */
		memset(c, 0, sizeof(*c));
		i = start;
	}
	c->slots[i].cgroup_id = cgroup_id;
	identity_of_pid(pid, &c->slots[i].id);
	return &c->slots[i].id;
}

void identity_labels(const struct identity *id, const char **out)
{
	static const struct identity none;

	if (!id)
		id = &none;
	out[0] = id->container_id;
	out[1] = id->pod_uid;
	out[2] = id->k8s.ns;
	out[3] = id->k8s.pod;
	out[4] = id->k8s.container;
	out[5] = id->k8s.deployment;
	out[6] = id->k8s.statefulset;
	out[7] = id->k8s.daemonset;
}

const char *identity_workload(const struct identity *id)
{
	if (!id)
		return NULL;
	if (id->k8s.deployment[0])
		return id->k8s.deployment;
	if (id->k8s.statefulset[0])
		return id->k8s.statefulset;
	return id->k8s.daemonset[0] ? id->k8s.daemonset : NULL;
}
