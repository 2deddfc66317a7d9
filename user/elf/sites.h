/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where a uprobe on a function costs least. The kernel emulates a few x86
 * instructions under a breakpoint (push of a register, nop, jmp, jcc,
 * call rel32) and single-steps the rest, which on a hypervisor costs a
 * debug exception it intercepts: about 9 us a hit here against 0.7 us.
 * Decoded with capstone from bytes the caller reads. */
#ifndef SONDE_SITES_H
#define SONDE_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum site_kind { SITE_EMULATED, SITE_SINGLE_STEPPED };

struct site {
	uint64_t vaddr; /* the function the probes go on */
	enum site_kind kind; /* of its first instruction */
	bool followed; /* the function the symbol calls, not the symbol */
	char insn[64]; /* that instruction, for the log: "push r13" */
};

/* Up to n bytes of code at vaddr; how many were read, or a negative errno. */
typedef ssize_t (*sites_read_fn)(void *arg, uint64_t vaddr, uint8_t *buf, size_t n);

/* The entry for an entry and a return probe on the function at vaddr: the
 * function itself when the kernel emulates its first instruction, or the
 * branch of a stack check when it comes first (Go's); else the
 * function it calls before any branch, with its first four arguments
 * untouched (so it takes the same ones), when that one's first instruction
 * is emulated; else the function itself, single-stepped. 0, or -EIO when
 * no instruction decodes at vaddr. */
int sites_find(sites_read_fn read, void *arg, uint64_t vaddr, struct site *out);
/* The return instructions of the function of size bytes at vaddr, read
 * from start to end, into out: how many (up to max), -E2BIG for more or
 * a longer function, -EBADMSG for bytes that do not decode, -ENOENT
 * without capstone. For a function whose stack moves (Go's), where a
 * uretprobe's rewritten return address would go with it. */
int sites_returns(sites_read_fn read, void *arg, uint64_t vaddr, uint64_t size, uint64_t *out, size_t max);
/* Whether the function at vaddr calls target within its first
 * instructions, read in a straight line. */
bool sites_calls(sites_read_fn read, void *arg, uint64_t vaddr, uint64_t target);
/* Keeps the disassembler loaded from hold to release, for several
 * decodes in a row; without it each loads and unloads it (a millisecond).
 * One thread's: the holder's. */
void sites_hold(void);
void sites_release(void);
/* Whether the kernel's x86 uprobes emulate the instruction at code. */
bool sites_emulated(const uint8_t *code, size_t n);

#endif
