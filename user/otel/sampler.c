// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "otel/sampler.h"

int sampler_parse(const char *name, enum sampler *out)
{
	static const char *const names[] = { "always_on",
					     "always_off",
					     "traceidratio",
					     "parentbased_always_on",
					     "parentbased_always_off",
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
