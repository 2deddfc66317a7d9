/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Request targets to bounded route labels. */
#ifndef SONDE_ROUTES_H
#define SONDE_ROUTES_H

#include <stddef.h>

#define ROUTE_MAX_SEGMENTS 16
#define ROUTE_MAX_PATTERNS 256
#define ROUTE_ID_SEGMENT_MAX 64

/* Writes the route of an HTTP request-target into out: no query or
 * fragment; absolute-form reduced to its path; segments that are all
 * digits, a UUID, a hex string of 16+ characters with a digit, or longer
 * than ROUTE_ID_SEGMENT_MAX bytes become {id}; past ROUTE_MAX_SEGMENTS
 * segments the route ends in /{rest}. A route that does not fit drops its
 * last whole segments. Returns the length, or -EINVAL for a target that is
 * not origin-form, absolute-form or "*", or -ENOSPC when out cannot hold "/". */
int route_from_target(const char *target, size_t len, char *out, size_t out_size);

/* Explicit route patterns such as /api/users/{id}: {name} matches exactly
 * one non-empty segment; the first matching pattern wins. */
struct route_set {
	char *patterns[ROUTE_MAX_PATTERNS];
	size_t n;
};

/* Returns 0, -EINVAL for a pattern not starting with '/', -ENOSPC when full,
 * -ENOMEM. */
int route_set_add(struct route_set *rs, const char *pattern);
/* Copies the first pattern matching the target's path into out and returns
 * its length, or -ENOENT. */
int route_set_match(const struct route_set *rs, const char *target, size_t len, char *out, size_t out_size);
void route_set_free(struct route_set *rs);

#endif
