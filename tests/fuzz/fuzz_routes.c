// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Routes from arbitrary targets, into an output buffer as small as the
 * first byte says, and the same targets against a few patterns. Checks
 * what every route promises: NUL-terminated at its length, rooted, no
 * query or fragment, bounded segments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_route(const char *out, int n, size_t out_size)
{
	size_t segments = 0, seg_len = 0;

	if ((size_t)n >= out_size || strlen(out) != (size_t)n)
		abort();
	if (!strcmp(out, "*"))
		return;
	if (out[0] != '/' || strpbrk(out, "?#"))
		abort();
	for (const char *p = out + 1; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			abort();
		if (*p == '/') {
			segments++;
			seg_len = 0;
		} else if (++seg_len > ROUTE_ID_SEGMENT_MAX) {
			abort();
		}
	}
	/* Counted are the slashes after the first: 16 segments and {rest}. */
	if (segments > ROUTE_MAX_SEGMENTS)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const patterns[] = { "/api/users/{id}", "/api/orders/{order}/items/{item}", "/files/{name}",
						"/", "/a//{x}/" };
	static struct route_set rs;
	char out[1200], *target;
	size_t out_size;
	int n;

	if (!rs.n)
		for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
			if (routes_add(&rs, patterns[i]))
				abort();
	if (!size)
		return 0;
	out_size = data[0] % 2 ? sizeof(out) : data[0] / 2u;
	/* An exact-size copy, so that ASan sees any read past len. */
	target = malloc(size - 1 ? size - 1 : 1);
	if (!target)
		return 0;
	memcpy(target, data + 1, size - 1);
	n = routes_from_target(target, size - 1, out, out_size);
	if (n >= 0)
		check_route(out, n, out_size);
	n = routes_match(&rs, target, size - 1, out, out_size);
	if (n >= 0) {
		size_t i = 0;

		while (i < rs.n && strcmp(rs.patterns[i], out))
			i++;
		if (i == rs.n || (size_t)n != strlen(out))
			abort();
	}
	free(target);
	return 0;
}
