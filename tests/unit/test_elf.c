// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where uprobes go: ELF symbols and segments, and the sites the kernel
 * emulates, on code of the test's own and on the system's libssl; Go's
 * prologues, return instructions and build version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf/binary.h"
#include "elf/sites.h"

/* Code at 0x1000 and at 0x2000, as a function table would place it. */
struct code {
	uint8_t at1000[64];
	uint8_t at2000[64];
};

static ssize_t read_code(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	const struct code *c = arg;
	const uint8_t *base;

	if (vaddr >= 0x1000 && vaddr < 0x1040)
		base = c->at1000 + (vaddr - 0x1000);
	else if (vaddr >= 0x2000 && vaddr < 0x2040)
		base = c->at2000 + (vaddr - 0x2000);
	else
		return -ENOENT;
	if (n > 0x40 - (vaddr & 0x3f))
		n = 0x40 - (vaddr & 0x3f);
	memcpy(buf, base, n);
	return (ssize_t)n;
}

static void test_emulated(void **state)
{
	(void)state;
	assert_true(sites_emulated((const uint8_t *)"\x55", 1)); /* push rbp */
	assert_true(sites_emulated((const uint8_t *)"\x41\x56", 2)); /* push r14 */
	assert_true(sites_emulated((const uint8_t *)"\x90", 1)); /* nop */
	assert_true(sites_emulated((const uint8_t *)"\x0f\x1f\x44\x00\x00", 5));
	assert_true(sites_emulated((const uint8_t *)"\xe8\x00\x00\x00\x00", 5)); /* call rel32 */
	assert_true(sites_emulated((const uint8_t *)"\xeb\x10", 2));
	assert_true(sites_emulated((const uint8_t *)"\x0f\x84\x00\x01\x00\x00", 6));
	assert_false(sites_emulated((const uint8_t *)"\x48\x83\xec\x18", 4)); /* sub $0x18,%rsp */
	assert_false(sites_emulated((const uint8_t *)"\xf3\x0f\x1e\xfa", 4)); /* endbr64 */
	assert_false(sites_emulated((const uint8_t *)"\xc3", 1)); /* ret */
	assert_false(sites_emulated((const uint8_t *)"\x41", 1));
	assert_false(sites_emulated(NULL, 0));
}

static void test_follow_first_call(void **state)
{
	struct code c = { 0 };
	struct site s;

	(void)state;
	/* sub $0x8,%rsp; call 0x2000 - as SSL_read_ex calls its internal
	 * function - and that one starts with push %r14. */
	memcpy(c.at1000, "\x48\x83\xec\x08\xe8\xf7\x0f\x00\x00\x48\x83\xc4\x08\xc3", 14);
	memcpy(c.at2000, "\x41\x56\x41\x55\xc3", 5);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x2000);
	assert_int_equal(s.kind, SITE_EMULATED);
	assert_true(s.followed);
	assert_string_equal(s.insn, "push r14");
	/* A function that starts with an emulated instruction is itself. */
	assert_int_equal(sites_find(read_code, &c, 0x2000, &s), 0);
	assert_int_equal(s.vaddr, 0x2000);
	assert_false(s.followed);
}

static void test_arguments_changed(void **state)
{
	struct code c = { 0 };
	struct site s;

	(void)state;
	memcpy(c.at2000, "\x55\xc3", 2);
	/* movslq %edx,%rdx before the call: the callee takes other arguments. */
	memcpy(c.at1000, "\x48\x83\xec\x18\x48\x63\xd2\xe8\xf4\x0f\x00\x00\xc3", 13);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x1000);
	assert_int_equal(s.kind, SITE_SINGLE_STEPPED);
	assert_string_equal(s.insn, "sub rsp, 0x18");
	/* A branch before the call: it may not be reached. */
	memcpy(c.at1000, "\x48\x83\xec\x18\x78\x05\xe8\xf5\x0f\x00\x00\xc3", 12);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.kind, SITE_SINGLE_STEPPED);
	/* A callee that is single-stepped too gains nothing. */
	memcpy(c.at1000, "\x48\x83\xec\x08\xe8\xf7\x0f\x00\x00\xc3", 10);
	memcpy(c.at2000, "\x48\x83\xec\x08\xc3", 5);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x1000);
	/* No code there at all. */
	assert_int_equal(sites_find(read_code, &c, 0x5000, &s), -EIO);
}

/* Go's prologue checks the stack, then branches: the branch is the site. */
static void test_go_prologue(void **state)
{
	struct code c = { 0 };
	struct site s;

	(void)state;
	/* cmp 0x10(%r14),%rsp; jbe: crypto/tls.(*Conn).Read. */
	memcpy(c.at1000, "\x49\x3b\x66\x10\x0f\x86\xc2\x03\x00\x00\x48\x83\xec\x68", 14);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x1004);
	assert_int_equal(s.kind, SITE_EMULATED);
	assert_false(s.followed);
	/* lea -0x68(%rsp),%r12; cmp 0x10(%r14),%r12; jbe: a larger frame's, Write. */
	memcpy(c.at1000, "\x4c\x8d\x64\x24\x98\x4d\x3b\x66\x10\x0f\x86\x64\x07\x00\x00", 15);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x1009);
	assert_int_equal(s.kind, SITE_EMULATED);
	/* A lea into an argument register changes what the branch sees. */
	memcpy(c.at1000, "\x48\x8d\x7c\x24\x98\x4d\x3b\x66\x10\x0f\x86\x64\x07\x00\x00", 15);
	assert_int_equal(sites_find(read_code, &c, 0x1000, &s), 0);
	assert_int_equal(s.vaddr, 0x1000);
	assert_int_equal(s.kind, SITE_SINGLE_STEPPED);
}

