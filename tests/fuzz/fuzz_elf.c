// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a process maps is not to be trusted: arbitrary bytes as an ELF file
 * (symbols, segments, the code at a symbol, Go's build version, USDT
 * notes, the padding after functions) and as
 * code to decode for a probe site or return instructions, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/binary.h"
#include "elf/sites.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The decoder stays loaded, as while the daemon decodes a file. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sites_hold();
	return 0;
}

struct bytes {
	const uint8_t *p;
	size_t n;
};

/* The input as code at 0x1000. */
static ssize_t read_bytes(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	const struct bytes *b = arg;

	if (vaddr < 0x1000 || vaddr - 0x1000 >= b->n)
		return -1;
	if (n > b->n - (vaddr - 0x1000))
		n = b->n - (vaddr - 0x1000);
	memcpy(buf, b->p + (vaddr - 0x1000), n);
	return (ssize_t)n;
}

static ssize_t read_binary(void *arg, uint64_t vaddr, uint8_t *buf, size_t n)
{
	return binary_read(arg, vaddr, buf, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytes code = { data, size };
	char path[64];
	struct binary b;
	struct binary_usdt usdt;
	struct site s;
	uint64_t vaddr, offset, fsize, rets[8];
	int fd, major, minor;

	for (size_t at = 0; at < size && at < 16; at++)
		sites_find(read_bytes, &code, 0x1000 + at, &s);
	sites_returns(read_bytes, &code, 0x1000, size, rets, 8);
	fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!binary_open(&b, path)) {
			if (!binary_symbol(&b, "SSL_read_ex", &vaddr)) {
				binary_offset(&b, vaddr, &offset);
				sites_find(read_binary, &b, vaddr, &s);
			}
			binary_symbol(&b, "SSL_write", &vaddr);
			if (!binary_function(&b, "crypto/tls.(*Conn).Read", &vaddr, &fsize))
				sites_returns(read_binary, &b, vaddr, fsize, rets, 8);
			binary_go_version(&b, &major, &minor);
			binary_usdt(&b, "python", "function__entry", &usdt);
			binary_unreached_nop(&b, &vaddr);
			binary_close(&b);
		}
	}
	close(fd);
	return 0;
}
