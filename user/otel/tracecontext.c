// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "otel/tracecontext.h"

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

int sampler_parse(const char *name, enum sampler *out)
{
	static const char *const names[] = { "always_on", "always_off", "traceidratio",
					     "parentbased_always_on", "parentbased_always_off",
					     "parentbased_traceidratio" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*out = (enum sampler)i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool ratio_keeps(double ratio, const uint8_t trace_id[16])
{
	uint64_t v = 0;

	if (ratio >= 1)
		return true;
	if (ratio <= 0)
		return false;
	for (int i = 8; i < 16; i++)
		v = v << 8 | trace_id[i];
	/* The top 63 bits against ratio * 2^63. */
	return (double)(v >> 1) < ratio * 9223372036854775808.0;
}

bool sampler_decide(enum sampler s, double ratio, const uint8_t trace_id[16], const struct trace_parent *parent)
{
	switch (s) {
	case SAMPLER_ALWAYS_ON:
		return true;
	case SAMPLER_ALWAYS_OFF:
		return false;
	case SAMPLER_TRACEIDRATIO:
		return ratio_keeps(ratio, trace_id);
	case SAMPLER_PARENTBASED_ALWAYS_ON:
		return parent ? parent->flags & 1 : true;
	case SAMPLER_PARENTBASED_ALWAYS_OFF:
		return parent ? parent->flags & 1 : false;
	case SAMPLER_PARENTBASED_TRACEIDRATIO:
		return parent ? parent->flags & 1 : ratio_keeps(ratio, trace_id);
	}
	return false;
}

int id_source_init(struct id_source *src)
{
	if (getrandom(src->s, sizeof(src->s), 0) != sizeof(src->s))
		return -EIO;
	if (!(src->s[0] | src->s[1] | src->s[2] | src->s[3]))
		src->s[0] = 1;
	return 0;
}

/* xoshiro256**: ids must be unique, not secret. */
static uint64_t next(struct id_source *src)
{
	uint64_t *s = src->s, result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return result;
}

void id_random(struct id_source *src, uint8_t *out, size_t n)
{
	do {
		for (size_t i = 0; i < n; i += 8) {
			uint64_t v = next(src);

			memcpy(out + i, &v, n - i < 8 ? n - i : 8);
		}
		/* An all-zero id is invalid: draw again. */
	} while (!memcmp(out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", n));
}
