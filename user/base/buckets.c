// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buckets.h"

const double buckets_default[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const size_t buckets_default_len = sizeof(buckets_default) / sizeof(buckets_default[0]);

int buckets_parse(const char *spec, double *out, size_t max, size_t *n)
{
	const char *p = spec;
	size_t count = 0;
	char *end;

	for (;;) {
		double v = strtod(p, &end);

		/* strtod alone would take spaces, "inf", "nan" and hex. */
		if (end == p || strspn(p, "0123456789.eE+-") != (size_t)(end - p))
			return -EINVAL;
		if (!isfinite(v) || v <= 0 || count == max || (count && v <= out[count - 1]))
			return -EINVAL;
		out[count++] = v;
		if (!*end)
			break;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
	*n = count;
	return 0;
}

size_t buckets_index(const double *bounds, size_t n, double v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bounds[mid] >= v)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}
