// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base/grow.h"
#include "base/log.h"
#include "base/procfs.h"
#include "elf/binary.h"
#include "elf/sites.h"
#include "kernel/func_uprobes.h"
#include "sonde.h"
#include "sonde.skel.h"

/* What a call costs, as tests/bench/functions.sh measured it here: a
 * breakpoint the kernel emulates, one it single-steps, a uretprobe's
 * return with the event; a Python call of a process whose functions are
 * followed, any of them. */
#define COST_EMULATED_US 0.7
#define COST_STEPPED_US 12.5
#define COST_URETPROBE_US 0.95
#define COST_PYTHON_US 2.5

void func_uprobes_init(struct func_uprobes *f)
{
	memset(f, 0, sizeof(*f));
	f->targets_fd = -1;
	pthread_mutex_init(&f->lock, NULL);
}

int func_uprobes_start(struct func_uprobes *f, struct sonde_bpf *skel, struct uprobe_links *links, int targets_fd)
{
	f->skel = skel;
	f->links = links;
	f->targets_fd = targets_fd;
	f->sets = calloc(FUNC_MAX_SETS, sizeof(*f->sets));
	return f->sets ? 0 : -ENOMEM;
}

void func_uprobes_set(struct func_uprobes *f, const struct functions *fns, const uint32_t *service_ids)
{
	pthread_mutex_lock(&f->lock);
	f->next = *fns;
	memcpy(f->next_services, service_ids, fns->n * sizeof(*service_ids));
	f->dirty = true;
	pthread_mutex_unlock(&f->lock);
}

/* Attachments. */

static void detach(struct func_uprobes *f, size_t i)
{
	struct func_attachment gone = f->attachments[i];

	pthread_mutex_lock(&f->lock);
	f->attachments[i] = f->attachments[--f->nattachments];
	pthread_mutex_unlock(&f->lock);
	uprobe_links_detach(gone.fds, gone.nfds);
}

static struct func_attachment *attachment_of(struct func_uprobes *f, uint32_t pid, uint32_t func)
{
	for (size_t i = 0; i < f->nattachments; i++)
		if (f->attachments[i].pid == pid && f->attachments[i].func == func)
			return &f->attachments[i];
	return NULL;
}

static int add_attachment(struct func_uprobes *f, const struct func_attachment *a)
{
	int ret;

	pthread_mutex_lock(&f->lock);
	ret = grow_for_one((void **)&f->attachments, &f->attachments_cap, f->nattachments, sizeof(*a), 64);
	if (!ret)
		f->attachments[f->nattachments++] = *a;
	pthread_mutex_unlock(&f->lock);
	return ret;
}

/* A Go process's goroutines' calls in flight at its exit: counted, and
 * let go. Its keys are gathered in one pass, then deleted: a deletion
 * mid-walk would send the walk back to the start. */
static void sweep_stacks(struct func_uprobes *f, uint32_t pid)
{
	int fd = bpf_map__fd(f->skel->maps.func_stacks);
	struct sonde_func_key key, last, *prev = NULL, *mine = NULL;
	size_t n = 0, cap = 0;
	struct sonde_func_stack st;
	uint64_t gone = 0;

	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (key.tgid == pid && !grow_for_one((void **)&mine, &cap, n, sizeof(key), 16))
			mine[n++] = key;
		last = key;
		prev = &last;
	}
	for (size_t i = 0; i < n; i++) {
		if (!bpf_map_lookup_elem(fd, &mine[i], &st))
			gone += st.n;
		bpf_map_delete_elem(fd, &mine[i]);
	}
	free(mine);
	if (gone)
		atomic_fetch_add(&f->exited, gone);
}

static void forget_pid(struct func_uprobes *f, uint32_t pid)
{
	bool had = false;

	for (size_t i = 0; i < f->nattachments;) {
		if (f->attachments[i].pid == pid) {
			detach(f, i);
			had = true;
		} else {
			i++;
		}
	}
	if (had)
		sweep_stacks(f, pid);
}

/* Decoding: where a function's probes go in a file. */

static ssize_t read_binary(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	return binary_read(arg, vaddr, buf, n);
}

