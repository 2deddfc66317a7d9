// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "identity/k8s_json.h"
#include "identity/k8s_pods.h"

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* "containerd://<id>", "cri-o://<id>", "docker://<id>": the id. */
static const char *strip_runtime(const char *id)
{
	const char *sep = strstr(id, "://");

	return sep ? sep + 3 : id;
}

static int pod_from_json(json_object *o, struct k8s_pod *p)
{
	static const char *const lists[] = { "initContainerStatuses", "containerStatuses",
					     "ephemeralContainerStatuses" };
	json_object *meta = k8s_json_get(o, "metadata"), *status = k8s_json_get(o, "status");

	memset(p, 0, sizeof(*p));
	if (!meta || !*k8s_json_string(meta, "uid"))
		return -EINVAL;
	copy(p->uid, sizeof(p->uid), k8s_json_string(meta, "uid"));
	copy(p->meta.ns, sizeof(p->meta.ns), k8s_json_string(meta, "namespace"));
	copy(p->meta.pod, sizeof(p->meta.pod), k8s_json_string(meta, "name"));
	k8s_json_owner(meta, &p->meta);
	for (size_t l = 0; status && l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_object *cs = k8s_json_array(status, lists[l]);

		for (size_t i = 0; cs && i < json_object_array_length(cs) && p->ncontainers < K8S_MAX_CONTAINERS; i++) {
			json_object *c = json_object_array_get_idx(cs, i);
			const char *id = k8s_json_string(c, "containerID");

			if (!*id)
				continue;
			copy(p->containers[p->ncontainers].id, sizeof(p->containers[0].id), strip_runtime(id));
			copy(p->containers[p->ncontainers].name, sizeof(p->containers[0].name),
			     k8s_json_string(c, "name"));
			p->ncontainers++;
		}
	}
	return 0;
}

static struct k8s_pod *find(struct k8s_pods *s, const char *uid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->pods[i].uid, uid))
			return &s->pods[i];
	return NULL;
}

static int put(struct k8s_pods *s, const struct k8s_pod *p)
{
	struct k8s_pod *slot = find(s, p->uid);

	if (!slot) {
		if (grow_for_one((void **)&s->pods, &s->cap, s->n, sizeof(*s->pods), 64))
			return -ENOMEM;
		slot = &s->pods[s->n++];
	}
	*slot = *p;
	return 0;
}

static void drop(struct k8s_pods *s, const char *uid)
{
	struct k8s_pod *p = find(s, uid);

	if (p)
		*p = s->pods[--s->n];
}

static int apply(void *arg, json_object *obj, bool deleted)
{
	struct k8s_pods *s = arg;
	struct k8s_pod p;

	if (pod_from_json(obj, &p))
		return -EINVAL;
	if (deleted) {
		drop(s, p.uid);
		return 0;
	}
	return put(s, &p);
}

int k8s_pods_replace(struct k8s_pods *s, const char *body, size_t len)
{
	struct k8s_pods fresh = { 0 };
	int ret = k8s_json_list(body, len, "PodList", apply, &fresh, fresh.resource_version,
				sizeof(fresh.resource_version), NULL, 0);

	if (ret) {
		k8s_pods_free(&fresh);
		return ret;
	}
	k8s_pods_free(s);
	*s = fresh;
	return 0;
}

enum k8s_event_result k8s_pods_event(struct k8s_pods *s, const char *line, size_t len)
{
	return k8s_json_event(line, len, apply, s, s->resource_version, sizeof(s->resource_version));
}

int k8s_pods_lookup(const struct k8s_pods *s, const char *pod_uid, const char *container_id, struct k8s_meta *out)
{
	const struct k8s_pod *p = find((struct k8s_pods *)s, pod_uid);

	if (!p || !*pod_uid)
		return -ENOENT;
	*out = p->meta;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i].id, container_id))
			copy(out->container, sizeof(out->container), p->containers[i].name);
	return 0;
}

void k8s_pods_free(struct k8s_pods *s)
{
	free(s->pods);
	memset(s, 0, sizeof(*s));
}
