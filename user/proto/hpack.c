// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/ring.h"
#include "proto/hpack.h"

#define STATIC_COUNT 61
#define HUFF_MAX_BITS 30
#define HUFF_EOS 256

/* Appendix A. */
static const struct {
	const char *name, *value;
} static_table[STATIC_COUNT] = {
	{ ":authority", "" },
	{ ":method", "GET" },
	{ ":method", "POST" },
	{ ":path", "/" },
	{ ":path", "/index.html" },
	{ ":scheme", "http" },
	{ ":scheme", "https" },
	{ ":status", "200" },
	{ ":status", "204" },
	{ ":status", "206" },
	{ ":status", "304" },
	{ ":status", "400" },
	{ ":status", "404" },
	{ ":status", "500" },
	{ "accept-charset", "" },
	{ "accept-encoding", "gzip, deflate" },
	{ "accept-language", "" },
	{ "accept-ranges", "" },
	{ "accept", "" },
	{ "access-control-allow-origin", "" },
	{ "age", "" },
	{ "allow", "" },
	{ "authorization", "" },
	{ "cache-control", "" },
	{ "content-disposition", "" },
	{ "content-encoding", "" },
	{ "content-language", "" },
	{ "content-length", "" },
	{ "content-location", "" },
	{ "content-range", "" },
	{ "content-type", "" },
	{ "cookie", "" },
	{ "date", "" },
	{ "etag", "" },
	{ "expect", "" },
	{ "expires", "" },
	{ "from", "" },
	{ "host", "" },
	{ "if-match", "" },
	{ "if-modified-since", "" },
	{ "if-none-match", "" },
	{ "if-range", "" },
	{ "if-unmodified-since", "" },
	{ "last-modified", "" },
	{ "link", "" },
	{ "location", "" },
	{ "max-forwards", "" },
	{ "proxy-authenticate", "" },
	{ "proxy-authorization", "" },
	{ "range", "" },
	{ "referer", "" },
	{ "refresh", "" },
	{ "retry-after", "" },
	{ "server", "" },
	{ "set-cookie", "" },
	{ "strict-transport-security", "" },
	{ "transfer-encoding", "" },
	{ "user-agent", "" },
	{ "vary", "" },
	{ "via", "" },
	{ "www-authenticate", "" },
};

/* Appendix B, all 257 codes. The code is canonical (codes of one length are
 * consecutive, in symbol order, and each length's first code follows the
 * previous length's last), so it is fully given by how many codes each
 * length has and the symbols in code order; decoding then needs no tree. */
static const uint8_t huff_count[HUFF_MAX_BITS + 1] = {
	0, 0, 0, 0, 0, 10, 26, 32, 6, 0, 5, 3, 2, 6, 2, 3, 0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4,
};

static const uint16_t huff_symbol[HUFF_EOS + 1] = {
	48,  49,  50,  97,  99,	 101, 105, 111, 115, 116, 32,  37,  45,	 46,  47,  51,	52,  53,  54,  55,  56,	 57,
	61,  65,  95,  98,  100, 102, 103, 104, 108, 109, 110, 112, 114, 117, 58,  66,	67,  68,  69,  70,  71,	 72,
	73,  74,  75,  76,  77,	 78,  79,  80,	81,  82,  83,  84,  85,	 86,  87,  89,	106, 107, 113, 118, 119, 120,
	121, 122, 38,  42,  44,	 59,  88,  90,	33,  34,  40,  41,  63,	 39,  43,  124, 35,  62,  0,   36,  64,	 91,
	93,  126, 94,  125, 60,	 96,  123, 92,	195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161, 167, 172,
	176, 177, 179, 209, 216, 217, 227, 229, 230, 129, 132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170,
	173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232, 233, 1,   135, 137, 138, 139, 140, 141, 143, 147,
	149, 150, 151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182, 183, 188, 191, 197, 231, 239, 9,	 142,
	144, 145, 148, 159, 171, 206, 215, 225, 236, 237, 199, 207, 234, 235, 192, 193, 200, 201, 202, 205, 210, 213,
	218, 219, 238, 240, 242, 243, 255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245, 246, 247, 248, 250,
	251, 252, 253, 254, 2,	 3,   4,   5,	6,   7,	  8,   11,  12,	 14,  15,  16,	17,  18,  19,  20,  21,	 23,
	24,  25,  26,  27,  28,	 29,  30,  31,	127, 220, 249, 10,  13,	 22,  256,
};

