/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The cluster's addresses as the Kubernetes API lists and watches them:
 * every pod's IPs (named by the workload owning the pod, as sonde names
 * its service) and every Service's cluster IPs (named by the Service),
 * for naming the other end of a connection. Bounded: past
 * K8S_ADDRS_MAX addresses the rest are dropped and counted. Pure:
 * parsing and the store; k8s.c talks to the API. */
#ifndef SONDE_K8S_ADDRS_H
#define SONDE_K8S_ADDRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/identity.h"
#include "identity/k8s_pods.h"
#include "sonde.h"

#define K8S_ADDRS_MAX 65536
#define K8S_ADDR_IPS 2 /* an IPv4 and an IPv6 address, dual-stack */

enum k8s_addr_kind { K8S_ADDR_POD, K8S_ADDR_SERVICE };

struct k8s_addr {
	char uid[IDENTITY_POD_MAX];
	char name[K8S_NAME_MAX];
	bool this_node;
	size_t nips;
	struct sonde_peer ips[K8S_ADDR_IPS]; /* port 0 */
};

/* The pods' or the Services' addresses, by object. */
struct k8s_addr_set {
	enum k8s_addr_kind kind;
	struct k8s_addr *objs;
	size_t n, cap;
	char resource_version[64];
};

/* Both sets, each one's next being listed page by page (by kind: two
 * threads list them), and an index by IP made again after each change
 * (events and lists, not lookups). */
struct k8s_addrs {
	struct k8s_addr_set pods, services;
	struct k8s_addr_set staging[2];
	const char *node; /* the pods on it are this node's */
	uint64_t dropped; /* objects past the bound */
	struct k8s_addr_index {
		const struct k8s_addr *obj;
		struct sonde_peer ip;
	} * index;
	size_t index_size; /* a power of two, or 0 when stale */
};

void k8s_addrs_init(struct k8s_addrs *a, const char *node);
/* One page of a PodList or ServiceList (a list asked with limit and
 * continue, so a large cluster's list is never whole in memory): the first
 * page starts the set anew out of sight, the last one (cont "" on return)
 * puts it in place of s with its version. 0, -EINVAL (not the set's kind
 * of list: the pages so far are dropped), -ENOMEM. */
int k8s_addrs_page(struct k8s_addrs *a, struct k8s_addr_set *s, const char *body, size_t len, bool first, char *cont,
		   size_t csize);
/* One line of that set's watch, as k8s_pods_event. */
enum k8s_event_result k8s_addrs_event(struct k8s_addrs *a, struct k8s_addr_set *s, const char *line, size_t len);
/* The name of the pod or Service with the peer's IP (its port aside), or
 * NULL; *this_node: a pod of this node. Services win over pods. */
const char *k8s_addrs_lookup(struct k8s_addrs *a, const struct sonde_peer *peer, bool *this_node);
void k8s_addrs_free(struct k8s_addrs *a);

#endif
