// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where uprobes go: ELF symbols and segments, and the sites the kernel
 * emulates, on code of the test's own and on the system's libssl. */
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
		cmocka_unit_test(test_not_elf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