/* Canonical decoding one bit at a time: code is the bits read since the last
 * symbol, first the first code of that length, index the position of that
 * length's symbols in huff_symbol. */
static int huff_decode(const uint8_t *src, size_t n, char *dst, size_t *out)
{
	uint32_t code = 0, first = 0;
	unsigned int len = 0, index = 0;
	bool ones = true;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		for (int shift = 7; shift >= 0; shift--) {
			unsigned int bit = (src[i] >> shift) & 1, count;

			code = code << 1 | bit;
			ones = ones && bit;
			count = huff_count[++len];
			if (code - first < count) {
				unsigned int sym = huff_symbol[index + code - first];

				if (sym == HUFF_EOS)
					return -EBADMSG;
				if (o == HPACK_STRING_MAX)
					return -E2BIG;
				dst[o++] = (char)sym;
				code = first = len = index = 0;
				ones = true;
				continue;
			}
			/* The code is complete, so this only guards the arrays. */
			if (len == HUFF_MAX_BITS)
				return -EBADMSG;
			index += count;
			first = (first + count) << 1;
		}
	}
	/* Section 5.2: padding is the most significant bits of EOS, at most 7. */
	if (len > 7 || !ones)
		return -EBADMSG;
	*out = o;
	return 0;
}

/* Section 5.1, with an N-bit prefix. Values are capped near 2^28: nothing
 * legitimate comes close, and it keeps the arithmetic in 32 bits. */
