// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/clocks.h"
#include "base/log.h"
#include "elf/binary.h"
#include "kernel/uprobe_links.h"

#define TRACEFS "/sys/kernel/tracing"

/* Adds or removes a tracefs uprobe event: "p:group/name path:0xoff",
 * "-:group/name". 0 or a negative errno. */
static int uprobe_event(const char *def)
{
	int fd = open(TRACEFS "/uprobe_events", O_WRONLY | O_APPEND | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, def, strlen(def)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Makes sonde_PID/NAME; its tracefs id, or a negative errno. */
static int make_event(char kind, const char *name, const char *path, uint64_t offset, uint64_t ref_ctr)
{
	char def[4500], id_path[160], ref[40] = "";
	unsigned int id;
	FILE *f;
	int ret;

	if (strpbrk(path, " \t\n"))
		return -EINVAL;
	if (ref_ctr)
		snprintf(ref, sizeof(ref), "(0x%" PRIx64 ")", ref_ctr);
	snprintf(def, sizeof(def), "%c:sonde_%d/%s %s:0x%" PRIx64 "%s\n", kind, (int)getpid(), name, path, offset, ref);
	ret = uprobe_event(def);
	if (ret)
		return ret;
	snprintf(id_path, sizeof(id_path), TRACEFS "/events/sonde_%d/%s/id", (int)getpid(), name);
	f = fopen(id_path, "re");
	if (!f)
		return -errno;
	ret = fscanf(f, "%u", &id) == 1 ? (int)id : -EIO;
	fclose(f);
	return ret;
}

/* Removes sonde_PID/NAME: of this process, or of a sonde gone. */
static void remove_event(pid_t pid, const char *name)
{
	char def[600];

	snprintf(def, sizeof(def), "-:sonde_%d/%s\n", (int)pid, name);
	uprobe_event(def);
}

/* A perf event on tracefs event id for pid; its fd or a negative errno.
 * One left disabled until an exec is in the probe's filter all the same,
 * and opens without putting breakpoints into what pid maps already. */
static int open_event(uint32_t id, pid_t pid, bool inherit, bool install)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = id,
		.sample_period = 1,
		.inherit = inherit,
		.disabled = !install,
		.enable_on_exec = !install,
	};
	int fd = (int)syscall(__NR_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void uprobe_links_clean_stale(void)
{
	char line[4608], name[512];
	FILE *f = fopen(TRACEFS "/uprobe_events", "re");
	int pid;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*c:sonde_%d/%511s", &pid, name) != 2 || pid == getpid() || !kill(pid, 0) ||
		    errno != ESRCH)
			continue;
		remove_event(pid, name);
	}
	fclose(f);
}

int uprobe_links_probe(struct uprobe_links *u, const char *path, uint64_t offset, uint64_t ref_ctr, bool ret,
		       struct bpf_program *prog, uint64_t cookie, struct uprobe_probe *out)
{
	LIBBPF_OPTS(bpf_perf_event_opts, opts, .bpf_cookie = cookie);
	char name[32];
	int id, fd, err;

	memset(out, 0, sizeof(*out));
	out->seq = ++u->seq;
	snprintf(name, sizeof(name), "p%u", out->seq);
	id = make_event(ret ? 'r' : 'p', name, path, offset, ref_ctr);
	if (id < 0)
		return id;
	out->event = (uint32_t)id;
	fd = open_event(out->event, u->anchor, false, true);
	if (fd >= 0) {
		out->link = bpf_program__attach_perf_event_opts(prog, fd, &opts);
		if (out->link)
			return 0;
		err = -errno;
		close(fd);
		fd = err;
	}
	remove_event(getpid(), name);
	out->event = 0;
	return fd;
}

void uprobe_links_remove(struct uprobe_probe *p)
{
	char name[32];

	if (!p->event)
		return;
	bpf_link__destroy(p->link);
	snprintf(name, sizeof(name), "p%u", p->seq);
	remove_event(getpid(), name);
	memset(p, 0, sizeof(*p));
}

int uprobe_links_attach(const struct uprobe_probe *probes, size_t n, pid_t pid, int *fds)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = open_event(probes[i].event, pid, true, false);
		if (fds[i] < 0) {
			int ret = fds[i];

			uprobe_links_detach(fds, i);
			return ret;
		}
	}
	return 0;
}