/* One probe to make: its offset, kind and program. */
struct probe_spec {
	uint64_t offset, ref_ctr;
	bool ret;
	bool exit_prog; /* sonde_func_return, else sonde_func_entry */
};

struct decoded {
	struct probe_spec specs[FUNC_MAX_PROBES];
	uint8_t n;
	uint64_t cookie;
	char how[256]; /* for the log: where the probes went, what a call costs */
};

static int decode_native(const struct binary *b, const struct function_entry *e, struct decoded *d)
{
	uint64_t va, size, off;
	struct site s;
	int ret;

	ret = binary_function(b, e->cfg.symbol, &va, &size) ?: sites_find(read_binary, (void *)b, va, &s);
	ret = ret ?: binary_offset(b, s.vaddr, &off);
	if (ret)
		return ret;
	d->specs[0] = (struct probe_spec){ .offset = off };
	d->specs[1] = (struct probe_spec){ .offset = off, .ret = true, .exit_prog = true };
	d->n = 2;
	snprintf(d->how, sizeof(d->how), "%sat 0x%" PRIx64 " (%s, %s) and a uretprobe: about %.1f us a call",
		 s.followed ? "the function it calls, " : "", off, s.insn,
		 s.kind == SITE_EMULATED ? "emulated" : "single-stepped",
		 (s.kind == SITE_EMULATED ? COST_EMULATED_US : COST_STEPPED_US) + COST_URETPROBE_US);
	return 0;
}

/* Go: the entry at its stack check's branch, a probe on each return
 * instruction (single-stepped), since a goroutine's stack moves. */
static int decode_go(const struct binary *b, const struct function_entry *e, struct decoded *d)
{
	uint64_t va, size, off, rets[FUNC_MAX_PROBES - 1];
	struct site s;
	int ret, n;

	ret = binary_function(b, e->cfg.symbol, &va, &size) ?: sites_find(read_binary, (void *)b, va, &s);
	ret = ret ?: binary_offset(b, s.vaddr, &off);
	if (ret)
		return ret;
	n = sites_returns(read_binary, (void *)b, va, size, rets, FUNC_MAX_PROBES - 1);
	if (n <= 0)
		return n ? n : -ENOENT;
	d->specs[0] = (struct probe_spec){ .offset = off };
	d->n = 1;
	for (int i = 0; i < n; i++) {
		if (binary_offset(b, rets[i], &off))
			return -ENOENT;
		d->specs[d->n++] = (struct probe_spec){ .offset = off, .exit_prog = true };
	}
	d->cookie |= SONDE_FUNC_COOKIE_GO;
	snprintf(d->how, sizeof(d->how),
		 "at 0x%" PRIx64 " (%s, %s) and its %d return instructions: about %.1f us a call", d->specs[0].offset,
		 s.insn, s.kind == SITE_EMULATED ? "emulated" : "single-stepped", n,
		 (s.kind == SITE_EMULATED ? COST_EMULATED_US : COST_STEPPED_US) + COST_STEPPED_US);
	return 0;
}

/* A USDT argument's register: "8@%rbp". */
static int usdt_reg(const char *arg, size_t len)
{
	static const char *const regs[SONDE_FUNC_REG_MAX] = {
		[SONDE_FUNC_REG_RAX] = "rax", [SONDE_FUNC_REG_RBX] = "rbx", [SONDE_FUNC_REG_RCX] = "rcx",
		[SONDE_FUNC_REG_RDX] = "rdx", [SONDE_FUNC_REG_RSI] = "rsi", [SONDE_FUNC_REG_RDI] = "rdi",
		[SONDE_FUNC_REG_RBP] = "rbp", [SONDE_FUNC_REG_R8] = "r8",   [SONDE_FUNC_REG_R9] = "r9",
		[SONDE_FUNC_REG_R10] = "r10", [SONDE_FUNC_REG_R11] = "r11", [SONDE_FUNC_REG_R12] = "r12",
		[SONDE_FUNC_REG_R13] = "r13", [SONDE_FUNC_REG_R14] = "r14", [SONDE_FUNC_REG_R15] = "r15",
	};
	const char *at = memchr(arg, '@', len);

	/* Pointers are 8 bytes, in a register. */
	if (!at || at - arg != 1 || arg[0] != '8' || len < 4 || at[1] != '%')
		return -ENOTSUP;
	for (int i = 0; i < SONDE_FUNC_REG_MAX; i++)
		if ((size_t)(arg + len - at - 2) == strlen(regs[i]) && !memcmp(at + 2, regs[i], strlen(regs[i])))
			return i;
	return -ENOTSUP;
}

