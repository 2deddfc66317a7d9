// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "base/clocks.h"
#include "base/log.h"
#include "sonde.skel.h"
#include "kernel/tls_uprobes.h"

void tls_uprobes_init(struct tls_uprobes *t, struct sonde_bpf *skel)
{
	memset(t, 0, sizeof(*t));
	t->skel = skel;
	elf_version(EV_CURRENT);
}

static struct tls_file *file_seen(struct tls_uprobes *t, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i].dev == dev && t->files[i].ino == ino)
			return &t->files[i];
	return NULL;
}

/* Whether an ELF file defines SSL_read: a statically linked OpenSSL. */
static bool has_openssl(const char *path)
{
	bool found = false;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && !found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			found = name && !strcmp(name, "SSL_read");
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

static int attach_file(struct tls_uprobes *t, struct tls_file *f, const char *path)
{
	const struct {
		struct bpf_program *prog;
		const char *func;
		bool ret;
	} probes[TLS_NPROBES] = {
		{ t->skel->progs.sonde_ssl_read, "SSL_read", false },
		{ t->skel->progs.sonde_ssl_read_ret, "SSL_read", true },
		{ t->skel->progs.sonde_ssl_write, "SSL_write", false },
		{ t->skel->progs.sonde_ssl_write_ret, "SSL_write", true },
		{ t->skel->progs.sonde_ssl_read_ex, "SSL_read_ex", false },
		{ t->skel->progs.sonde_ssl_read_ex_ret, "SSL_read_ex", true },
		{ t->skel->progs.sonde_ssl_write_ex, "SSL_write_ex", false },
		{ t->skel->progs.sonde_ssl_write_ex_ret, "SSL_write_ex", true },
	};
	size_t n = 0;

	for (size_t i = 0; i < TLS_NPROBES; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = probes[i].func, .retprobe = probes[i].ret);

		f->links[i] = bpf_program__attach_uprobe_opts(probes[i].prog, -1, path, 0, &opts);
		if (f->links[i])
			n++;
	}
	/* OpenSSL 1.1.0 has no _ex forms: the other four suffice. */
	if (n < 4) {
		for (size_t i = 0; i < TLS_NPROBES; i++)
			bpf_link__destroy(f->links[i]);
		memset(f->links, 0, sizeof(f->links));
		f->state = TLS_FILE_FAILED;
		if (++f->tries == TLS_MAX_TRIES)
			log_warn("tls", "cannot attach to %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	f->state = TLS_FILE_ATTACHED;
	log_info("tls", "attached to %s (%zu probes)", path, n);
	return 0;
}

/* A file a process maps: looked at once, attached to when it holds
 * OpenSSL. Returns 1 when it was attached to now. */
static int cover(struct tls_uprobes *t, uint64_t dev, uint64_t ino, const char *path, bool lib)
{
	struct tls_file *f = file_seen(t, dev, ino);

	if (!f) {
		if (t->nfiles == TLS_MAX_FILES) {
			if (!t->full_logged)
				log_warn("tls", "%d files looked at: %s and later ones are not", TLS_MAX_FILES, path);
			t->full_logged = true;
			return 0;
		}
		f = &t->files[t->nfiles++];
		f->dev = dev;
		f->ino = ino;
		f->state = lib || has_openssl(path) ? TLS_FILE_FAILED : TLS_FILE_NO_OPENSSL;
	}
	if (f->state != TLS_FILE_FAILED || f->tries >= TLS_MAX_TRIES)
		return 0;
	return !attach_file(t, f, path);
}

/* The files one process maps: libssl by name, and its executable when
 * OpenSSL's symbols are in it. */
static int scan_pid(struct tls_uprobes *t, uint32_t pid)
{
	char maps_path[64], exe_path[64], exe[4096], line[4608], path[4160];
	uint64_t prev_dev = 0, prev_ino = 0;
	int attached = 0;
	ssize_t elen;
	FILE *f;

	snprintf(maps_path, sizeof(maps_path), "/proc/%" PRIu32 "/maps", pid);
	snprintf(exe_path, sizeof(exe_path), "/proc/%" PRIu32 "/exe", pid);
	elen = readlink(exe_path, exe, sizeof(exe) - 1);
	exe[elen > 0 ? elen : 0] = 0;
	f = fopen(maps_path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned int major, minor;
		unsigned long long ino;
		const char *name, *base;
		int pos = 0;
		bool lib;

		if (sscanf(line, "%*s %*s %*s %x:%x %llu %n", &major, &minor, &ino, &pos) != 3 || !ino || !pos)
			continue;
		name = line + pos;
		line[strcspn(line, "\n")] = 0;
		if (name[0] != '/')
			continue;
		base = strrchr(name, '/') + 1;
		lib = !strncmp(base, "libssl.so", 9);
		/* A file's segments come in a row: one try per process. */
		if ((!lib && strcmp(name, exe)) || (prev_dev == ((uint64_t)major << 32 | minor) && prev_ino == ino))
			continue;
		prev_dev = (uint64_t)major << 32 | minor;
		prev_ino = ino;
		/* Through the process's root, so files in containers resolve. */
		snprintf(path, sizeof(path), "/proc/%" PRIu32 "/root%s", pid, name);
		attached += cover(t, prev_dev, prev_ino, path, lib);
	}
	fclose(f);
	return attached;
}

int tls_uprobes_scan(struct tls_uprobes *t, const uint32_t *pids, size_t n)
{
	int attached = 0;

	for (size_t i = 0; i < n; i++)
		attached += scan_pid(t, pids[i]);
	return attached;
}

static void *run(void *arg)
{
	struct tls_uprobes *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		clocks_wait_until(&t->wake, &t->lock, clocks_mono_ms() + TLS_SCAN_INTERVAL_MS);
		if (t->stopping)
			break;
		pthread_mutex_unlock(&t->lock);
		tls_uprobes_scan(t, t->pids, t->pids_fn(t->pids_arg, t->pids, TLS_SCAN_PIDS));
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int tls_uprobes_start(struct tls_uprobes *t, tls_pids_fn pids_fn, void *arg)
{
	int ret;

	t->pids = malloc(TLS_SCAN_PIDS * sizeof(*t->pids));
	if (!t->pids)
		return -ENOMEM;
	t->pids_fn = pids_fn;
	t->pids_arg = arg;
	tls_uprobes_scan(t, t->pids, pids_fn(arg, t->pids, TLS_SCAN_PIDS));
	pthread_mutex_init(&t->lock, NULL);
	clocks_cond_init(&t->wake);
	ret = pthread_create(&t->thread, NULL, run, t);
	if (ret) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
		return -ret;
	}
	t->started = true;
	return 0;
}

void tls_uprobes_free(struct tls_uprobes *t)
{
	if (t->started) {
		pthread_mutex_lock(&t->lock);
		t->stopping = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->wake);
	}
	free(t->pids);
	for (size_t i = 0; i < t->nfiles; i++)
		for (size_t k = 0; k < TLS_NPROBES; k++)
			bpf_link__destroy(t->files[i].links[k]);
	memset(t, 0, sizeof(*t));
}
