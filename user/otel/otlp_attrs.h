/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What OTLP's span and metric bodies share: attributes as protobuf
 * messages from one arena, and the pieces of OTLP/JSON. */
#ifndef SONDE_OTLP_ATTRS_H
#define SONDE_OTLP_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include "otlp.pb-c.h"

struct strbuf;

/* An attribute before encoding: a string, or an integer when str is NULL. */
struct otlp_attr {
	const char *key;
	const char *str;
	int64_t num;
};

/* The attribute messages of one request, allocated together and freed
 * at once: room for n attributes. */
struct otlp_pb_arena {
	Sonde__Otlp__KeyValue *kv;
	Sonde__Otlp__KeyValue **kvp;
	Sonde__Otlp__AnyValue *av;
	size_t used;
};

/* 0 or -ENOMEM. */
int otlp_pb_arena_init(struct otlp_pb_arena *ar, size_t n);
void otlp_pb_arena_free(struct otlp_pb_arena *ar);
/* n more attributes from the arena, which has room for them. */
Sonde__Otlp__KeyValue **otlp_pb_attrs(struct otlp_pb_arena *ar, const struct otlp_attr *a, size_t n);

void otlp_json_string(struct strbuf *out, const char *s);
void otlp_json_hex(struct strbuf *out, const uint8_t *b, size_t n);
/* A JSON array of attributes; int64 values are strings, as in protobuf's
 * JSON mapping. */
void otlp_json_attrs(struct strbuf *out, const struct otlp_attr *a, size_t n);

#endif
