// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/clocks.h"
#include "base/grow.h"
#include "base/log.h"
#include "base/procfs.h"
#include "elf/binary.h"
#include "elf/sites.h"
#include "kernel/tls_uprobes.h"
#include "sonde.h"
#include "sonde.skel.h"

/* What a probe's cookie tells its program (bpf/tls.bpf.c). */
#define TLS_COOKIE_WRITE 1
#define TLS_COOKIE_EX 2

#define GO_TLS_READ "crypto/tls.(*Conn).Read"
#define GO_TLS_WRITE "crypto/tls.(*Conn).Write"
#define GO_TLS_HANDSHAKE "crypto/tls.(*Conn).handshakeContext"
#define GO_TLS_READ_RETURN "crypto/tls.(*Conn).Read (return)"

/* Where the system keeps the libssl that processes started later will
 * map, looked at before any of them runs. */
static const char *const system_libssl[] = {
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib64/libssl.so.3",
	"/usr/lib/libssl.so.3",
	"/usr/lib/x86_64-linux-gnu/libssl.so.1.1",
};

enum { EPOLL_STOP, EPOLL_TARGETS };

void tls_uprobes_init(struct tls_uprobes *t)
{
	memset(t, 0, sizeof(*t));
	t->epoll_fd = t->stop_fd = -1;
	pthread_mutex_init(&t->lock, NULL);
}

/* Decoding a file: where each OpenSSL function's probes go. */

static struct tls_file *file_seen(struct tls_uprobes *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].state != TLS_FILE_FREE && t->files[i].dev == dev && t->files[i].ino == ino)
			return &t->files[i];
	return NULL;
}

static ssize_t read_binary(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	return binary_read(arg, vaddr, buf, n);
}

static void add_point(struct tls_file *f, const struct binary *b, const char *func, enum tls_point_kind kind, bool ex,
		      bool write, const struct site *s)
{
	struct tls_point *p;
	uint64_t offset;

	_Static_assert(sizeof(p->insn) == sizeof(s->insn), "the instruction's text fits");
	if (f->npoints == TLS_MAX_POINTS || binary_offset(b, s->vaddr, &offset))
		return;
	for (uint8_t i = 0; i < f->npoints; i++)
		if (f->points[i].offset == offset)
			return;
	p = &f->points[f->npoints++];
	p->offset = offset;
	p->func = func;
	p->kind = kind;
	p->ex = ex;
	p->write = write;
	p->emulated = s->kind == SITE_EMULATED;
	p->followed = s->followed;
	memcpy(p->insn, s->insn, sizeof(p->insn));
}

/* The points of one direction: the _ex form's site, and the plain form's
 * when it does not call the same internal function. */
static void decode_direction(struct tls_file *f, const struct binary *b, bool write)
{
	const char *ex_name = write ? "SSL_write_ex" : "SSL_read_ex", *name = write ? "SSL_write" : "SSL_read";
	uint64_t ex_va, va;
	bool has_ex = !binary_symbol(b, ex_name, &ex_va), has = !binary_symbol(b, name, &va);
	struct site s;

	if (has_ex && !sites_find(read_binary, (void *)b, ex_va, &s)) {
		add_point(f, b, ex_name, TLS_OPENSSL, true, write, &s);
		/* OpenSSL 1.1.1 and 3: SSL_read calls the internal function too. */
		if (s.followed && has && sites_calls(read_binary, (void *)b, va, s.vaddr))
			return;
	}
	if (has && !sites_find(read_binary, (void *)b, va, &s))
		add_point(f, b, name, TLS_OPENSSL, false, write, &s);
}

/* Go's crypto/tls in an executable Go 1.18 or later built (the register
 * ABI, and the version in .go.buildinfo): the entries of Read, Write and
 * the handshake, and each of Read's return instructions, since a
 * uretprobe's return address would move with the goroutine's stack. 0 or
 * a negative errno. */
