// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kernel/loader.h"
#include "kernel/maps.h"
#include "base/log.h"
#include "sonde.h"
#include "sonde.skel.h"

/* libbpf hands over a verifier log as one message of many lines: each
 * line is logged on its own, so none is cut. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG;
	char *text, *line, *save = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_msg(lvl, "libbpf", "%s", line);
	free(text);
	return 0;
}

/* Each library file the TLS probes attach to holds a link fd per probe: a
 * node's worth of them outgrows a soft limit of 1024, so take the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur >= lim.rlim_max)
		return;
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim))
		log_warn("bpf", "cannot raise the open file limit: %s", strerror(errno));
}

/* The pid bitmaps (followed, data_procs) hold a bit per pid the kernel
 * may hand out. */
static uint32_t pid_max(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	unsigned int n = 0;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n && n <= SONDE_PID_MAX_DEFAULT ? n : SONDE_PID_MAX_DEFAULT;
}

/* The kernel's LRU maps hold free entries per CPU, up to 128 each, and
 * give up old entries when the shared ones run out, the map not yet full:
 * room for those, so none goes before max_conns are live. */
#define LRU_RESERVE_PER_CPU 256

/* The tables sized by the connections followed at once: an entry each in
 * conns, and in socks as its sockets are (allocated then, not at load);
 * exchanges in flight and TLS sessions are fewer. socks, not an LRU, needs
 * no reserve, and at a power of two it has half the buckets. */
static int size_maps(struct sonde_bpf *skel, uint32_t max_conns, int inject)
{
	/* Propagation's tables only where a service injects: threads
	 * serving at once, and their client sockets. */
	uint32_t serving = inject ? 4096 : 64, inject_socks = inject ? 8192 : 64;
	/* Connections whose tell is due within the second; more wait for
	 * their next RTT sample. */
	uint32_t timers = max_conns / 8 > 1024 ? max_conns / 8 : 1024;
	uint32_t exchanges = max_conns / 32 > 1024 ? max_conns / 32 : 1024;
	uint32_t sessions = max_conns / 4 > 1024 ? max_conns / 4 : 1024;
	int cpus = libbpf_num_possible_cpus();
	uint32_t conns = max_conns + (uint32_t)(cpus > 0 ? cpus : 1) * LRU_RESERVE_PER_CPU;
	uint32_t pid_words = (pid_max() + 63) / 64;

	return bpf_map__set_max_entries(skel->maps.followed, pid_words) ?:
	       bpf_map__set_max_entries(skel->maps.data_procs, pid_words) ?:
	       bpf_map__set_max_entries(skel->maps.strangers, pid_words) ?:
	       bpf_map__set_max_entries(skel->maps.tls_procs, pid_words) ?:
	       bpf_map__set_max_entries(skel->maps.go_procs, pid_words) ?:
	       bpf_map__set_max_entries(skel->maps.conns, conns) ?:
	       bpf_map__set_max_entries(skel->maps.socks, max_conns) ?:
	       bpf_map__set_max_entries(skel->maps.exchanges, exchanges) ?:
	       bpf_map__set_max_entries(skel->maps.ssl_socks, sessions) ?:
	       bpf_map__set_max_entries(skel->maps.serving, serving) ?:
	       bpf_map__set_max_entries(skel->maps.inject_socks, inject_socks) ?:
	       bpf_map__set_max_entries(skel->maps.sockops_timers, timers);
}

/* The programs of the mode not chosen are never loaded, nor the socket
 * programs and their sockhash where they cannot be. */
static int choose_programs(struct sonde_bpf *skel, int sockets, int socket_programs)
{
	return bpf_program__set_autoload(skel->progs.sonde_sockops, socket_programs) ?:
	       bpf_program__set_autoload(skel->progs.sonde_inject, socket_programs) ?:
	       bpf_map__set_autocreate(skel->maps.inject_socks, socket_programs) ?:
	       bpf_program__set_autoload(skel->progs.sonde_sock_send, sockets) ?:
	       bpf_program__set_autoload(skel->progs.sonde_sock_recv, sockets) ?:
	       bpf_program__set_autoload(skel->progs.sonde_sys_exit, !sockets) ?:
	       bpf_program__set_autoload(skel->progs.sonde_enter_close, !sockets);
}

/* The strangers bitmap, mapped: selecting a process clears its bit with
 * an atomic operation, racing none of the kernel's. */
static int map_strangers(struct sonde_bpf *skel, struct bpf_maps *maps)
{
	size_t words = bpf_map__max_entries(skel->maps.strangers), page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (words * sizeof(uint64_t) + page - 1) / page * page;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel->maps.strangers), 0);

	if (p == MAP_FAILED)
		return -errno;
	maps->strangers = p;
	maps->strangers_words = words;
	maps->strangers_len = len;
	return 0;
}

/* The BPF object embedded in the binary is read once, at load: its pages
 * (1.1 MB) leave the resident set. They are the file's and clean, so the
 * kernel reads them in again should anything touch them later. */
static void release_object_bytes(void)
{
	size_t sz, page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)sonde_bpf__elf_bytes(&sz), end = start + sz;

	start = (start + page - 1) & ~(page - 1);
	end &= ~(page - 1);
	if (end > start && madvise((void *)start, end - start, MADV_DONTNEED))
		log_debug("bpf", "cannot release the embedded object's pages: %s", strerror(errno));
}

int loader_load(struct sonde_bpf **out, struct bpf_maps *maps, uint32_t max_conns, int sockets, int inject,
		int socket_programs)
{
	struct sonde_bpf *skel;
	int ret;

	libbpf_set_print(libbpf_log);
	raise_fd_limit();
	skel = sonde_bpf__open();
	if (!skel)
		return -errno;
	ret = size_maps(skel, max_conns, inject);
	ret = ret ?: choose_programs(skel, sockets, socket_programs);
	ret = ret ?: sonde_bpf__load(skel);
	ret = ret ?: map_strangers(skel, maps);
	if (ret) {
		log_error("bpf", "loading the BPF programs failed: %s", strerror(-ret));
		sonde_bpf__destroy(skel);
		return ret;
	}
	release_object_bytes();
	maps->config = bpf_map__fd(skel->maps.sonde_config);
	maps->targets = bpf_map__fd(skel->maps.targets);
	maps->exe_targets = bpf_map__fd(skel->maps.exe_targets);
	maps->stats = bpf_map__fd(skel->maps.stats);
	maps->events = bpf_map__fd(skel->maps.events);
	maps->proc_conns = bpf_map__fd(skel->maps.proc_conns);
	maps->cgroup_targets = bpf_map__fd(skel->maps.cgroup_targets);
	maps->target_events = bpf_map__fd(skel->maps.target_events);
	maps->listeners = bpf_map__fd(skel->maps.listeners);
	*out = skel;
	return 0;
}

int loader_attach(struct sonde_bpf *skel)
{
	int ret = sonde_bpf__attach(skel);

	if (ret)
		log_error("bpf", "attaching the BPF programs failed: %s", strerror(-ret));
	return ret;
}

void loader_destroy(struct sonde_bpf *skel, struct bpf_maps *maps)
{
	if (maps->strangers)
		munmap(maps->strangers, maps->strangers_len);
	maps->strangers = NULL;
	sonde_bpf__destroy(skel);
}
