/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* OTLP/HTTP trace request bodies: protobuf and JSON. Spans are grouped
 * into one ResourceSpans per process. */
#ifndef SONDE_OTLP_H
#define SONDE_OTLP_H

#include <stddef.h>
#include <stdint.h>

#include "otel/span.h"

struct strbuf;

struct otlp_host {
	const char *host_name;
	const char *version; /* sonde's, for telemetry.sdk.version and the scope */
};

/* A malloc'ed ExportTraceServiceRequest in *out. Returns 0 or -ENOMEM. */
int otlp_encode_protobuf(const struct span *spans, size_t n, const struct otlp_host *host, uint8_t **out, size_t *len);
/* The same request in OTLP/JSON. Returns 0 or -ENOMEM. */
int otlp_encode_json(const struct span *spans, size_t n, const struct otlp_host *host, struct strbuf *out);

#endif