static int get_int(const uint8_t **p, const uint8_t *end, unsigned int prefix, uint32_t *out)
{
	uint32_t max = (1u << prefix) - 1, v = **p & max;
	unsigned int shift = 0;
	uint8_t b;

	(*p)++;
	if (v < max) {
		*out = v;
		return 0;
	}
	do {
		if (*p == end || shift > 21)
			return -EBADMSG;
		b = *(*p)++;
		v += (uint32_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	*out = v;
	return 0;
}

/* Section 5.2, into buf (HPACK_STRING_MAX + 1 bytes), NUL terminated. */
static int get_string(const uint8_t **p, const uint8_t *end, char *buf, size_t *len)
{
	uint32_t n;
	bool huff;
	int ret;

	if (*p == end)
		return -EBADMSG;
	huff = **p & 0x80;
	ret = get_int(p, end, 7, &n);
	if (ret)
		return ret;
	if (n > (size_t)(end - *p))
		return -EBADMSG;
	if (huff) {
		ret = huff_decode(*p, n, buf, len);
		if (ret)
			return ret;
	} else {
		if (n > HPACK_STRING_MAX)
			return -E2BIG;
		memcpy(buf, *p, n);
		*len = n;
	}
	buf[*len] = 0;
	*p += n;
	return 0;
}

static size_t entry_size(const struct hpack_entry *e)
{
	return e->nlen + e->vlen + HPACK_ENTRY_OVERHEAD;
}

/* The sizes of all tables together: clients filling the tables of many
 * connections cannot grow the daemon past HPACK_SIZE_TOTAL_MAX. One
 * thread decodes, so a plain counter does. */
static size_t sizes_total;

static void evict_to(struct hpack *h, size_t limit)
{
	while (h->size > limit) {
		struct hpack_entry *e = &h->ents[h->first];

		h->size -= entry_size(e);
		sizes_total -= entry_size(e);
		free(e->name);
		h->first = (h->first + 1) & (h->cap - 1);
		h->count--;
	}
}

/* Index 1 is the first static entry; dynamic entries follow, newest first. */
static int lookup(const struct hpack *h, uint32_t idx, struct hpack_entry *out)
{
	if (!idx)
		return -EBADMSG;
	if (idx <= STATIC_COUNT) {
		out->name = (char *)static_table[idx - 1].name;
		out->value = (char *)static_table[idx - 1].value;
		out->nlen = strlen(out->name);
		out->vlen = strlen(out->value);
		return 0;
	}
	idx -= STATIC_COUNT + 1;
	if (idx >= h->count)
		return -EBADMSG;
	*out = h->ents[(h->first + h->count - 1 - idx) & (h->cap - 1)];
	return 0;
}

/* Section 4.4: an entry larger than the table empties it and is not added. */
static int table_add(struct hpack *h, const struct hpack_entry *f)
{
	struct hpack_entry e = { .nlen = f->nlen, .vlen = f->vlen };
	size_t esize = entry_size(&e);

	if (esize > h->max_size) {
		evict_to(h, 0);
		return 0;
	}
	e.name = malloc(e.nlen + e.vlen + 2);
	if (!e.name)
		return -ENOMEM;
	e.value = e.name + e.nlen + 1;
	memcpy(e.name, f->name, e.nlen);
	e.name[e.nlen] = 0;
	memcpy(e.value, f->value, e.vlen);
	e.value[e.vlen] = 0;
	evict_to(h, h->max_size - esize);
	if (sizes_total + esize > HPACK_SIZE_TOTAL_MAX) {
		free(e.name);
		return -E2BIG;
	}
	if (h->count == h->cap) {
		/* Entries are at least 32 bytes, so the size cap bounds the count;
		 * the cap stays a power of two, for the masks. */
		void *slots = h->ents;

		if (ring_grow(&slots, sizeof(*h->ents), &h->cap, &h->first, h->count, 16)) {
			free(e.name);
			return -ENOMEM;
		}
		h->ents = slots;
	}
	h->ents[(h->first + h->count) & (h->cap - 1)] = e;
	h->count++;
	h->size += esize;
	sizes_total += esize;
	return 0;
}

void hpack_init(struct hpack *h, size_t max_size)
{
	memset(h, 0, sizeof(*h));
	h->max_size = max_size < HPACK_SIZE_CAP ? max_size : HPACK_SIZE_CAP;
}

void hpack_free(struct hpack *h)
{
	evict_to(h, 0);
	free(h->ents);
	h->ents = NULL;
	h->cap = h->first = 0;
}

/* A literal field (section 6.2): the name indexed or literal, the value
 * literal, then maybe added to the table. An indexed name is copied to
 * scratch: adding may evict its entry before the callback sees it. */
static int literal(struct hpack *h, const uint8_t **p, const uint8_t *end, unsigned int prefix, bool add, char *scratch,
		   struct hpack_entry *f)
{
	uint32_t idx;
	int ret;

	ret = get_int(p, end, prefix, &idx);
	if (ret)
		return ret;
	if (idx) {
		ret = lookup(h, idx, f);
		if (ret)
			return ret;
		memcpy(scratch, f->name, f->nlen + 1);
		f->name = scratch;
	} else {
		f->name = scratch;
		ret = get_string(p, end, f->name, &f->nlen);
		if (ret)
			return ret;
	}
	f->value = scratch + HPACK_STRING_MAX + 1;
	ret = get_string(p, end, f->value, &f->vlen);
	if (ret || !add)
		return ret;
	return table_add(h, f);
}

int hpack_decode(struct hpack *h, const uint8_t *block, size_t len, hpack_field_fn cb, void *arg)
{
	const uint8_t *p = block, *end = block + len;
	bool fields = false;
	/* Literal name and value, each NUL terminated: on the stack, so idle
	 * connections hold none. */
	char scratch[2 * (HPACK_STRING_MAX + 1)];
	int ret = 0;

	while (p < end) {
		struct hpack_entry f;
		uint8_t b = *p;
		uint32_t v;

		if (b & 0x80) {
			ret = get_int(&p, end, 7, &v);
			if (!ret)
				ret = lookup(h, v, &f);
		} else if (b & 0x40) {
			ret = literal(h, &p, end, 6, true, scratch, &f);
		} else if (b & 0x20) {
			/* Section 4.2: size updates only start a block. */
			if (fields) {
				ret = -EBADMSG;
				break;
			}
			ret = get_int(&p, end, 5, &v);
			if (ret)
				break;
			if (v > HPACK_SIZE_CAP) {
				ret = -E2BIG;
				break;
			}
			h->max_size = v;
			evict_to(h, v);
			continue;
		} else {
			/* Without indexing (0000) or never indexed (0001): alike here. */
			ret = literal(h, &p, end, 4, false, scratch, &f);
		}
		if (ret)
			break;
		fields = true;
		ret = cb(arg, f.name, f.nlen, f.value, f.vlen);
		if (ret)
			break;
	}
	return ret;
}
