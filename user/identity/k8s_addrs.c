// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/grow.h"
#include "base/hash.h"
#include "base/peer_addr.h"
#include "identity/k8s_addrs.h"
#include "identity/k8s_json.h"

void k8s_addrs_init(struct k8s_addrs *a, const char *node)
{
	memset(a, 0, sizeof(*a));
	a->pods.kind = K8S_ADDR_POD;
	a->services.kind = K8S_ADDR_SERVICE;
	a->node = node;
}

static int parse_ip(const char *text, struct sonde_peer *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, text, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static void add_ip(struct k8s_addr *o, const char *text)
{
	struct sonde_peer ip;

	if (o->nips == K8S_ADDR_IPS || parse_ip(text, &ip))
		return;
	for (size_t i = 0; i < o->nips; i++)
		if (!memcmp(&o->ips[i], &ip, sizeof(ip)))
			return;
	o->ips[o->nips++] = ip;
}

/* A pod's IPs (none while it has none, or when it shares the node's
 * network), named by its workload; a Service's cluster IPs (none when
 * headless). */
static int addr_from_json(const struct k8s_addrs *a, enum k8s_addr_kind kind, json_object *obj, struct k8s_addr *o)
{
	json_object *meta = k8s_json_get(obj, "metadata"), *spec = k8s_json_get(obj, "spec");
	json_object *status = k8s_json_get(obj, "status"), *host = k8s_json_get(spec, "hostNetwork"), *list;
	const char *uid = k8s_json_string(meta, "uid");
	struct identity id = { 0 };

	memset(o, 0, sizeof(*o));
	if (!*uid)
		return -EINVAL;
	snprintf(o->uid, sizeof(o->uid), "%s", uid);
	if (kind == K8S_ADDR_SERVICE) {
		snprintf(o->name, sizeof(o->name), "%s", k8s_json_string(meta, "name"));
		list = k8s_json_array(spec, "clusterIPs");
		for (size_t i = 0; list && i < json_object_array_length(list); i++)
			add_ip(o, json_object_get_string(json_object_array_get_idx(list, i)) ?: "");
		add_ip(o, k8s_json_string(spec, "clusterIP"));
		return 0;
	}
	snprintf(id.k8s.pod, sizeof(id.k8s.pod), "%s", k8s_json_string(meta, "name"));
	k8s_json_owner(meta, &id.k8s);
	snprintf(o->name, sizeof(o->name), "%s", identity_workload(&id) ?: id.k8s.pod);
	o->this_node = a->node && !strcmp(k8s_json_string(spec, "nodeName"), a->node);
	if (host && json_object_get_boolean(host))
		return 0;
	list = k8s_json_array(status, "podIPs");
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		add_ip(o, k8s_json_string(json_object_array_get_idx(list, i), "ip"));
	add_ip(o, k8s_json_string(status, "podIP"));
	return 0;
}

static struct k8s_addr *find(struct k8s_addr_set *s, const char *uid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->objs[i].uid, uid))
			return &s->objs[i];
	return NULL;
}

struct apply_ctx {
	struct k8s_addrs *a;
	struct k8s_addr_set *s;
	const struct k8s_addr_set *other; /* the other kind's, for the bound */
};

static int apply(void *arg, json_object *obj, bool deleted)
{
	const struct apply_ctx *ctx = arg;
	struct k8s_addr_set *s = ctx->s;
	struct k8s_addr o, *slot;

	if (addr_from_json(ctx->a, s->kind, obj, &o))
		return -EINVAL;
	slot = find(s, o.uid);
	/* A set in place moves: the index points into it. */
	if (s != &ctx->a->staging[s->kind])
		ctx->a->index_size = 0;
	if (deleted || !o.nips) {
		if (slot)
			*slot = s->objs[--s->n];
		return 0;
	}
	if (!slot) {
		if (s->n + ctx->other->n >= K8S_ADDRS_MAX) {
			ctx->a->dropped++;
			return 0;
		}
		if (grow_for_one((void **)&s->objs, &s->cap, s->n, sizeof(*s->objs), 64))
			return -ENOMEM;
		slot = &s->objs[s->n++];
	}
	*slot = o;
	return 0;
}

