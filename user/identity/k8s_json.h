/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The Kubernetes API's JSON as the stores read it: lists and watch lines
 * handed object by object to a store, members read defensively (the API
 * server's bytes are not trusted), and a pod's owning workload. */
#ifndef SONDE_K8S_JSON_H
#define SONDE_K8S_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "identity/identity.h"

enum k8s_event_result { K8S_EVENT_APPLIED, K8S_EVENT_IGNORED, K8S_EVENT_GONE, K8S_EVENT_BAD };

/* A store takes one object of a list or an event (deleted: a DELETED
 * event's); 0, -EINVAL for an object it cannot use, -ENOMEM. */
typedef int (*k8s_apply_fn)(void *arg, json_object *obj, bool deleted);

/* A list body of that kind ("PodList"): each item to apply, the list's
 * version to version, and its continue token, "" on the last page, to
 * cont (unless NULL). 0, -EINVAL (not such a list) or apply's -ENOMEM. */
int k8s_json_list(const char *body, size_t len, const char *kind, k8s_apply_fn apply, void *arg, char *version,
		  size_t vsize, char *cont, size_t csize);
/* One line of a watch: ADDED, MODIFIED and DELETED go to apply; they and
 * BOOKMARK move the version; an ERROR with code 410 says the version is
 * gone and the caller must list again. */
enum k8s_event_result k8s_json_event(const char *line, size_t len, k8s_apply_fn apply, void *arg, char *version,
				     size_t vsize);
/* Members: NULL, or "" for a string, when absent or of another type. */
json_object *k8s_json_get(json_object *o, const char *key);
json_object *k8s_json_array(json_object *o, const char *key);
const char *k8s_json_string(json_object *o, const char *key);
/* The Deployment (from its ReplicaSet and pod-template-hash),
 * StatefulSet or DaemonSet owning a pod, from its metadata. */
void k8s_json_owner(json_object *meta, struct k8s_meta *out);

#endif
