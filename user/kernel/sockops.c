// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/log.h"
#include "identity/cgroup.h"
#include "kernel/sockops.h"
#include "sonde.skel.h"

/* Whether outer is dir or one of its ancestors: dir's sockets run the
 * program attached to outer already. */
static int sockops_covers(const char *outer, const char *dir)
{
	size_t len = strlen(outer);

	return !strncmp(outer, dir, len) && (dir[len] == 0 || dir[len] == '/' || outer[len - 1] == '/');
}

/* The directories to attach to; none without cgroup v2. A selector
 * inside another's cgroup adds none: its sockets would run the program
 * twice. */
static size_t sockops_dirs(const struct sonde_options *opts, char dirs[][PATH_MAX])
{
	static char found[SONDE_MAX_CGROUP_TARGETS][PATH_MAX];
	size_t n = 0, nfound = 0, cgroups = 0, j;
	uint64_t id;
	uint32_t level;

	for (size_t i = 0; i < opts->nselectors; i++)
		cgroups += opts->selectors[i].kind == SELECTOR_CGROUP;
	if (!opts->nselectors || cgroups < opts->nselectors)
		return cgroup_mount(dirs[0], PATH_MAX) ? 0 : 1;
	for (size_t i = 0; i < opts->nselectors && nfound < SONDE_MAX_CGROUP_TARGETS; i++)
		if (!cgroup_resolve(opts->selectors[i].value, found[nfound], PATH_MAX, &id, &level))
			nfound++;
	for (size_t i = 0; i < nfound; i++) {
		/* Of two that are the same, the first stays. */
		for (j = 0; j < nfound; j++)
			if (j != i && sockops_covers(found[j], found[i]) && (strcmp(found[j], found[i]) || j < i))
				break;
		if (j == nfound)
			strcpy(dirs[n++], found[i]);
	}
	return n;
}

/* What no sockops means, said once. */
static void sockops_off(const char *why, size_t n_inject)
{
	log_warn("sockops",
		 "%s: TCP round-trip times are not measured, a connection's bytes are counted when it "
		 "closes%s",
		 why, n_inject ? ", and no trace context is injected" : "");
}

/* sk_msg on the sockhash sockops fills with the injecting services'
 * client sockets. */
static void sockops_inject(struct sockops *so, struct sonde_bpf *skel, const uint32_t *inject, size_t n)
{
	int prog = bpf_program__fd(skel->progs.sonde_inject), map = bpf_map__fd(skel->maps.inject_socks);
	int services = bpf_map__fd(skel->maps.inject_services);
	uint32_t one = 1;

	for (size_t i = 0; i < n; i++) {
		if (inject[i] >= SONDE_SERVICE_IDS || bpf_map_update_elem(services, &inject[i], &one, BPF_ANY)) {
			log_warn("propagation", "service id %u: %s", inject[i], strerror(errno ? errno : ERANGE));
			return;
		}
	}
	if (bpf_prog_attach(prog, map, BPF_SK_MSG_VERDICT, 0)) {
		log_warn("propagation", "attaching sk_msg failed: %s; no trace context is injected", strerror(errno));
		return;
	}
	so->injecting = 1;
	so->inject_prog = prog;
	so->inject_map = map;
	log_info("propagation", "a traceparent goes into the outgoing HTTP/1.x requests of %zu service%s", n,
		 n == 1 ? "" : "s");
}

void sockops_start(struct sockops *so, struct sonde_bpf *skel, const struct sonde_options *opts,
		   const char *unavailable, const uint32_t *inject, size_t n_inject)
{
	static char dirs[SONDE_MAX_CGROUP_TARGETS][PATH_MAX];
	size_t n;
	int fd;

	memset(so, 0, sizeof(*so));
	if (unavailable) {
		sockops_off(unavailable, n_inject);
		return;
	}
	n = sockops_dirs(opts, dirs);
	if (!n) {
		sockops_off("no cgroup v2 hierarchy", n_inject);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			log_warn("sockops", "cgroup %s: %s", dirs[i], strerror(errno));
			continue;
		}
		so->links[so->n] = bpf_program__attach_cgroup(skel->progs.sonde_sockops, fd);
		close(fd);
		if (!so->links[so->n]) {
			log_warn("sockops", "attaching to cgroup %s failed: %s", dirs[i], strerror(errno));
			continue;
		}
		log_info("sockops", "on cgroup %s: round-trip times, and bytes while connections live", dirs[i]);
		so->n++;
	}
	if (!so->n) {
		sockops_off("not attached", n_inject);
		return;
	}
	if (n_inject)
		sockops_inject(so, skel, inject, n_inject);
}

void sockops_stop(struct sockops *so)
{
	if (so->injecting)
		bpf_prog_detach2(so->inject_prog, so->inject_map, BPF_SK_MSG_VERDICT);
	so->injecting = 0;
	for (size_t i = 0; i < so->n; i++)
		bpf_link__destroy(so->links[i]);
	so->n = 0;
}

const char *sockops_mode(const struct sockops *so)
{
	return so->n ? "sockops" : "tracepoints";
}