/* The registers of a probe's first two arguments: the file and the name. */
static int usdt_regs(const char *args, int *file, int *name)
{
	const char *second = strchr(args, ' ');
	const char *third = second ? strchr(second + 1, ' ') : NULL;

	if (!second || !third)
		return -ENOTSUP;
	*file = usdt_reg(args, (size_t)(second - args));
	*name = usdt_reg(second + 1, (size_t)(third - second - 1));
	return *file < 0 || *name < 0 ? -ENOTSUP : 0;
}

/* CPython 3.11 reaches function__entry for a call it makes without
 * recursing in C (most of them) only while it traces lines: line's
 * semaphore held up too, by a probe on a nop no code reaches, turns that
 * on without a breakpoint on each line. */
static int python_tracing(const struct binary *b, struct probe_spec *spec)
{
	struct binary_usdt line;
	uint64_t nop;

	if (binary_usdt(b, "python", "line", &line) || !line.semaphore || binary_unreached_nop(b, &nop) ||
	    binary_offset(b, nop, &spec->offset))
		return -ENOENT;
	spec->ref_ctr = line.semaphore;
	return 0;
}

static int decode_python(const struct binary *b, uint32_t service_id, struct decoded *d)
{
	struct binary_usdt in, out;
	int file_in, name_in, file_out, name_out, ret;

	ret = binary_usdt(b, "python", "function__entry", &in) ?: binary_usdt(b, "python", "function__return", &out);
	ret = ret ?: usdt_regs(in.args, &file_in, &name_in) ?: usdt_regs(out.args, &file_out, &name_out);
	if (ret)
		return ret;
	/* One program reads both from the cookie's registers: they must agree. */
	if (file_in != file_out || name_in != name_out)
		return -ENOTSUP;
	d->specs[0] = (struct probe_spec){ .offset = in.offset, .ref_ctr = in.semaphore };
	d->specs[1] = (struct probe_spec){ .offset = out.offset, .ref_ctr = out.semaphore, .exit_prog = true };
	d->n = 2;
	if (!python_tracing(b, &d->specs[2]))
		d->n = 3;
	d->cookie = SONDE_FUNC_COOKIE_PYTHON | service_id | ((uint64_t)file_in << SONDE_FUNC_COOKIE_FILE_SHIFT) |
		    ((uint64_t)name_in << SONDE_FUNC_COOKIE_NAME_SHIFT);
	snprintf(d->how, sizeof(d->how),
		 "at CPython's function__entry and function__return (0x%" PRIx64 ", 0x%" PRIx64
		 ", emulated nops)%s: every Python call of the process hits them, about %.1f us a call",
		 in.offset, out.offset, d->n == 3 ? ", with line tracing on" : "", COST_PYTHON_US);
	return 0;
}

/* The probes of function e in the file at path: Go's way in a Go
 * executable whatever runtime says, as uretprobes would break there. */
static int decode(const char *path, const struct function_entry *e, uint32_t service_id, struct decoded *d)
{
	struct binary b;
	int ret, major, minor;

	memset(d, 0, sizeof(*d));
	d->cookie = e->id;
	ret = binary_open(&b, path);
	if (ret)
		return ret;
	sites_hold();
	if (e->cfg.runtime == FUNC_RUNTIME_PYTHON)
		ret = decode_python(&b, service_id, d);
	else if (!binary_go_version(&b, &major, &minor))
		ret = major == 1 && minor >= 18 ? decode_go(&b, e, d) : -ENOTSUP;
	else
		ret = e->cfg.runtime == FUNC_RUNTIME_GO ? -ENOTSUP : decode_native(&b, e, d);
	sites_release();
	binary_close(&b);
	return ret;
}

static void remove_probes(struct func_probeset *s)
{
	for (uint8_t k = 0; k < s->nprobes; k++)
		uprobe_links_remove(&s->probes[k]);
	s->nprobes = 0;
}