static int decode_go(struct tls_file *f, const struct binary *b)
{
	static const char *const names[] = { GO_TLS_READ, GO_TLS_WRITE, GO_TLS_HANDSHAKE };
	uint64_t va, size, read_va = 0, read_size = 0, rets[TLS_MAX_POINTS];
	int major, minor, ret, n;
	struct site s;

	ret = binary_go_version(b, &major, &minor);
	if (ret || major != 1 || minor < 18) {
		log_warn("tls", "%s: Go TLS of a Go older than 1.18 is not read", f->name);
		return -ENOTSUP;
	}
	for (int i = 0; i < 3; i++) {
		ret = binary_function(b, names[i], &va, &size) ?: sites_find(read_binary, (void *)b, va, &s);
		if (ret)
			return ret;
		add_point(f, b, names[i], i == 2 ? TLS_GO_HANDSHAKE : TLS_GO_ENTRY, false, i == 1, &s);
		if (!i) {
			read_va = va;
			read_size = size;
		}
	}
	n = sites_returns(read_binary, (void *)b, read_va, read_size, rets, TLS_MAX_POINTS - f->npoints);
	if (n <= 0)
		return n ? n : -ENOENT;
	for (int i = 0; i < n; i++) {
		s = (struct site){ .vaddr = rets[i], .kind = SITE_SINGLE_STEPPED, .insn = "ret" };
		add_point(f, b, GO_TLS_READ_RETURN, TLS_GO_RETURN, false, false, &s);
	}
	return 0;
}

/* Decodes the file's TLS functions into points: OpenSSL's in a libssl or
 * an executable with OpenSSL linked in statically; Go's in a Go
 * executable. 0, or a negative errno when it holds none. */
static int decode(struct tls_file *f, const char *path)
{
	uint8_t returns = 0;
	struct binary b;
	uint64_t va;
	int ret;

	ret = binary_open(&b, path);
	if (ret)
		return ret;
	f->npoints = 0;
	sites_hold();
	if (!binary_symbol(&b, "SSL_read", &va)) {
		decode_direction(f, &b, false);
		decode_direction(f, &b, true);
	} else if (!binary_symbol(&b, GO_TLS_READ, &va) && decode_go(f, &b)) {
		f->npoints = 0;
	}
	sites_release();
	binary_close(&b);
	if (!f->npoints)
		return -ENOENT;
	for (uint8_t i = 0; i < f->npoints; i++) {
		const struct tls_point *p = &f->points[i];

		if (p->kind == TLS_GO_RETURN) {
			returns++;
			continue;
		}
		log_info("tls", "%s: %s probed at %s0x%" PRIx64 " (%s, %s)", f->name, p->func,
			 p->followed ? "the function it calls, " : "", p->offset, p->insn,
			 p->emulated ? "emulated" : "single-stepped");
	}
	if (returns)
		log_info("tls", "%s: %s probed at its %u return instructions (single-stepped)", f->name, GO_TLS_READ,
			 returns);
	return 0;
}

static void links_destroy(struct bpf_link **links)
{
	for (size_t i = 0; i < TLS_MAX_LINKS; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

/* Whether one of the system's libssl, probed before any target maps it. */
static bool system_file(const struct tls_file *f)
{
	for (size_t i = 0; i < sizeof(system_libssl) / sizeof(system_libssl[0]); i++)
		if (!strcmp(f->name, system_libssl[i]))
			return true;
	return false;
}

/* Whether a slot may be given back: no probes, or (per process) probes
 * no target has events on. Per file, a file's probes serve processes
 * sonde does not list, so they stay. */
static bool reclaimable(const struct tls_uprobes *t, size_t i)
{
	const struct tls_file *f = &t->files[i];

	if (f->state == TLS_FILE_NO_OPENSSL || (f->state == TLS_FILE_FAILED && !f->links[0] && !f->nprobes))
		return true;
	if (t->mode != TLS_PER_PROCESS || f->state == TLS_FILE_FREE || system_file(f))
		return false;
	for (size_t k = 0; k < t->nattachments; k++)
		if (t->attachments[k].file == i)
			return false;
	return true;
}

/* A slot for a new file: past the last one used, or, the table full, one
 * given back (the lot of them reclaimed at once). NULL when none can be. */
static struct tls_file *free_slot(struct tls_uprobes *t)
{
	size_t freed = 0;

	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].state == TLS_FILE_FREE)
			return &t->files[i];
	if (t->nfiles < TLS_MAX_FILES)
		return &t->files[t->nfiles];
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tls_file *f = &t->files[i];

		if (!reclaimable(t, i))
			continue;
		pthread_mutex_lock(&t->lock);
		f->state = TLS_FILE_FREE;
		pthread_mutex_unlock(&t->lock);
		links_destroy(f->links);
		for (uint8_t k = 0; k < f->nprobes; k++)
			uprobe_links_remove(&f->probes[k]);
		f->nprobes = 0;
		freed++;
	}
	log_debug("tls", "file table full: %zu slots given back", freed);
	t->full_logged = t->full_logged && !freed;
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].state == TLS_FILE_FREE)
			return &t->files[i];
	return NULL;
}

