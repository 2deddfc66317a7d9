/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP request-targets to route labels of bounded cardinality. */
#ifndef SONDE_ROUTES_H
#define SONDE_ROUTES_H

#include <stddef.h>

#define ROUTE_MAX_SEGMENTS 16
#define ROUTE_MAX_PATTERNS 256
#define ROUTE_ID_SEGMENT_MAX 64

/* Writes the route of a request-target into out, NUL-terminated: query and
 * fragment dropped; absolute-form reduced to its path; "" becomes "/" and
 * "*" stays "*"; matrix parameters (";name=value") dropped; a segment that
 * is all digits, a UUID, a hex string of 16+ characters with a digit, a
 * credential (a common key prefix, or 16+ letters and digits mixed), or
 * longer than ROUTE_ID_SEGMENT_MAX bytes becomes {id}; past
 * ROUTE_MAX_SEGMENTS segments the route ends in /{rest}.
 * A route that does not fit keeps only its leading whole segments.
 * Returns the length; -EINVAL for a target that is not origin-form,
 * absolute-form or "*", or whose path holds a space or control byte;
 * -ENOSPC when out_size < 2. */
int routes_from_target(const char *target, size_t len, char *out, size_t out_size);
/* A message topic bounded the same way, its tokens split at sep: MQTT's
 * sensors/42/temp is sensors/{id}/temp ('/'), NATS's orders.1001.created
 * orders.{id}.created ('.'). The length, or -EINVAL for a topic no route
 * can hold (a space, a control byte). */
int routes_from_topic(const char *topic, char sep, char *out, size_t out_size);

/* The path of a request-target as spans show it (url.path): query,
 * fragment and matrix parameters dropped, credential-like segments
 * "{redacted}"; cut at a segment boundary to fit out. Returns the length,
 * or -EINVAL as routes_from_target. */
int routes_redact_path(const char *target, size_t len, char *out, size_t out_size);

/* Explicit route patterns such as /api/users/{id}: a {name} segment matches
 * exactly one non-empty path segment, other segments match literally.
 * Zero-initialised is empty. */
struct route_set {
	char *patterns[ROUTE_MAX_PATTERNS];
	size_t n;
};

/* Returns 0; -EINVAL for a pattern not starting with '/', holding '?', '#',
 * a space or control byte, or a brace that is not a whole {name} segment
 * (name: letters, digits, '_'); -ENOSPC when full; -ENOMEM. */
int routes_add(struct route_set *rs, const char *pattern);
/* Matches the path of a request-target (query and fragment ignored) against
 * the patterns in the order added. Copies the first match into out and
 * returns its length; -ENOENT when none matches or the target is invalid,
 * -ENOSPC when the match does not fit in out. */
int routes_match(const struct route_set *rs, const char *target, size_t len, char *out, size_t out_size);
void routes_free(struct route_set *rs);

#endif