/* The function's probes in the file, made at the first process that
 * needs them; NULL when the file lacks it (said once) or the table is
 * full. */
static struct func_probeset *probeset(struct func_uprobes *f, uint32_t func, const char *path, const char *name)
{
	const struct function_entry *e = &f->cur.entries[func];
	struct func_probeset *s = NULL;
	struct decoded d;
	struct stat st;
	int ret = 0;

	if (stat(path, &st))
		return NULL;
	for (size_t i = 0; i < f->nsets && !s; i++)
		if (f->sets[i].dev == st.st_dev && f->sets[i].ino == st.st_ino && f->sets[i].func == func)
			s = &f->sets[i];
	if (s)
		return s->failed ? NULL : s;
	if (f->nsets == FUNC_MAX_SETS) {
		if (!f->full_logged)
			log_warn("functions", "%d function probes made: %s in %s is not probed", FUNC_MAX_SETS,
				 e->cfg.name, name);
		f->full_logged = true;
		return NULL;
	}
	s = &f->sets[f->nsets++];
	memset(s, 0, sizeof(*s));
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->func = func;
	snprintf(s->name, sizeof(s->name), "%s", name);
	ret = decode(path, e, f->services[func], &d);
	if (ret) {
		log_warn("functions", "service %s: %s is not probed in %s: %s", e->cfg.service, e->cfg.symbol, name,
			 ret == -ENOENT	 ? "no such function" :
			 ret == -ENOTSUP ? (e->cfg.runtime == FUNC_RUNTIME_PYTHON ?
						    "no CPython USDT probes sonde can read" :
						    "not a Go 1.18 or later executable, nor native code") :
					   strerror(-ret));
		s->failed = true;
		return NULL;
	}
	for (uint8_t k = 0; k < d.n && !ret; k++) {
		const struct probe_spec *p = &d.specs[k];
		struct bpf_program *prog = p->exit_prog ? f->skel->progs.sonde_func_return :
							  f->skel->progs.sonde_func_entry;

		ret = uprobe_links_probe(f->links, path, p->offset, p->ref_ctr, p->ret, prog, d.cookie, &s->probes[k]);
		if (!ret)
			s->nprobes = k + 1;
	}
	if (ret) {
		log_warn("functions", "service %s: cannot make the probes of %s in %s: %s", e->cfg.service,
			 e->cfg.symbol, name, strerror(-ret));
		remove_probes(s);
		s->failed = true;
		return NULL;
	}
	s->entry = d.specs[0].offset;
	log_info("functions", "service %s: %s probed in %s %s", e->cfg.service, e->cfg.name, name, d.how);
	return s;
}

/* Where a process maps a file's code. */
struct mapping {
	uint64_t start, end, offset;
	char name[4096];
};

/* The executable mapping of the function's file in pid: the executable,
 * a library by its path or its file name, or for Python a libpython the
 * executable lacks the probes for. */
static int find_mapping(uint32_t pid, const char *exe, const char *library, bool libpython, struct mapping *out)
{
	char maps_path[64], line[4608];
	int found = -ENOENT;
	FILE *fp;

	snprintf(maps_path, sizeof(maps_path), "/proc/%" PRIu32 "/maps", pid);
	fp = fopen(maps_path, "re");
	if (!fp)
		return -errno;
	while (found && fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, offset;
		const char *name, *base;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &start, &end, perms, &offset, &pos) != 4 || !pos ||
		    perms[2] != 'x')
			continue;
		line[strcspn(line, "\n")] = 0;
		name = line + pos;
		if (name[0] != '/')
			continue;
		base = strrchr(name, '/') + 1;
		if (libpython  ? !strncmp(base, "libpython", 9) :
		    library[0] ? !strcmp(name, library) || !strcmp(base, library) :
				 !strcmp(name, exe)) {
			*out = (struct mapping){ start, end, offset, "" };
			snprintf(out->name, sizeof(out->name), "%s", name);
			found = 0;
		}
	}
	fclose(fp);
	return found;
}

/* The kernel puts the breakpoints in as the process maps the file after
 * its events opened; one that mapped it first gets them the slow way. */
