// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <bpf/bpf.h>

#include "base/log.h"
#include "base/procfs.h"
#include "identity/cgroup.h"
#include "kernel/listeners.h"
#include "kernel/maps.h"
#include "sonde.h"

#define TCP_LISTEN 10 /* the kernel's tcp_states.h */

/* A sock_diag dump of listeners only: the kernel then walks its listening
 * table, never the established one, which /proc/net/tcp reads whole (most
 * of an idle daemon's CPU on a host with many connections). */
size_t listeners_dump(unsigned long port, struct listener_sock *out, size_t max)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(families); i++) {
		struct {
			struct nlmsghdr nlh;
			struct inet_diag_req_v2 req;
		} msg = {
			.nlh = { .nlmsg_len = sizeof(msg),
				 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
				 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
			.req = { .sdiag_family = families[i],
				 .sdiag_protocol = IPPROTO_TCP,
				 .idiag_states = 1 << TCP_LISTEN,
				 .id.idiag_sport = htons((uint16_t)port) },
		};
		bool done = false;
		int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

		if (fd < 0)
			continue;
		if (send(fd, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
			done = true;
		while (!done) {
			char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
			ssize_t len = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *h = (struct nlmsghdr *)buf;

			if (len <= 0)
				break;
			for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
				const struct inet_diag_msg *m = NLMSG_DATA(h);

				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					done = true;
					break;
				}
				if (m->idiag_state != TCP_LISTEN || !m->idiag_inode || n == max ||
				    (port && ntohs(m->id.idiag_sport) != port))
					continue;
				out[n].inode = m->idiag_inode;
				out[n++].port = ntohs(m->id.idiag_sport);
			}
		}
		close(fd);
	}
	return n;
}

int listeners_init(struct listeners *l, const struct bpf_maps *maps)
{
	struct stat st;

	memset(l, 0, sizeof(*l));
	l->maps = *maps;
	/* The namespace the dump sees; the kernel keys listeners by its inode. */
	if (stat("/proc/self/ns/net", &st))
		return -errno;
	l->netns = (uint32_t)st.st_ino;
	return 0;
}

static bool known(struct listeners *l, unsigned long inode)
{
	for (size_t i = 0; i < l->nknown; i++)
		if (l->known[i] == inode)
			return true;
	/* Full: forgotten, and looked at again once each. */
	if (l->nknown == LISTENERS_KNOWN_MAX)
		l->nknown = 0;
	l->known[l->nknown++] = inode;
	return false;
}

/* The cgroup v2 id of a process: its directory's inode. */
static uint64_t cgroup_of(uint32_t pid)
{
	char path[64], line[4096], dir[4096];
	uint64_t id = 0;
	uint32_t level;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (cgroup_resolve(line + 3, dir, sizeof(dir), &id, &level))
			id = 0;
		break;
	}
	fclose(f);
	return id;
}

/* Tells the kernel that pid, a target, serves port. */
static void tell(struct listeners *l, uint32_t pid, uint16_t port)
{
	struct sonde_listen_key key = { .netns = l->netns, .port = port };
	struct sonde_listener who = { .tgid = pid };
	struct sonde_target t;
	struct procfs_stat st;

	if (bpf_map_lookup_elem(l->maps.targets, &pid, &t) || procfs_stat(pid, &st))
		return;
	who.service_id = t.service_id;
	who.cgroup_id = cgroup_of(pid);
	memcpy(who.comm, st.comm, sizeof(who.comm));
	/* What the kernel learnt from a connection stands. */
	if (!bpf_map_update_elem(l->maps.listeners, &key, &who, BPF_NOEXIST))
		log_debug("targets", "pid %u listens on port %u", pid, port);
}

int listeners_tell(struct listeners *l)
{
	struct listener_sock socks[LISTENERS_DUMP_MAX];
	uint32_t pids[LISTENERS_PIDS_MAX];
	size_t n, npids = 0;

	n = listeners_dump(0, socks, LISTENERS_DUMP_MAX);
	for (size_t i = 0; i < n; i++) {
		if (known(l, socks[i].inode))
			continue;
		/* A new listener: its owner among the targets, looked for once. */
		if (!npids)
			npids = maps_keys_u32(l->maps.targets, pids, LISTENERS_PIDS_MAX);
		for (size_t j = 0; j < npids; j++) {
			if (procfs_holds_socket(pids[j], &socks[i].inode, 1)) {
				tell(l, pids[j], socks[i].port);
				break;
			}
		}
	}
	return 0;
}
