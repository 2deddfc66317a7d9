// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "otel/traceparent.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex only, as the specification requires. */
static int parse_hex(const char *s, uint8_t *out, size_t n)
{
	int any = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
		any |= out[i];
	}
	return any ? 0 : -EINVAL;
}

int traceparent_parse(const char *v, struct trace_parent *out)
{
	uint8_t version;
	size_t len = strlen(v);

	/* Version 00 is exactly 55 characters; later versions may append
	 * fields after another dash. */
	if (len < 55 || (len > 55 && v[55] != '-') || v[2] != '-' || v[35] != '-' || v[52] != '-')
		return -EINVAL;
	if (hex_digit(v[0]) < 0 || hex_digit(v[1]) < 0)
		return -EINVAL;
	version = (uint8_t)(hex_digit(v[0]) << 4 | hex_digit(v[1]));
	if (version == 0xff || (version == 0 && len != 55))
		return -EINVAL;
	if (parse_hex(v + 3, out->trace_id, 16) || parse_hex(v + 36, out->span_id, 8))
		return -EINVAL;
	if (hex_digit(v[53]) < 0 || hex_digit(v[54]) < 0)
		return -EINVAL;
	out->flags = (uint8_t)(hex_digit(v[53]) << 4 | hex_digit(v[54]));
	return 0;
}
