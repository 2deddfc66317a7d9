/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Pod metadata from the Kubernetes API: threads list and watch the pods of
 * this node (spec.nodeName), and every pod's and Service's addresses, over
 * HTTPS with the service account's token, relist when a watch's version
 * is gone (410) or the API goes away, and never block the event path,
 * which only reads the stores under a mutex. Outside a cluster it is off
 * and costs nothing. */
#ifndef SONDE_K8S_H
#define SONDE_K8S_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "sonde.h"

#define K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct k8s;

struct k8s_stats {
	atomic_ulong lists; /* full lists, the first and every relist */
	atomic_ulong events; /* watch events applied */
	atomic_ulong errors; /* failed requests and unreadable answers */
};

/* Starts when KUBERNETES_SERVICE_HOST and _PORT are set (in a pod), with
 * the token and CA of sa_dir and NODE_NAME (or the host name) as the node.
 * Returns 0 with *out NULL when not in a cluster, a negative errno on
 * failure. */
int k8s_start(struct k8s **out, const char *sa_dir);
/* What the cluster calls the peer's IP, into out: the workload of its pod,
 * or its Service; NULL when neither. *this_node: a pod of this node. */
const char *k8s_address(struct k8s *k, const struct sonde_peer *peer, char *out, size_t size, bool *this_node);
/* Fills id->k8s from its pod uid and container id, when the pod is known. */
void k8s_enrich(struct k8s *k, struct identity *id);
const struct k8s_stats *k8s_stats(const struct k8s *k);
/* The pods and Services with addresses known, and those left out past
 * the bound. */
void k8s_addresses(struct k8s *k, uint64_t *known, uint64_t *dropped);
void k8s_stop(struct k8s *k);

#endif
