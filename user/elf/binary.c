// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "elf/binary.h"

int binary_open(struct binary *b, const char *path)
{
	GElf_Ehdr eh;
	size_t n;
	Elf *elf;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	b->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	elf = elf_begin(b->fd, ELF_C_READ, NULL);
	b->elf = elf;
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || eh.e_machine != EM_X86_64 ||
	    elf_getphdrnum(elf, &n)) {
		binary_close(b);
		return -ENOEXEC;
	}
	for (size_t i = 0; i < n && b->nsegments < BINARY_MAX_SEGMENTS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		b->segments[b->nsegments].vaddr = ph.p_vaddr;
		b->segments[b->nsegments].memsz = ph.p_memsz;
		b->segments[b->nsegments].offset = ph.p_offset;
		b->segments[b->nsegments].filesz = ph.p_filesz;
		b->nsegments++;
	}
	return 0;
}

void binary_close(struct binary *b)
{
	if (b->elf)
		elf_end(b->elf);
	if (b->fd >= 0)
		close(b->fd);
	b->elf = NULL;
	b->fd = -1;
}

/* A name as the symbol table has it, maybe with a version after '@'. */
static int same_name(const char *sym, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(sym, name, n) && (sym[n] == 0 || sym[n] == '@');
}

static int find_in(Elf *elf, Elf64_Word type, const char *name, uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			const char *sym_name;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value)
				continue;
			sym_name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (sym_name && same_name(sym_name, name)) {
				*vaddr = sym.st_value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int binary_symbol(const struct binary *b, const char *name, uint64_t *vaddr)
{
	if (!find_in(b->elf, SHT_SYMTAB, name, vaddr))
		return 0;
	return find_in(b->elf, SHT_DYNSYM, name, vaddr);
}

int binary_offset(const struct binary *b, uint64_t vaddr, uint64_t *offset)
{
	for (size_t i = 0; i < b->nsegments; i++) {
		uint64_t start = b->segments[i].vaddr;

		if (vaddr >= start && vaddr - start < b->segments[i].filesz) {
			*offset = b->segments[i].offset + (vaddr - start);
			return 0;
		}
	}
	return -ENOENT;
}

ssize_t binary_read(const struct binary *b, uint64_t vaddr, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < b->nsegments; i++) {
		uint64_t start = b->segments[i].vaddr, left;
		ssize_t got;

		if (vaddr < start || vaddr - start >= b->segments[i].filesz)
			continue;
		left = b->segments[i].filesz - (vaddr - start);
		if (n > left)
			n = (size_t)left;
		got = pread(b->fd, buf, n, (off_t)(b->segments[i].offset + (vaddr - start)));
		return got < 0 ? -errno : got;
	}
	return -ENOENT;
}
