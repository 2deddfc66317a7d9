/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The pods of this node as the Kubernetes API lists and watches them: what
 * a pod uid and a container id mean in namespace, pod, container and owning
 * workload. Pure: parsing and the store; k8s.c talks to the API. */
#ifndef SONDE_K8S_PODS_H
#define SONDE_K8S_PODS_H

#include <stddef.h>

#include "identity/identity.h"
#include "identity/k8s_json.h"

#define K8S_MAX_CONTAINERS 16

struct k8s_pod {
	char uid[IDENTITY_POD_MAX];
	struct k8s_meta meta; /* container left empty: per container below */
	size_t ncontainers;
	struct {
		char id[IDENTITY_CONTAINER_MAX]; /* without the runtime:// prefix */
		char name[K8S_NAME_MAX];
	} containers[K8S_MAX_CONTAINERS];
};

struct k8s_pods {
	struct k8s_pod *pods;
	size_t n, cap;
	char resource_version[64];
};

/* A PodList body replaces the store and its resource version. 0 or
 * -EINVAL (not a PodList), -ENOMEM. */
int k8s_pods_replace(struct k8s_pods *s, const char *body, size_t len);
/* One line of a watch: ADDED, MODIFIED, DELETED and BOOKMARK move the
 * resource version; an ERROR with code 410 says the version is gone and
 * the caller must list again. */
enum k8s_event_result k8s_pods_event(struct k8s_pods *s, const char *line, size_t len);
/* The metadata of a pod's container; 0, or -ENOENT when the pod is unknown. */
int k8s_pods_lookup(const struct k8s_pods *s, const char *pod_uid, const char *container_id, struct k8s_meta *out);
void k8s_pods_free(struct k8s_pods *s);

#endif
