/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Container and Kubernetes pod identity of a process, from its cgroup
 * path: docker, containerd, CRI-O and podman, under the systemd and the
 * cgroupfs drivers. */
#ifndef SONDE_IDENTITY_H
#define SONDE_IDENTITY_H

#include <stdint.h>

#define IDENTITY_CONTAINER_MAX 65 /* 64 hex digits and the NUL */
#define IDENTITY_POD_MAX 37 /* a UUID and the NUL */

#define K8S_NAME_MAX 128 /* names are DNS labels or subdomains; longer ones are cut */

/* What the Kubernetes API says of a container; "" where it says nothing. */
struct k8s_meta {
	char ns[64];
	char pod[K8S_NAME_MAX];
	char container[K8S_NAME_MAX];
	char deployment[K8S_NAME_MAX];
	char statefulset[K8S_NAME_MAX];
	char daemonset[K8S_NAME_MAX];
};

struct identity {
	char container_id[IDENTITY_CONTAINER_MAX]; /* "" when not in a container */
	char pod_uid[IDENTITY_POD_MAX]; /* "" when not in a pod */
	struct k8s_meta k8s; /* empty outside a cluster */
};

/* The identity labels every service family carries, in this order; empty
 * values are not rendered. */
#define IDENTITY_LABEL_NAMES                                                                       \
	"container_id", "k8s_pod_uid", "k8s_namespace_name", "k8s_pod_name", "k8s_container_name", \
		"k8s_deployment_name", "k8s_statefulset_name", "k8s_daemonset_name"
#define IDENTITY_NLABELS 8

/* The label values of id (NULL: all empty) into out[IDENTITY_NLABELS]. */
void identity_labels(const struct identity *id, const char **out);
/* The name of the workload owning the pod, or NULL: the default service
 * name of its processes. */
const char *identity_workload(const struct identity *id);

/* Fills out from one cgroup path (/kubepods.slice/.../cri-containerd-<id>.scope).
 * Returns 1 when something was found, 0 otherwise. */
int identity_from_cgroup_path(const char *path, struct identity *out);
/* Reads /proc/PID/cgroup (every hierarchy, for hybrid mounts). Returns 0,
 * or a negative errno when the process is gone. */
int identity_of_pid(uint32_t pid, struct identity *out);

/* Identity per cgroup id, read from the first process seen in it: cgroup
 * ids are not reused, so an entry never goes stale. Bounded: when full it
 * starts over, which costs re-reads, never a wrong answer. */
#define IDENTITY_CACHE_SIZE 4096

struct identity_cache {
	struct {
		uint64_t cgroup_id;
		struct identity id;
	} slots[IDENTITY_CACHE_SIZE];
};

const struct identity *identity_cached(struct identity_cache *c, uint64_t cgroup_id, uint32_t pid);

#endif
