/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HPACK (RFC 7541) header block decoding: the static and dynamic tables,
 * integers, string literals and Huffman codes, from untrusted bytes. One
 * decoder per direction of an HTTP/2 connection: each block must be decoded
 * in order, or the dynamic table goes wrong. */
#ifndef SONDE_HPACK_H
#define SONDE_HPACK_H

#include <stddef.h>
#include <stdint.h>

#define HPACK_DEFAULT_SIZE 4096 /* SETTINGS_HEADER_TABLE_SIZE's initial value */
#define HPACK_SIZE_CAP 65536 /* a larger table size update is -E2BIG */
/* All tables together; an entry that would pass it is -E2BIG. */
#define HPACK_SIZE_TOTAL_MAX (64u << 20)
#define HPACK_STRING_MAX 8192 /* a longer decoded name or value is -E2BIG */
#define HPACK_ENTRY_OVERHEAD 32 /* added to name and value lengths (section 4.1) */

struct hpack_entry {
	char *name; /* name, NUL, value, NUL in one allocation */
	char *value;
	size_t nlen, vlen;
};

/* The dynamic table: a ring of entries, the oldest at first. */
struct hpack {
	struct hpack_entry *ents;
	size_t cap, first, count;
	size_t size; /* sum of the entries' sizes */
	size_t max_size; /* the current maximum, set by size updates */
};

/* Called once per header field, in order; name and value are also NUL
 * terminated and live until it returns. A non-zero return stops decoding
 * and is returned by hpack_decode. */
typedef int (*hpack_field_fn)(void *arg, const char *name, size_t nlen, const char *value, size_t vlen);

void hpack_init(struct hpack *h, size_t max_size);
void hpack_free(struct hpack *h);
/* Decodes one complete header block. Returns 0, -EBADMSG for a malformed
 * block, -E2BIG for a string or table size over the caps, -ENOMEM, or the
 * callback's non-zero return. After an error the table is not to be
 * trusted. */
int hpack_decode(struct hpack *h, const uint8_t *block, size_t len, hpack_field_fn cb, void *arg);

#endif