static void check_breakpoints(const struct func_probeset *s, uint32_t pid, const struct mapping *m)
{
	uint64_t vaddr;

	if (s->entry < m->offset || s->entry - m->offset >= m->end - m->start)
		return;
	vaddr = m->start + s->entry - m->offset;
	if (uprobe_links_installed((pid_t)pid, vaddr) == 1)
		return;
	uprobe_links_install(s->probes, s->nprobes);
	if (uprobe_links_installed((pid_t)pid, vaddr) != 1)
		log_debug("functions", "cannot put the breakpoints of %s into pid %u", s->name, pid);
}

static void attach(struct func_uprobes *f, struct func_probeset *s, uint32_t pid, uint64_t start_time,
		   const struct mapping *m)
{
	struct func_attachment a = { .pid = pid, .func = s->func, .start_time = start_time, .nfds = s->nprobes };
	int ret = uprobe_links_attach(s->probes, s->nprobes, (pid_t)pid, a.fds);

	if (ret) {
		log_debug("functions", "cannot attach %s to pid %u: %s", s->name, pid, strerror(-ret));
		return;
	}
	if (add_attachment(f, &a)) {
		uprobe_links_detach(a.fds, a.nfds);
		return;
	}
	if (m)
		check_breakpoints(s, pid, m);
	log_debug("functions", "%s attached to pid %u", f->cur.entries[s->func].cfg.name, pid);
}

/* A service's Python functions share one pair of probes, the first's:
 * the kernel tells them apart by name. The function whose probes i's
 * calls hit. */
static uint32_t probes_owner(const struct func_uprobes *f, uint32_t i)
{
	if (f->cur.entries[i].cfg.runtime != FUNC_RUNTIME_PYTHON)
		return i;
	for (uint32_t j = 0; j < i; j++)
		if (f->cur.entries[j].cfg.runtime == FUNC_RUNTIME_PYTHON && f->services[j] == f->services[i])
			return j;
	return i;
}

/* Whether a target of the service has functions to follow. */
static bool service_followed(const struct func_uprobes *f, uint32_t service_id)
{
	for (uint32_t i = 0; i < f->cur.n; i++)
		if (f->services[i] == service_id)
			return true;
	return false;
}

/* The service's functions for one of its processes, those it has not yet. */
static void cover(struct func_uprobes *f, uint32_t pid)
{
	char exe_link[64], exe[4096], path[4200];
	struct sonde_target target;
	struct procfs_stat st;
	ssize_t n;

	if (!f->cur.n || bpf_map_lookup_elem(f->targets_fd, &pid, &target) || !service_followed(f, target.service_id) ||
	    procfs_stat(pid, &st))
		return;
	snprintf(exe_link, sizeof(exe_link), "/proc/%" PRIu32 "/exe", pid);
	n = readlink(exe_link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	for (uint32_t i = 0; i < f->cur.n; i++) {
		const struct function_entry *e = &f->cur.entries[i];
		struct func_attachment *old;
		struct func_probeset *s;
		struct mapping m;
		bool py = e->cfg.runtime == FUNC_RUNTIME_PYTHON;

		if (f->services[i] != target.service_id || probes_owner(f, i) != i)
			continue;
		old = attachment_of(f, pid, i);
		if (old && old->start_time == st.start_time)
			continue;
		/* A pid another process had: its events went with it. */
		if (old)
			detach(f, (size_t)(old - f->attachments));
		if (find_mapping(pid, exe, e->cfg.library, false, &m))
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, m.name);
		s = probeset(f, i, path, m.name);
		/* CPython built with a shared libpython has the probes there. */
		if (!s && py && !find_mapping(pid, exe, "", true, &m)) {
			snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, m.name);
			s = probeset(f, i, path, m.name);
		}
		if (s)
			attach(f, s, pid, st.start_time, &m);
	}
}

/* A reload's functions: the old ones' probes go, the new ones' are made
 * as their processes are covered again. */
