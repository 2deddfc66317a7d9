// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "base/strbuf.h"
#include "otel/otlp_attrs.h"

int otlp_pb_arena_init(struct otlp_pb_arena *ar, size_t n)
{
	ar->kv = calloc(n ? n : 1, sizeof(*ar->kv));
	ar->kvp = calloc(n ? n : 1, sizeof(*ar->kvp));
	ar->av = calloc(n ? n : 1, sizeof(*ar->av));
	ar->used = 0;
	if (ar->kv && ar->kvp && ar->av)
		return 0;
	otlp_pb_arena_free(ar);
	return -ENOMEM;
}

void otlp_pb_arena_free(struct otlp_pb_arena *ar)
{
	free(ar->kv);
	free(ar->kvp);
	free(ar->av);
	ar->kv = NULL;
	ar->kvp = NULL;
	ar->av = NULL;
}

Sonde__Otlp__KeyValue **otlp_pb_attrs(struct otlp_pb_arena *ar, const struct otlp_attr *a, size_t n)
{
	Sonde__Otlp__KeyValue **first = ar->kvp + ar->used;

	for (size_t i = 0; i < n; i++, ar->used++) {
		Sonde__Otlp__KeyValue *kv = &ar->kv[ar->used];
		Sonde__Otlp__AnyValue *av = &ar->av[ar->used];

		sonde__otlp__key_value__init(kv);
		sonde__otlp__any_value__init(av);
		kv->key = (char *)a[i].key;
		if (a[i].str) {
			av->value_case = SONDE__OTLP__ANY_VALUE__VALUE_STRING_VALUE;
			av->string_value = (char *)a[i].str;
		} else {
			av->value_case = SONDE__OTLP__ANY_VALUE__VALUE_INT_VALUE;
			av->int_value = a[i].num;
		}
		kv->value = av;
		ar->kvp[ar->used] = kv;
	}
	return first;
}

void otlp_json_string(struct strbuf *out, const char *s)
{
	strbuf_append(out, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_printf(out, "\\%c", c);
		else if (c < 0x20)
			strbuf_printf(out, "\\u%04x", c);
		else
			strbuf_append(out, (const char *)&c, 1);
	}
	strbuf_append(out, "\"", 1);
}

void otlp_json_hex(struct strbuf *out, const uint8_t *b, size_t n)
{
	strbuf_append(out, "\"", 1);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(out, "%02x", b[i]);
	strbuf_append(out, "\"", 1);
}

void otlp_json_attrs(struct strbuf *out, const struct otlp_attr *a, size_t n)
{
	strbuf_append(out, "[", 1);
	for (size_t i = 0; i < n; i++) {
		strbuf_printf(out, "%s{\"key\":", i ? "," : "");
		otlp_json_string(out, a[i].key);
		if (a[i].str) {
			strbuf_printf(out, ",\"value\":{\"stringValue\":");
			otlp_json_string(out, a[i].str);
			strbuf_append(out, "}}", 2);
		} else {
			strbuf_printf(out, ",\"value\":{\"intValue\":\"%lld\"}}", (long long)a[i].num);
		}
	}
	strbuf_append(out, "]", 1);
}