/* The file at path, as it is on disk: known, or looked at now. NULL when
 * the table is full or the path is gone. */
static struct tls_file *file_at(struct tls_uprobes *t, const char *path, const char *name)
{
	struct tls_file *f;
	struct stat st;

	if (stat(path, &st))
		return NULL;
	f = file_seen(t, st.st_dev, st.st_ino);
	if (f)
		return f;
	f = free_slot(t);
	if (!f) {
		if (!t->full_logged)
			log_warn("tls", "%d files with probes in use: %s and later ones are not looked at",
				 TLS_MAX_FILES, name);
		t->full_logged = true;
		return NULL;
	}
	pthread_mutex_lock(&t->lock);
	memset(f, 0, sizeof(*f));
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->state = decode(f, path) ? TLS_FILE_NO_OPENSSL : TLS_FILE_READY;
	if (f == &t->files[t->nfiles])
		t->nfiles++;
	pthread_mutex_unlock(&t->lock);
	return f;
}

static uint64_t cookie(const struct tls_point *p)
{
	return (p->write ? TLS_COOKIE_WRITE : 0) | (p->ex ? TLS_COOKIE_EX : 0);
}

/* The file's probes in order: each point's entry, and a read's return (a
 * write's bytes are known at its entry). Returns how many there are, and
 * sets the point and kind of probe k when k is below that. */
static uint8_t probe_spec(const struct tls_file *f, uint8_t k, const struct tls_point **point, bool *ret)
{
	uint8_t n = 0;

	for (uint8_t i = 0; i < f->npoints; i++) {
		int probes = f->points[i].kind == TLS_OPENSSL && !f->points[i].write ? 2 : 1;

		for (int r = 0; r < probes; r++, n++) {
			if (n == k) {
				*point = &f->points[i];
				*ret = r;
			}
		}
	}
	return n;
}

static struct bpf_program *probe_prog(struct tls_uprobes *t, const struct tls_point *p, bool ret)
{
	if (p->kind == TLS_GO_ENTRY)
		return t->skel->progs.sonde_go_tls_entry;
	if (p->kind == TLS_GO_RETURN)
		return t->skel->progs.sonde_go_tls_return;
	if (p->kind == TLS_GO_HANDSHAKE)
		return t->skel->progs.sonde_go_tls_handshake;
	return ret ? t->skel->progs.sonde_tls_return : t->skel->progs.sonde_tls_entry;
}

/* Per-file mode: the probes for every process mapping the file, tried a
 * few times. */
static void cover_file(struct tls_uprobes *t, struct tls_file *f, const char *path)
{
	const struct tls_point *p = NULL;
	bool r = false;
	uint8_t n = probe_spec(f, 0, &p, &r);
	int ret = 0;

	if ((f->state != TLS_FILE_READY && f->state != TLS_FILE_FAILED) || f->links[0] || f->tries >= TLS_MAX_TRIES)
		return;
	for (uint8_t k = 0; k < n && !ret; k++) {
		probe_spec(f, k, &p, &r);
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = r, .bpf_cookie = cookie(p));
		f->links[k] = bpf_program__attach_uprobe_opts(probe_prog(t, p, r), -1, path, p->offset, &opts);
		if (!f->links[k])
			ret = errno ? -errno : -EINVAL;
	}
	if (!ret) {
		f->state = TLS_FILE_READY;
		log_info("tls", "attached to %s (%u probes, every process mapping it)", f->name, n);
		return;
	}
	links_destroy(f->links);
	f->state = TLS_FILE_FAILED;
	if (++f->tries == TLS_MAX_TRIES)
		log_warn("tls", "cannot attach to %s: %s", f->name, strerror(-ret));
}

/* Per-process mode: each target's own perf events on the file's probes. */

/* The file's probes, made at the first target that needs them. */
static int file_probes(struct tls_uprobes *t, struct tls_file *f, const char *path)
{
	int ret = 0;

	const struct tls_point *p = NULL;
	bool r = false;
	uint8_t n = probe_spec(f, 0, &p, &r);

	for (uint8_t k = f->nprobes; k < n && !ret; k++) {
		probe_spec(f, k, &p, &r);
		ret = uprobe_links_probe(&t->links, path, p->offset, 0, r, probe_prog(t, p, r), cookie(p),
					 &f->probes[k]);
		if (!ret)
			f->nprobes = k + 1;
	}
	return ret;
}

