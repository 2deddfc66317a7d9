// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "identity/k8s_pods.h"

static const char *get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The member only when it is an array: json-c asserts on a length or an
 * index of anything else, and the API server's bytes are not trusted. */
static json_object *get_array(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

/* A ReplicaSet made by a Deployment is named <deployment>-<pod-template-hash>,
 * and its pods carry the hash as a label: the Deployment is the prefix. */
static void owner(json_object *meta, struct k8s_meta *out)
{
	json_object *refs = get_array(meta, "ownerReferences"), *labels = get(meta, "labels");
	const char *hash = labels ? get_string(labels, "pod-template-hash") : "";

	for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
		json_object *ref = json_object_array_get_idx(refs, i);
		const char *kind = get_string(ref, "kind"), *name = get_string(ref, "name");
		size_t n = strlen(name), h = strlen(hash);

		if (!strcmp(kind, "ReplicaSet") && h && n > h + 1 && name[n - h - 1] == '-' &&
		    !strcmp(name + n - h, hash))
			snprintf(out->deployment, sizeof(out->deployment), "%.*s", (int)(n - h - 1), name);
		else if (!strcmp(kind, "StatefulSet"))
			copy(out->statefulset, sizeof(out->statefulset), name);
		else if (!strcmp(kind, "DaemonSet"))
			copy(out->daemonset, sizeof(out->daemonset), name);
	}
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
	json_object *meta = get(o, "metadata"), *status = get(o, "status");

	memset(p, 0, sizeof(*p));
	if (!meta || !*get_string(meta, "uid"))
		return -EINVAL;
	copy(p->uid, sizeof(p->uid), get_string(meta, "uid"));
	copy(p->meta.ns, sizeof(p->meta.ns), get_string(meta, "namespace"));
	copy(p->meta.pod, sizeof(p->meta.pod), get_string(meta, "name"));
	owner(meta, &p->meta);
	for (size_t l = 0; status && l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_object *cs = get_array(status, lists[l]);

		for (size_t i = 0; cs && i < json_object_array_length(cs) && p->ncontainers < K8S_MAX_CONTAINERS; i++) {
			json_object *c = json_object_array_get_idx(cs, i);
			const char *id = get_string(c, "containerID");

			if (!*id)
				continue;
			copy(p->containers[p->ncontainers].id, sizeof(p->containers[0].id), strip_runtime(id));
			copy(p->containers[p->ncontainers].name, sizeof(p->containers[0].name), get_string(c, "name"));
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
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 64;
			struct k8s_pod *more = realloc(s->pods, cap * sizeof(*more));

			if (!more)
				return -ENOMEM;
			s->pods = more;
			s->cap = cap;
		}
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

static void set_version(struct k8s_pods *s, json_object *o)
{
	json_object *meta = get(o, "metadata");
	const char *rv = meta ? get_string(meta, "resourceVersion") : "";

	if (*rv)
		copy(s->resource_version, sizeof(s->resource_version), rv);
}

/* len bytes, not NUL-terminated; NULL unless they are one whole JSON value. */
static json_object *parse(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc = NULL;

	if (!tok || len > INT32_MAX)
		goto out;
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (doc && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(doc);
		doc = NULL;
	}
out:
	if (tok)
		json_tokener_free(tok);
	return doc;
}

int k8s_pods_replace(struct k8s_pods *s, const char *body, size_t len)
{
	json_object *doc = parse(body, len), *items;
	struct k8s_pod p;
	int ret = 0;

	items = doc ? get_array(doc, "items") : NULL;
	if (!items || strcmp(get_string(doc, "kind"), "PodList")) {
		ret = -EINVAL;
		goto out;
	}
	s->n = 0;
	for (size_t i = 0; i < json_object_array_length(items) && !ret; i++)
		if (!pod_from_json(json_object_array_get_idx(items, i), &p))
			ret = put(s, &p);
	set_version(s, doc);
out:
	json_object_put(doc);
	return ret;
}

enum k8s_event_result k8s_pods_event(struct k8s_pods *s, const char *line, size_t len)
{
	enum k8s_event_result ret = K8S_EVENT_BAD;
	json_object *doc = parse(line, len), *obj;
	struct k8s_pod p;
	const char *type;

	obj = doc ? get(doc, "object") : NULL;
	if (!obj)
		goto out;
	type = get_string(doc, "type");
	if (!strcmp(type, "ERROR")) {
		json_object *code = get(obj, "code");

		ret = code && json_object_get_int(code) == 410 ? K8S_EVENT_GONE : K8S_EVENT_BAD;
		goto out;
	}
	ret = K8S_EVENT_APPLIED;
	if (!strcmp(type, "BOOKMARK"))
		ret = K8S_EVENT_IGNORED;
	else if (!strcmp(type, "DELETED") && !pod_from_json(obj, &p))
		drop(s, p.uid);
	else if ((!strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) && !pod_from_json(obj, &p))
		ret = put(s, &p) ? K8S_EVENT_BAD : K8S_EVENT_APPLIED;
	else
		ret = K8S_EVENT_BAD;
	if (ret != K8S_EVENT_BAD)
		set_version(s, obj);
out:
	json_object_put(doc);
	return ret;
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
