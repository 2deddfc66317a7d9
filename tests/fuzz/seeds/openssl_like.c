// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Built into a shared library, the seed of fuzz_elf: an ELF file with
 * OpenSSL's entry points, each calling an internal function first with
 * the same arguments, as Debian's libssl3 does. */
#include <stddef.h>

__attribute__((noinline)) int ssl_read_internal(void *s, void *buf, size_t num, size_t *done)
{
	*done = num && s && buf ? 1 : 0;
	return (int)*done;
}

__attribute__((noinline)) int ssl_write_internal(void *s, const void *buf, size_t num, size_t *done)
{
	*done = num && s && buf ? num : 0;
	return *done > 0;
}

int SSL_read_ex(void *s, void *buf, size_t num, size_t *done)
{
	int ret = ssl_read_internal(s, buf, num, done);

	return ret > 0 ? 1 : ret;
}

int SSL_read(void *s, void *buf, int num)
{
	size_t done = 0;
	int ret = ssl_read_internal(s, buf, (size_t)num, &done);

	return ret > 0 ? (int)done : ret;
}

int SSL_write_ex(void *s, const void *buf, size_t num, size_t *done)
{
	int ret = ssl_write_internal(s, buf, num, done);

	return ret > 0 ? 1 : ret;
}

int SSL_write(void *s, const void *buf, int num)
{
	size_t done = 0;
	int ret = ssl_write_internal(s, buf, (size_t)num, &done);

	return ret > 0 ? (int)done : ret;
}

/* A USDT probe as <sys/sdt.h> writes one, so the notes' parser starts
 * from a real note: python:function__entry with two pointer arguments in
 * registers, its semaphore in .probes, and .stapsdt.base. */
__attribute__((section(".probes"), used)) unsigned short python_function__entry_semaphore;

void usdt_site(const char *file, const char *name, int line)
{
	__asm__ volatile("990: nop\n"
			 ".pushsection .note.stapsdt,\"?\",\"note\"\n"
			 ".balign 4\n"
			 ".4byte 992f-991f, 994f-993f, 3\n"
			 "991: .asciz \"stapsdt\"\n"
			 "992: .balign 4\n"
			 "993: .8byte 990b\n"
			 ".8byte _.stapsdt.base\n"
			 ".8byte python_function__entry_semaphore\n"
			 ".asciz \"python\"\n"
			 ".asciz \"function__entry\"\n"
			 ".asciz \"8@%0 8@%1 -4@%2\"\n"
			 "994: .balign 4\n"
			 ".popsection\n"
			 ".ifndef _.stapsdt.base\n"
			 ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n"
			 ".weak _.stapsdt.base\n"
			 ".hidden _.stapsdt.base\n"
			 "_.stapsdt.base: .space 1\n"
			 ".size _.stapsdt.base, 1\n"
			 ".popsection\n"
			 ".endif\n"
			 :
			 : "r"(file), "r"(name), "r"(line));
}
