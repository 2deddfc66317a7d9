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