void uprobe_links_detach(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* A perf event for sonde itself, which no filter names: opening it puts
 * the probe's breakpoints into every process the filter names; closing
 * it takes them out of sonde. */
void uprobe_links_install(const struct uprobe_probe *probes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd = open_event(probes[i].event, getpid(), false, true);

		if (fd >= 0)
			close(fd);
	}
}

int uprobe_links_installed(pid_t pid, uint64_t vaddr)
{
	uint8_t byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)(uintptr_t)vaddr, 1 };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != 1)
		return -errno;
	return byte == 0xcc; /* int3 */
}

/* Never called: the warmer's probe sits on it. */
__attribute__((noinline, used)) void uprobe_links_never_called(void)
{
	__asm__ volatile("");
}

/* While warm, every few ms a perf event on the warm probe for sonde comes
 * and goes: its open and its close each put the probe's breakpoint into
 * sonde or take it out, which keeps the kernel's registration lock past
 * its grace period. The anchor's event keeps the probe registered. */
static void *keep_warm(void *arg)
{
	struct uprobe_links *u = arg;

	pthread_mutex_lock(&u->lock);
	while (!u->stopping) {
		int64_t now = clocks_mono_ms();
		int fd;

		if (now >= u->warm_until_ms) {
			pthread_cond_wait(&u->wake, &u->lock);
			continue;
		}
		clocks_wait_until(&u->wake, &u->lock, now + UPROBE_LINKS_WARM_INTERVAL_MS);
		pthread_mutex_unlock(&u->lock);
		fd = open_event((uint32_t)u->warm_event, getpid(), false, true);
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

static int start_warmer(struct uprobe_links *u)
{
	char exe[4096];
	uint64_t va, offset;
	struct binary b;
	ssize_t n;
	int ret;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = 0;
	ret = binary_open(&b, exe);
	if (ret)
		return ret;
	ret = binary_symbol(&b, "uprobe_links_never_called", &va) ?: binary_offset(&b, va, &offset);
	binary_close(&b);
	if (ret)
		return ret;
	u->warm_event = make_event('p', "warm", exe, offset, 0);
	if (u->warm_event < 0)
		return u->warm_event;
	u->warm_anchor = open_event((uint32_t)u->warm_event, u->anchor, false, true);
	if (u->warm_anchor < 0)
		return u->warm_anchor;
	ret = pthread_create(&u->warmer, NULL, keep_warm, u);
	if (ret)
		return -ret;
	u->warmer_started = true;
	return 0;
}

void uprobe_links_warm(struct uprobe_links *u, int64_t ms)
{
	int64_t until = clocks_mono_ms() + ms;

	pthread_mutex_lock(&u->lock);
	if (until > u->warm_until_ms) {
		u->warm_until_ms = until;
		pthread_cond_signal(&u->wake);
	}
	pthread_mutex_unlock(&u->lock);
}

int uprobe_links_start(struct uprobe_links *u)
{
	int ret;

	memset(u, 0, sizeof(*u));
	u->warm_event = u->warm_anchor = -1;
	pthread_mutex_init(&u->lock, NULL);
	clocks_cond_init(&u->wake);
	u->anchor = fork();
	if (u->anchor < 0)
		return -errno;
	if (!u->anchor) {
		/* Holding none of sonde's sockets and maps. */
		syscall(__NR_close_range, 3, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	ret = start_warmer(u);
	if (ret)
		log_warn("tls", "cannot keep uprobe registration warm (%s): a new target may lose its first TLS calls",
			 strerror(-ret));
	return 0;
}

void uprobe_links_stop(struct uprobe_links *u)
{
	if (u->warmer_started) {
		pthread_mutex_lock(&u->lock);
		u->stopping = true;
		pthread_cond_signal(&u->wake);
		pthread_mutex_unlock(&u->lock);
		pthread_join(u->warmer, NULL);
	}
	if (u->warm_anchor >= 0)
		close(u->warm_anchor);
	if (u->warm_event >= 0)
		remove_event(getpid(), "warm");
	if (u->anchor > 0) {
		kill(u->anchor, SIGKILL);
		waitpid(u->anchor, NULL, 0);
	}
	pthread_cond_destroy(&u->wake);
	pthread_mutex_destroy(&u->lock);
	memset(u, 0, sizeof(*u));
}
