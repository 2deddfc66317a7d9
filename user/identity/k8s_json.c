// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "identity/k8s_json.h"

json_object *k8s_json_get(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *k8s_json_string(json_object *o, const char *key)
{
	json_object *v = k8s_json_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* The member only when it is an array: json-c asserts on a length or an
 * index of anything else. */
json_object *k8s_json_array(json_object *o, const char *key)
{
	json_object *v = k8s_json_get(o, key);

	return v && json_object_is_type(v, json_type_array) ? v : NULL;
}

/* A ReplicaSet made by a Deployment is named <deployment>-<pod-template-hash>,
 * and its pods carry the hash as a label: the Deployment is the prefix. */
void k8s_json_owner(json_object *meta, struct k8s_meta *out)
{
	json_object *refs = k8s_json_array(meta, "ownerReferences"), *labels = k8s_json_get(meta, "labels");
	const char *hash = labels ? k8s_json_string(labels, "pod-template-hash") : "";

	for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
		json_object *ref = json_object_array_get_idx(refs, i);
		const char *kind = k8s_json_string(ref, "kind"), *name = k8s_json_string(ref, "name");
		size_t n = strlen(name), h = strlen(hash);

		if (!strcmp(kind, "ReplicaSet") && h && n > h + 1 && name[n - h - 1] == '-' &&
		    !strcmp(name + n - h, hash))
			snprintf(out->deployment, sizeof(out->deployment), "%.*s", (int)(n - h - 1), name);
		else if (!strcmp(kind, "StatefulSet"))
			snprintf(out->statefulset, sizeof(out->statefulset), "%s", name);
		else if (!strcmp(kind, "DaemonSet"))
			snprintf(out->daemonset, sizeof(out->daemonset), "%s", name);
	}
}

static void set_version(json_object *o, char *version, size_t vsize)
{
	const char *rv = k8s_json_string(k8s_json_get(o, "metadata"), "resourceVersion");

	if (*rv)
		snprintf(version, vsize, "%s", rv);
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

int k8s_json_list(const char *body, size_t len, const char *kind, k8s_apply_fn apply, void *arg, char *version,
		  size_t vsize, char *cont, size_t csize)
{
	json_object *doc = parse(body, len), *items = k8s_json_array(doc, "items");
	int ret = 0;

	if (cont && csize)
		*cont = 0;
	if (!items || strcmp(k8s_json_string(doc, "kind"), kind)) {
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(items) && ret != -ENOMEM; i++)
		ret = apply(arg, json_object_array_get_idx(items, i), false);
	ret = ret == -ENOMEM ? ret : 0;
	set_version(doc, version, vsize);
	if (cont)
		snprintf(cont, csize, "%s", k8s_json_string(k8s_json_get(doc, "metadata"), "continue"));
out:
	json_object_put(doc);
	return ret;
}

enum k8s_event_result k8s_json_event(const char *line, size_t len, k8s_apply_fn apply, void *arg, char *version,
				     size_t vsize)
{
	enum k8s_event_result ret = K8S_EVENT_BAD;
	json_object *doc = parse(line, len), *obj = k8s_json_get(doc, "object");
	const char *type = k8s_json_string(doc, "type");

	if (!obj)
		goto out;
	if (!strcmp(type, "ERROR")) {
		json_object *code = k8s_json_get(obj, "code");

		ret = code && json_object_get_int(code) == 410 ? K8S_EVENT_GONE : K8S_EVENT_BAD;
		goto out;
	}
	if (!strcmp(type, "BOOKMARK"))
		ret = K8S_EVENT_IGNORED;
	else if (!strcmp(type, "DELETED") || !strcmp(type, "ADDED") || !strcmp(type, "MODIFIED"))
		ret = apply(arg, obj, type[0] == 'D') ? K8S_EVENT_BAD : K8S_EVENT_APPLIED;
	if (ret != K8S_EVENT_BAD)
		set_version(obj, version, vsize);
out:
	json_object_put(doc);
	return ret;
}