static size_t slot_of(const struct sonde_peer *ip, size_t size)
{
	return hash_bytes(HASH_INIT, ip, sizeof(*ip)) & (size - 1);
}

static void index_add(struct k8s_addrs *a, const struct k8s_addr_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->objs[i].nips; j++) {
			size_t k = slot_of(&s->objs[i].ips[j], a->index_size);

			while (a->index[k].obj && memcmp(&a->index[k].ip, &s->objs[i].ips[j], sizeof(a->index[k].ip)))
				k = (k + 1) & (a->index_size - 1);
			/* Services are indexed first: an IP both have stays theirs. */
			if (!a->index[k].obj)
				a->index[k] = (struct k8s_addr_index){ &s->objs[i], s->objs[i].ips[j] };
		}
}

/* Made again after a change, by the thread that made it, at most a
 * quarter full; out of memory, lookups find nothing until the next. */
static int reindex(struct k8s_addrs *a)
{
	size_t need = (a->pods.n + a->services.n) * K8S_ADDR_IPS * 2, size = 64;

	while (size < need)
		size *= 2;
	free(a->index);
	a->index_size = 0;
	a->index = calloc(size, sizeof(*a->index));
	if (!a->index)
		return -ENOMEM;
	a->index_size = size;
	index_add(a, &a->services);
	index_add(a, &a->pods);
	return 0;
}

int k8s_addrs_page(struct k8s_addrs *a, struct k8s_addr_set *s, const char *body, size_t len, bool first, char *cont,
		   size_t csize)
{
	struct k8s_addr_set *next = &a->staging[s->kind];
	struct apply_ctx ctx = { a, next, s == &a->pods ? &a->services : &a->pods };
	int ret;

	if (first) {
		free(next->objs);
		*next = (struct k8s_addr_set){ .kind = s->kind };
	}
	ret = k8s_json_list(body, len, s->kind == K8S_ADDR_POD ? "PodList" : "ServiceList", apply, &ctx,
			    next->resource_version, sizeof(next->resource_version), cont, csize);
	if (ret) {
		free(next->objs);
		*next = (struct k8s_addr_set){ .kind = s->kind };
		return ret;
	}
	if (*cont)
		return 0;
	free(s->objs);
	*s = *next;
	*next = (struct k8s_addr_set){ .kind = s->kind };
	reindex(a);
	return 0;
}

enum k8s_event_result k8s_addrs_event(struct k8s_addrs *a, struct k8s_addr_set *s, const char *line, size_t len)
{
	struct apply_ctx ctx = { a, s, s == &a->pods ? &a->services : &a->pods };
	enum k8s_event_result r =
		k8s_json_event(line, len, apply, &ctx, s->resource_version, sizeof(s->resource_version));

	if (!a->index_size)
		reindex(a);
	return r;
}

const char *k8s_addrs_lookup(struct k8s_addrs *a, const struct sonde_peer *peer, bool *this_node)
{
	struct sonde_peer ip = peer_addr_plain(peer);
	size_t k;

	*this_node = false;
	ip.port = 0;
	if (ip.family != AF_INET && ip.family != AF_INET6)
		return NULL;
	if (!a->index_size)
		return NULL;
	for (k = slot_of(&ip, a->index_size); a->index[k].obj; k = (k + 1) & (a->index_size - 1))
		if (!memcmp(&a->index[k].ip, &ip, sizeof(ip))) {
			*this_node = a->index[k].obj->this_node;
			return a->index[k].obj->name;
		}
	return NULL;
}

void k8s_addrs_free(struct k8s_addrs *a)
{
	free(a->pods.objs);
	free(a->services.objs);
	for (int k = 0; k < 2; k++) {
		free(a->staging[k].objs);
		a->staging[k].objs = NULL;
	}
	free(a->index);
	a->pods.objs = a->services.objs = NULL;
	a->pods.n = a->services.n = a->pods.cap = a->services.cap = 0;
	a->index = NULL;
	a->index_size = 0;
}