static struct tls_attachment *attachment_of(struct tls_uprobes *t, uint32_t pid, size_t file)
{
	for (size_t i = 0; i < t->nattachments; i++)
		if (t->attachments[i].pid == pid && (file == SIZE_MAX || t->attachments[i].file == file))
			return &t->attachments[i];
	return NULL;
}

static void remove_attachment(struct tls_uprobes *t, struct tls_attachment *a)
{
	struct tls_attachment gone = *a;

	pthread_mutex_lock(&t->lock);
	*a = t->attachments[--t->nattachments];
	pthread_mutex_unlock(&t->lock);
	uprobe_links_detach(gone.fds, gone.nfds);
}

static int add_attachment(struct tls_uprobes *t, const struct tls_attachment *a)
{
	int ret;

	pthread_mutex_lock(&t->lock);
	ret = grow_for_one((void **)&t->attachments, &t->attachments_cap, t->nattachments, sizeof(*a), 64);
	if (!ret)
		t->attachments[t->nattachments++] = *a;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* Where a process maps a file's code. */
struct tls_mapping {
	uint64_t start, end, offset;
};

/* Whether the breakpoints of the points in the mapping are in: 1 when
 * all are, 0 when one is not, -1 when the mapping holds none (a file's
 * code may be mapped in pieces: node's is). */
static int breakpoints_in(const struct tls_file *f, uint32_t pid, const struct tls_mapping *m)
{
	int ret = -1;

	for (uint8_t i = 0; i < f->npoints; i++) {
		uint64_t off = f->points[i].offset;

		if (off < m->offset || off - m->offset >= m->end - m->start)
			continue;
		if (uprobe_links_installed((pid_t)pid, m->start + off - m->offset) != 1)
			return 0;
		ret = 1;
	}
	return ret;
}

/* The kernel put the breakpoints in when the process mapped the file, if
 * that came after its events; else they go in the slow way now. */
static void check_attachment(struct tls_uprobes *t, struct tls_file *f, struct tls_attachment *a,
			     const struct tls_mapping *m)
{
	int in = breakpoints_in(f, a->pid, m);

	if (in < 0)
		return;
	if (!in) {
		uprobe_links_install(f->probes, f->nprobes);
		if (breakpoints_in(f, a->pid, m) != 1) {
			log_debug("tls", "cannot put the breakpoints of %s into pid %u", f->name, a->pid);
			return;
		}
		log_debug("tls", "pid %u mapped %s before its probes were attached: breakpoints put in", a->pid,
			  f->name);
	}
	pthread_mutex_lock(&t->lock);
	a->checked = true;
	pthread_mutex_unlock(&t->lock);
}

/* The file's probes for one target, unless it has them already; m says
 * where it maps the file, NULL when it may not have yet. */
static void cover_process(struct tls_uprobes *t, struct tls_file *f, const char *path, uint32_t pid,
			  const struct tls_mapping *m)
{
	struct tls_attachment a = { .pid = pid, .file = (uint32_t)(f - t->files) }, *old;
	struct procfs_stat st;
	int ret;

	if (f->state != TLS_FILE_READY || procfs_stat(pid, &st))
		return;
	old = attachment_of(t, pid, a.file);
	if (old && old->start_time == st.start_time) {
		if (m && !old->checked)
			check_attachment(t, f, old, m);
		return;
	}
	/* A pid another process had: its events went with it. */
	if (old)
		remove_attachment(t, old);
	ret = file_probes(t, f, path);
	if (!ret)
		ret = uprobe_links_attach(f->probes, f->nprobes, (pid_t)pid, a.fds);
	if (ret) {
		log_debug("tls", "cannot attach to %s for pid %u: %s", f->name, pid, strerror(-ret));
		return;
	}
	a.nfds = f->nprobes;
	a.start_time = st.start_time;
	if (add_attachment(t, &a)) {
		uprobe_links_detach(a.fds, a.nfds);
		return;
	}
	/* Said once the breakpoints are known to be in, where the process
	 * maps the file already. */
	if (m)
		check_attachment(t, f, &t->attachments[t->nattachments - 1], m);
	log_info("tls", "attached to %s for pid %u (%d probes)", f->name, pid, a.nfds);
}

/* The files one process maps: libssl by name, and its executable when
 * OpenSSL's symbols are in it; each at its code's mapping. */
static void scan_pid(struct tls_uprobes *t, uint32_t pid)
{
	char maps_path[64], exe_path[64], exe[4096], line[4608], path[4160];
	ssize_t elen;
	FILE *f;

	snprintf(maps_path, sizeof(maps_path), "/proc/%" PRIu32 "/maps", pid);
	snprintf(exe_path, sizeof(exe_path), "/proc/%" PRIu32 "/exe", pid);
	elen = readlink(exe_path, exe, sizeof(exe) - 1);
	exe[elen > 0 ? elen : 0] = 0;
	f = fopen(maps_path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, offset, ino;
		struct tls_mapping m;
		struct tls_file *file;
		const char *name, *base;
		char perms[8];
		int pos = 0;
		bool lib;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %n", &start, &end, perms, &offset, &ino, &pos) != 5 ||
		    !ino || !pos || perms[2] != 'x')
			continue;
		name = line + pos;
		line[strcspn(line, "\n")] = 0;
		if (name[0] != '/')
			continue;
		base = strrchr(name, '/') + 1;
		lib = !strncmp(base, "libssl.so", 9);
		if (!lib && strcmp(name, exe))
			continue;
		/* Through the process's root, so files in containers resolve. */
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, name);
		file = file_at(t, path, name);
		if (!file)
			continue;
		m = (struct tls_mapping){ start, end, offset };
		if (t->mode == TLS_PER_FILE)
			cover_file(t, file, path);
		else
			cover_process(t, file, path, pid, &m);
	}
	fclose(f);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* A new target, at its exec or fork: the OpenSSL files known so far that
 * resolve to the same files from its root, before it maps them; at an
 * exec, then what it maps already. A child has its parent's events and
 * breakpoints from its fork, but needs events of its own
 * (kernel/uprobe_links.h). */
