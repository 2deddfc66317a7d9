/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* An executable or shared library as uprobes see it: its function
 * symbols, its loaded segments, and the bytes of its code. Read with
 * libelf; the file is untrusted, so every address is checked against the
 * segments before it is read. */
#ifndef SONDE_BINARY_H
#define SONDE_BINARY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BINARY_MAX_SEGMENTS 16

struct binary {
	int fd;
	void *elf; /* Elf * */
	size_t nsegments;
	struct {
		uint64_t vaddr, memsz, offset, filesz;
	} segments[BINARY_MAX_SEGMENTS]; /* PT_LOAD, executable ones only */
};

/* 0, or a negative errno for a file that is not a readable x86-64 ELF. */
int binary_open(struct binary *b, const char *path);
void binary_close(struct binary *b);
/* The address of a function defined in the file under that name, from
 * .symtab or, stripped, .dynsym (a versioned name matches too: SSL_read
 * is SSL_read@@OPENSSL_3.0.0). 0 or -ENOENT. */
int binary_symbol(const struct binary *b, const char *name, uint64_t *vaddr);
/* The same, with the function's size in bytes (0 if the table has none). */
int binary_function(const struct binary *b, const char *name, uint64_t *vaddr, uint64_t *size);
/* The Go release that built the executable, from its .go.buildinfo (Go
 * 1.18 and later write the version there): 0, -ENOENT for no Go
 * executable, -ENOTSUP for an older Go's, -EBADMSG. */
int binary_go_version(const struct binary *b, int *major, int *minor);
/* A USDT probe (SystemTap's .note.stapsdt): where it is in the file, its
 * semaphore's file offset (0 for none), which the kernel counts up while
 * a probe is attached so the program computes the arguments, and their
 * locations ("8@%rbp 8@%r12 -4@%eax"). */
struct binary_usdt {
	uint64_t offset;
	uint64_t semaphore;
	char args[256];
};

/* 0, -ENOENT for no such probe. */
int binary_usdt(const struct binary *b, const char *provider, const char *name, struct binary_usdt *out);
/* The address of a nop no code reaches: the padding after a function's
 * end, for a probe that must never be hit (one that holds a USDT
 * semaphore up). 0 or -ENOENT. */
int binary_unreached_nop(const struct binary *b, uint64_t *vaddr);
/* The file offset of an address in an executable segment; 0 or -ENOENT. */
int binary_offset(const struct binary *b, uint64_t vaddr, uint64_t *offset);
/* Up to n bytes of code from vaddr, stopping at its segment's end; how
 * many were read, or a negative errno. */
ssize_t binary_read(const struct binary *b, uint64_t vaddr, uint8_t *buf, size_t n);

#endif