/* Every return instruction of a function, for Go's return probes. */
static void test_returns(void **state)
{
	struct code c = { 0 };
	uint64_t rets[4];

	(void)state;
	/* push %rbp; test %eax,%eax; je +1; ret; pop %rbp; ret; then padding. */
	memcpy(c.at1000, "\x55\x85\xc0\x74\x01\xc3\x5d\xc3\xcc\xcc", 10);
	assert_int_equal(sites_returns(read_code, &c, 0x1000, 10, rets, 4), 2);
	assert_int_equal(rets[0], 0x1005);
	assert_int_equal(rets[1], 0x1007);
	assert_int_equal(sites_returns(read_code, &c, 0x1000, 10, rets, 1), -E2BIG);
	assert_int_equal(sites_returns(read_code, &c, 0x1000, 0, rets, 4), -E2BIG);
	/* Past the code there is: the function cannot be read whole. */
	assert_int_equal(sites_returns(read_code, &c, 0x1000, 0x80, rets, 4), -EIO);
}

/* The version a Go toolchain writes into .go.buildinfo, here this test's own. */
static const char go_buildinfo[]
	__attribute__((section(".go.buildinfo"), used, aligned(16))) = "\xff Go buildinf:\x08\x02"
								       "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
								       "\x08go1.19.8";

static void test_go_version(void **state)
{
	struct binary b;
	int major, minor;

	(void)state;
	(void)go_buildinfo;
	assert_int_equal(binary_open(&b, "/proc/self/exe"), 0);
	assert_int_equal(binary_go_version(&b, &major, &minor), 0);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 19);
	binary_close(&b);
}

static ssize_t read_binary(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	return binary_read(arg, vaddr, buf, n);
}

/* Debian's libssl3: SSL_read_ex and SSL_write_ex start with sub and call
 * internal functions that start with push. */
static void test_system_libssl(void **state)
{
	static const char *const paths[] = { "/usr/lib/x86_64-linux-gnu/libssl.so.3", "/usr/lib64/libssl.so.3" };
	static const char *const names[] = { "SSL_read_ex", "SSL_write_ex" };
	struct binary b;
	uint64_t vaddr, offset;
	size_t i;

	(void)state;
	for (i = 0; i < 2 && access(paths[i], R_OK); i++)
		;
	if (i == 2)
		skip();
	assert_int_equal(binary_open(&b, paths[i]), 0);
	for (size_t k = 0; k < 2; k++) {
		struct site s;

		assert_int_equal(binary_symbol(&b, names[k], &vaddr), 0);
		assert_int_equal(binary_offset(&b, vaddr, &offset), 0);
		assert_int_equal(sites_find(read_binary, &b, vaddr, &s), 0);
		assert_int_equal(s.kind, SITE_EMULATED);
		assert_true(s.followed);
		assert_int_equal(strncmp(s.insn, "push", 4), 0);
	}
	assert_int_equal(binary_symbol(&b, "no_such_function", &vaddr), -ENOENT);
	assert_int_equal(binary_offset(&b, 1ull << 60, &offset), -ENOENT);
	binary_close(&b);
}

/* Debian's CPython: its USDT probes, their semaphores and arguments, and
 * a nop after a function's return that no code reaches. */
static void test_python_usdt(void **state)
{
	static const char *const probes[] = { "function__entry", "function__return", "line" };
	struct binary_usdt u;
	struct binary b;
	uint8_t code[2];
	uint64_t vaddr;

	(void)state;
	if (access("/usr/bin/python3.11", R_OK))
		skip();
	assert_int_equal(binary_open(&b, "/usr/bin/python3.11"), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(binary_usdt(&b, "python", probes[i], &u), 0);
		assert_true(u.offset && u.semaphore);
		assert_int_equal(strncmp(u.args, "8@%", 3), 0);
	}
	assert_int_equal(binary_usdt(&b, "python", "no__such__probe", &u), -ENOENT);
	assert_int_equal(binary_usdt(&b, "node", "function__entry", &u), -ENOENT);
	assert_int_equal(binary_unreached_nop(&b, &vaddr), 0);
	assert_int_equal(binary_read(&b, vaddr - 1, code, 2), 2);
	assert_int_equal(code[0], 0xc3);
	assert_true(code[1] == 0x90 || code[1] == 0x66 || code[1] == 0x0f || code[1] == 0x2e);
	binary_close(&b);
}

static void test_not_elf(void **state)
{
	char path[] = "/tmp/sonde-test-elf.XXXXXX";
	struct binary b;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	close(fd);
	assert_int_equal(binary_open(&b, path), -ENOEXEC);
	assert_int_equal(binary_open(&b, "/nonexistent/file"), -ENOENT);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulated),	  cmocka_unit_test(test_follow_first_call),
		cmocka_unit_test(test_arguments_changed), cmocka_unit_test(test_system_libssl),
		cmocka_unit_test(test_not_elf),		  cmocka_unit_test(test_go_prologue),
		cmocka_unit_test(test_returns),		  cmocka_unit_test(test_go_version),
		cmocka_unit_test(test_python_usdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