static void new_target(struct tls_uprobes *t, uint32_t pid, bool exec)
{
	char path[4160];
	struct stat st;

	for (size_t i = 0; i < t->nfiles; i++) {
		struct tls_file *f = &t->files[i];

		/* Only libraries: another executable is never mapped. */
		if (f->state != TLS_FILE_READY || !f->name[0] || strncmp(basename_of(f->name), "libssl.so", 9))
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, f->name);
		if (!stat(path, &st) && st.st_dev == f->dev && st.st_ino == f->ino)
			cover_process(t, f, path, pid, NULL);
	}
	if (exec)
		scan_pid(t, pid);
}

static void forget_pid(struct tls_uprobes *t, uint32_t pid)
{
	struct tls_attachment *a;

	while ((a = attachment_of(t, pid, SIZE_MAX)))
		remove_attachment(t, a);
}

/* Entries of processes that are gone, or whose pid another process took. */
static void prune(struct tls_uprobes *t)
{
	for (size_t i = 0; i < t->nattachments;) {
		struct procfs_stat st;

		if (procfs_stat(t->attachments[i].pid, &st) || st.start_time != t->attachments[i].start_time)
			remove_attachment(t, &t->attachments[i]);
		else
			i++;
	}
}

static int on_target(void *ctx, void *data, size_t size)
{
	const struct sonde_target_event *ev = data;
	struct tls_uprobes *t = ctx;

	if (size < sizeof(*ev))
		return 0;
	/* The next exec'd target may map its libssl before its events are
	 * open: keep the way that puts breakpoints in afterwards fast. */
	if (ev->what == SONDE_TARGET_EXEC)
		uprobe_links_warm(&t->links, TLS_WARM_MS);
	if (ev->what == SONDE_TARGET_EXIT)
		forget_pid(t, ev->pid);
	else
		new_target(t, ev->pid, ev->what == SONDE_TARGET_EXEC);
	if (t->hook.target)
		t->hook.target(t->hook.arg, ev->pid, ev->what);
	log_debug("tls", "target event %u for pid %u handled %" PRIu64 " us after it", ev->what, ev->pid,
		  (uint64_t)((clocks_mono_ns() - ev->ts_ns) / 1000));
	return 0;
}

static void scan(struct tls_uprobes *t)
{
	size_t n;

	/* What the kernel reported first: those targets' probes are attached
	 * at once, not found by the scan. */
	if (t->targets)
		ring_buffer__consume(t->targets);
	n = t->pids_fn(t->pids_arg, t->pids, TLS_SCAN_PIDS);
	for (size_t i = 0; i < n; i++)
		scan_pid(t, t->pids[i]);
	if (t->mode == TLS_PER_PROCESS)
		prune(t);
	if (t->hook.scan)
		t->hook.scan(t->hook.arg, t->pids, n);
}

