// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
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

static int find_in(Elf *elf, Elf64_Word type, const char *name, uint64_t *vaddr, uint64_t *size)
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
				*size = sym.st_size;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int binary_function(const struct binary *b, const char *name, uint64_t *vaddr, uint64_t *size)
{
	if (!find_in(b->elf, SHT_SYMTAB, name, vaddr, size))
		return 0;
	return find_in(b->elf, SHT_DYNSYM, name, vaddr, size);
}

int binary_symbol(const struct binary *b, const char *name, uint64_t *vaddr)
{
	uint64_t size;

	return binary_function(b, name, vaddr, &size);
}

/* The bytes of the section called name, or NULL. */
static Elf_Data *section_data(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t names;

	if (elf_getshdrstrndx(elf, &names))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_PROGBITS && (n = elf_strptr(elf, names, sh.sh_name)) &&
		    !strcmp(n, name))
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

int binary_go_version(const struct binary *b, int *major, int *minor)
{
	static const char magic[] = "\xff Go buildinf:";
	Elf_Data *d = section_data(b->elf, ".go.buildinfo");
	const uint8_t *p;
	char text[0x80];
	size_t len;

	/* The header: magic, pointer size, flags; with flag 2 (Go 1.18 on)
	 * the version follows at 32 as a length byte and its text. */
	if (!d || !d->d_buf || d->d_size < 34)
		return -ENOENT;
	p = d->d_buf;
	if (memcmp(p, magic, sizeof(magic) - 1))
		return -ENOENT;
	if (!(p[15] & 2))
		return -ENOTSUP;
	len = p[32];
	if (len >= 0x80 || 33 + len > d->d_size || len < 5 || memcmp(p + 33, "go", 2))
		return -EBADMSG;
	memcpy(text, p + 35, len - 2);
	text[len - 2] = 0;
	*major = *minor = 0;
	if (sscanf(text, "%d.%d", major, minor) < 1)
		return -EBADMSG;
	return 0;
}

/* The address of the section called name, or 0. */
static uint64_t section_addr(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t names;

	if (elf_getshdrstrndx(elf, &names))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(elf, names, sh.sh_name)) && !strcmp(n, name))
			return sh.sh_addr;
	}
	return 0;
}

/* The file offset of an address in any loaded segment, data too. */
static int load_offset(Elf *elf, uint64_t vaddr, uint64_t *offset)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && vaddr >= ph.p_vaddr &&
		    vaddr - ph.p_vaddr < ph.p_filesz) {
			*offset = ph.p_offset + (vaddr - ph.p_vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

/* One stapsdt note's descriptor: the probe's address, the base the
 * addresses were linked at, its semaphore's address, then the provider,
 * the name and the arguments, each ending in a NUL. */
static int usdt_note(const struct binary *b, const uint8_t *desc, size_t len, const char *provider, const char *name,
		     struct binary_usdt *out)
{
	const char *prov = (const char *)desc + 24, *end = (const char *)desc + len, *nm, *args;
	uint64_t pc, base, sema, actual;

	if (len < 27 || !memchr(prov, 0, (size_t)(end - prov)))
		return -ENOENT;
	nm = prov + strlen(prov) + 1;
	if (nm >= end || !memchr(nm, 0, (size_t)(end - nm)))
		return -ENOENT;
	args = nm + strlen(nm) + 1;
	if (strcmp(prov, provider) || strcmp(nm, name) || args >= end || !memchr(args, 0, (size_t)(end - args)))
		return -ENOENT;
	memcpy(&pc, desc, 8);
	memcpy(&base, desc + 8, 8);
	memcpy(&sema, desc + 16, 8);
	/* A file prelinked elsewhere moved its probes with .stapsdt.base. */
	actual = section_addr(b->elf, ".stapsdt.base");
	if (actual && base)
		pc += actual - base;
	if (binary_offset(b, pc, &out->offset))
		return -ENOENT;
	out->semaphore = 0;
	if (sema && load_offset(b->elf, sema, &out->semaphore))
		return -ENOENT;
	snprintf(out->args, sizeof(out->args), "%s", args);
	return 0;
}

int binary_usdt(const struct binary *b, const char *provider, const char *name, struct binary_usdt *out)
{
	Elf_Scn *scn = NULL;
	size_t names;

	if (elf_getshdrstrndx(b->elf, &names))
		return -ENOENT;
	while ((scn = elf_nextscn(b->elf, scn))) {
		size_t off = 0, name_off, desc_off;
		const char *sn;
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(sn = elf_strptr(b->elf, names, sh.sh_name)) || strcmp(sn, ".note.stapsdt") ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp((char *)data->d_buf + name_off, "stapsdt", 8))
				continue;
			if (!usdt_note(b, (const uint8_t *)data->d_buf + desc_off, nh.n_descsz, provider, name, out))
				return 0;
		}
	}
	return -ENOENT;
}

/* A nop as compilers pad between functions: 90, 66 90, 0f 1f .., and
 * those behind 66 and 2e prefixes. */
static int is_nop(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 8 && (p[i] == 0x66 || p[i] == 0x2e))
		i++;
	return (i < n && p[i] == 0x90) || (i + 1 < n && p[i] == 0x0f && p[i + 1] == 0x1f);
}

int binary_unreached_nop(const struct binary *b, uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(b->elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			uint8_t code[16];
			GElf_Sym sym;

			/* Past a function that ends in a return or a jump. */
			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_size < 2 ||
			    binary_read(b, sym.st_value + sym.st_size - 1, code, sizeof(code)) != sizeof(code) ||
			    code[0] != 0xc3 || !is_nop(code + 1, sizeof(code) - 1))
				continue;
			*vaddr = sym.st_value + sym.st_size;
			return 0;
		}
	}
	return -ENOENT;
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