static void take_up(struct func_uprobes *f)
{
	int py = bpf_map__fd(f->skel->maps.py_funcs);
	bool dirty;

	pthread_mutex_lock(&f->lock);
	dirty = f->dirty;
	pthread_mutex_unlock(&f->lock);
	if (!dirty)
		return;
	while (f->nattachments)
		detach(f, f->nattachments - 1);
	for (size_t i = 0; i < f->nsets; i++)
		remove_probes(&f->sets[i]);
	f->nsets = 0;
	for (size_t i = 0; i < f->cur.n; i++) {
		struct sonde_py_key key = { .service_id = f->services[i] };

		strncpy(key.name, f->cur.entries[i].py_name, sizeof(key.name) - 1);
		if (f->cur.entries[i].cfg.runtime == FUNC_RUNTIME_PYTHON)
			bpf_map_delete_elem(py, &key);
	}
	pthread_mutex_lock(&f->lock);
	f->cur = f->next;
	memcpy(f->services, f->next_services, sizeof(f->services));
	f->dirty = false;
	pthread_mutex_unlock(&f->lock);
	for (size_t i = 0; i < f->cur.n; i++) {
		struct sonde_py_key key = { .service_id = f->services[i] };

		if (f->cur.entries[i].cfg.runtime != FUNC_RUNTIME_PYTHON)
			continue;
		strncpy(key.name, f->cur.entries[i].py_name, sizeof(key.name) - 1);
		if (bpf_map_update_elem(py, &key, &f->cur.entries[i].id, BPF_ANY))
			log_warn("functions", "cannot follow the Python function %s: %s", f->cur.entries[i].cfg.symbol,
				 strerror(errno));
	}
	if (f->cur.n)
		log_info("functions", "following %zu functions", f->cur.n);
}

/* A new process of a library function's service gets the probes of the
 * files the function was found in before it maps them, as its exec's
 * loader may call in before the next scan. */
static void cover_exec(struct func_uprobes *f, uint32_t pid)
{
	struct sonde_target target;
	struct procfs_stat st;
	char path[4200];
	struct stat fst;

	if (bpf_map_lookup_elem(f->targets_fd, &pid, &target) || procfs_stat(pid, &st))
		return;
	for (size_t i = 0; i < f->nsets; i++) {
		struct func_probeset *s = &f->sets[i];

		if (s->failed || !f->cur.entries[s->func].cfg.library[0] || f->services[s->func] != target.service_id ||
		    attachment_of(f, pid, s->func))
			continue;
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, s->name);
		if (!stat(path, &fst) && fst.st_dev == s->dev && fst.st_ino == s->ino)
			attach(f, s, pid, st.start_time, NULL);
	}
}

void func_uprobes_target(void *arg, uint32_t pid, uint32_t what)
{
	struct func_uprobes *f = arg;

	take_up(f);
	if (what == SONDE_TARGET_EXIT) {
		forget_pid(f, pid);
		return;
	}
	if (what == SONDE_TARGET_EXEC)
		cover_exec(f, pid);
	cover(f, pid);
}

void func_uprobes_scan(void *arg, const uint32_t *pids, size_t n)
{
	struct func_uprobes *f = arg;

	take_up(f);
	if (!f->cur.n)
		return;
	for (size_t i = 0; i < f->nattachments;) {
		struct procfs_stat st;
		uint32_t pid = f->attachments[i].pid;

		if (procfs_stat(pid, &st) || st.start_time != f->attachments[i].start_time)
			forget_pid(f, pid), i = 0;
		else
			i++;
	}
	for (size_t i = 0; i < n; i++)
		cover(f, pids[i]);
}

void func_uprobes_free(struct func_uprobes *f)
{
	for (size_t i = 0; i < f->nattachments; i++)
		uprobe_links_detach(f->attachments[i].fds, f->attachments[i].nfds);
	free(f->attachments);
	for (size_t i = 0; f->sets && i < f->nsets; i++)
		remove_probes(&f->sets[i]);
	free(f->sets);
	pthread_mutex_destroy(&f->lock);
	memset(f, 0, sizeof(*f));
	f->targets_fd = -1;
}

void func_uprobes_report(struct func_uprobes *f, func_report_fn fn, void *arg)
{
	pthread_mutex_lock(&f->lock);
	for (uint32_t i = 0; i < f->cur.n; i++) {
		uint32_t owner = probes_owner(f, i);
		size_t processes = 0;

		for (size_t k = 0; k < f->nattachments; k++)
			processes += f->attachments[k].func == owner;
		fn(arg, &f->cur.entries[i].cfg, processes);
	}
	pthread_mutex_unlock(&f->lock);
}