static void *run(void *arg)
{
	struct tls_uprobes *t = arg;
	int64_t next_scan = clocks_mono_ms() + TLS_SCAN_INTERVAL_MS;

	for (;;) {
		struct epoll_event evs[2];
		int64_t wait = next_scan - clocks_mono_ms();
		int n = epoll_wait(t->epoll_fd, evs, 2, wait > 0 ? (int)wait : 0);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EPOLL_STOP)
				return NULL;
			ring_buffer__consume(t->targets);
		}
		if (clocks_mono_ms() >= next_scan) {
			scan(t);
			next_scan = clocks_mono_ms() + TLS_SCAN_INTERVAL_MS;
		}
	}
}

static int watch(int epoll_fd, int fd, uint32_t what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = what };

	return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int tls_uprobes_start(struct tls_uprobes *t, struct sonde_bpf *skel, enum tls_mode mode, tls_pids_fn pids_fn, void *arg,
		      int target_events_fd)
{
	int ret;

	t->skel = skel;
	t->mode = mode;
	t->pids = malloc(TLS_SCAN_PIDS * sizeof(*t->pids));
	t->files = calloc(TLS_MAX_FILES, sizeof(*t->files));
	if (!t->pids || !t->files)
		return -ENOMEM;
	t->pids_fn = pids_fn;
	t->pids_arg = arg;
	if (t->mode == TLS_PER_PROCESS || t->hook.scan) {
		uprobe_links_clean_stale();
		ret = uprobe_links_start(&t->links);
		if (ret)
			return ret;
		/* Per file, the links serve function probes only: kept cold. */
		if (t->mode == TLS_PER_PROCESS)
			uprobe_links_warm(&t->links, TLS_WARM_MS);
	}
	/* Their probes made now, not while a new target races to its first
	 * TLS call. */
	for (size_t i = 0; i < sizeof(system_libssl) / sizeof(system_libssl[0]); i++) {
		struct tls_file *f = file_at(t, system_libssl[i], system_libssl[i]);

		if (f && t->mode == TLS_PER_FILE)
			cover_file(t, f, system_libssl[i]);
		else if (f && f->state == TLS_FILE_READY && file_probes(t, f, system_libssl[i]))
			log_warn("tls", "cannot make the probes of %s", f->name);
	}
	scan(t);
	t->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (t->epoll_fd < 0 || t->stop_fd < 0)
		return -errno;
	ret = watch(t->epoll_fd, t->stop_fd, EPOLL_STOP);
	if (!ret && t->mode == TLS_PER_PROCESS) {
		t->targets = ring_buffer__new(target_events_fd, on_target, t, NULL);
		ret = t->targets ? watch(t->epoll_fd, ring_buffer__epoll_fd(t->targets), EPOLL_TARGETS) : -errno;
	}
	if (ret)
		return ret;
	ret = pthread_create(&t->thread, NULL, run, t);
	if (ret)
		return -ret;
	t->started = true;
	log_info("tls", "uprobes attached %s", t->mode == TLS_PER_FILE ? "per file" : "per target process");
	return 0;
}

void tls_uprobes_free(struct tls_uprobes *t)
{
	if (t->started) {
		uint64_t one = 1;

		if (write(t->stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(t->thread, NULL);
	}
	ring_buffer__free(t->targets);
	if (t->epoll_fd >= 0)
		close(t->epoll_fd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	free(t->pids);
	for (size_t i = 0; i < t->nattachments; i++)
		uprobe_links_detach(t->attachments[i].fds, t->attachments[i].nfds);
	free(t->attachments);
	for (size_t i = 0; i < t->nfiles; i++) {
		links_destroy(t->files[i].links);
		for (uint8_t k = 0; k < t->files[i].nprobes; k++)
			uprobe_links_remove(&t->files[i].probes[k]);
	}
	free(t->files);
	if (t->mode == TLS_PER_PROCESS || t->hook.scan)
		uprobe_links_stop(&t->links);
	pthread_mutex_destroy(&t->lock);
	memset(t, 0, sizeof(*t));
}

size_t tls_uprobes_report(struct tls_uprobes *t, tls_point_fn fn, void *arg)
{
	size_t processes = 0;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->nfiles; i++)
		for (uint8_t k = 0; k < t->files[i].npoints && t->files[i].state == TLS_FILE_READY; k++)
			fn(arg, &t->files[i], &t->files[i].points[k]);
	for (size_t i = 0; i < t->nattachments; i++) {
		size_t j;

		for (j = 0; j < i && t->attachments[j].pid != t->attachments[i].pid; j++)
			;
		processes += j == i;
	}
	pthread_mutex_unlock(&t->lock);
	return processes;
}
