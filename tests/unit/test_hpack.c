// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/hpack.h"

/* RFC 7541 Appendix C. */
static const char c2_1[] = "\x40\x0a\x63\x75\x73\x74\x6f\x6d\x2d\x6b\x65\x79\x0d\x63\x75\x73"
			   "\x74\x6f\x6d\x2d\x68\x65\x61\x64\x65\x72";

static const char c2_2[] = "\x04\x0c\x2f\x73\x61\x6d\x70\x6c\x65\x2f\x70\x61\x74\x68";

static const char c2_3[] = "\x10\x08\x70\x61\x73\x73\x77\x6f\x72\x64\x06\x73\x65\x63\x72\x65"
			   "\x74";

static const char c2_4[] = "\x82";

static const char c3_1[] = "\x82\x86\x84\x41\x0f\x77\x77\x77\x2e\x65\x78\x61\x6d\x70\x6c\x65"
			   "\x2e\x63\x6f\x6d";

static const char c3_2[] = "\x82\x86\x84\xbe\x58\x08\x6e\x6f\x2d\x63\x61\x63\x68\x65";

static const char c3_3[] = "\x82\x87\x85\xbf\x40\x0a\x63\x75\x73\x74\x6f\x6d\x2d\x6b\x65\x79"
			   "\x0c\x63\x75\x73\x74\x6f\x6d\x2d\x76\x61\x6c\x75\x65";

static const char c4_1[] = "\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4"
			   "\xff";

static const char c4_2[] = "\x82\x86\x84\xbe\x58\x86\xa8\xeb\x10\x64\x9c\xbf";

static const char c4_3[] = "\x82\x87\x85\xbf\x40\x88\x25\xa8\x49\xe9\x5b\xa9\x7d\x7f\x89\x25"
			   "\xa8\x49\xe9\x5b\xb8\xe8\xb4\xbf";

static const char c5_1[] = "\x48\x03\x33\x30\x32\x58\x07\x70\x72\x69\x76\x61\x74\x65\x61\x1d"
			   "\x4d\x6f\x6e\x2c\x20\x32\x31\x20\x4f\x63\x74\x20\x32\x30\x31\x33"
			   "\x20\x32\x30\x3a\x31\x33\x3a\x32\x31\x20\x47\x4d\x54\x6e\x17\x68"
			   "\x74\x74\x70\x73\x3a\x2f\x2f\x77\x77\x77\x2e\x65\x78\x61\x6d\x70"
			   "\x6c\x65\x2e\x63\x6f\x6d";

static const char c5_2[] = "\x48\x03\x33\x30\x37\xc1\xc0\xbf";

static const char c5_3[] = "\x88\xc1\x61\x1d\x4d\x6f\x6e\x2c\x20\x32\x31\x20\x4f\x63\x74\x20"
			   "\x32\x30\x31\x33\x20\x32\x30\x3a\x31\x33\x3a\x32\x32\x20\x47\x4d"
			   "\x54\xc0\x5a\x04\x67\x7a\x69\x70\x77\x38\x66\x6f\x6f\x3d\x41\x53"
			   "\x44\x4a\x4b\x48\x51\x4b\x42\x5a\x58\x4f\x51\x57\x45\x4f\x50\x49"
			   "\x55\x41\x58\x51\x57\x45\x4f\x49\x55\x3b\x20\x6d\x61\x78\x2d\x61"
			   "\x67\x65\x3d\x33\x36\x30\x30\x3b\x20\x76\x65\x72\x73\x69\x6f\x6e"
			   "\x3d\x31";

static const char c6_1[] = "\x48\x82\x64\x02\x58\x85\xae\xc3\x77\x1a\x4b\x61\x96\xd0\x7a\xbe"
			   "\x94\x10\x54\xd4\x44\xa8\x20\x05\x95\x04\x0b\x81\x66\xe0\x82\xa6"
			   "\x2d\x1b\xff\x6e\x91\x9d\x29\xad\x17\x18\x63\xc7\x8f\x0b\x97\xc8"
			   "\xe9\xae\x82\xae\x43\xd3";

static const char c6_2[] = "\x48\x83\x64\x0e\xff\xc1\xc0\xbf";

static const char c6_3[] = "\x88\xc1\x61\x96\xd0\x7a\xbe\x94\x10\x54\xd4\x44\xa8\x20\x05\x95"
			   "\x04\x0b\x81\x66\xe0\x84\xa6\x2d\x1b\xff\xc0\x5a\x83\x9b\xd9\xab"
			   "\x77\xad\x94\xe7\x82\x1d\xd7\xf2\xe6\xc7\xb3\x35\xdf\xdf\xcd\x5b"
			   "\x39\x60\xd5\xaf\x27\x08\x7f\x36\x72\xc1\xab\x27\x0f\xb5\x29\x1f"
			   "\x95\x87\x31\x60\x65\xc0\x03\xed\x4e\xe5\xb1\x06\x3d\x50\x07";

/* Every byte value, Huffman coded (generated with python3-hpack). */
static const char huff_all[] = "\xff\xc7\xff\xfd\x8f\xff\xff\xe2\xff\xff\xfe\x3f\xff\xff\xe4\xff"
			       "\xff\xfe\x5f\xff\xff\xe6\xff\xff\xfe\x7f\xff\xff\xe8\xff\xff\xea"
			       "\xff\xff\xff\xf3\xff\xff\xfa\x7f\xff\xff\xab\xff\xff\xff\xdf\xff"
			       "\xff\xeb\xff\xff\xfe\xcf\xff\xff\xed\xff\xff\xfe\xef\xff\xff\xef"
			       "\xff\xff\xff\x0f\xff\xff\xf1\xff\xff\xff\x2f\xff\xff\xff\xbf\xff"
			       "\xff\xcf\xff\xff\xfd\x3f\xff\xff\xd7\xff\xff\xfd\xbf\xff\xff\xdf"
			       "\xff\xff\xfe\x3f\xff\xff\xe7\xff\xff\xfe\xbf\xff\xff\xed\x4f\xe3"
			       "\xf9\xff\xaf\xfc\xab\xf1\xfe\xbf\xaf\xef\xe7\xfd\xfd\x2c\xbb\x00"
			       "\x08\x99\x69\xb7\x1d\x79\xfb\x9f\x7f\xff\x20\xff\xbf\xf3\xff\x50"
			       "\xdd\xbd\x7f\x06\x1c\x58\xf2\x65\xcd\x9f\x46\x9d\x5a\xf6\x6d\xdd"
			       "\xbf\x87\x1e\x5f\x9c\xff\x7f\xf7\xff\xfc\x3f\xf9\xff\xe4\x5f\xff"
			       "\x47\x19\x24\x2c\xb3\x4e\x6e\x9d\x68\xa6\xa3\xd7\xda\xc4\x26\xde"
			       "\xfe\x3c\xfa\xf7\xff\xfb\xfe\x7f\xfb\xff\xdf\xff\xff\xfc\xff\xfe"
			       "\x6f\xff\xf4\xbf\xff\x9f\xff\xfa\x3f\xff\xd3\xff\xff\x53\xff\xfd"
			       "\x5f\xff\xfb\x3f\xff\xeb\x7f\xff\xda\xff\xff\xb7\xff\xff\x73\xff"
			       "\xfe\xef\xff\xfd\xef\xff\xfe\xbf\xff\xfb\xff\xff\xfd\x9f\xff\xfd"
			       "\xbf\xff\xeb\xff\xff\xe0\xff\xff\xee\xff\xff\xc3\xff\xff\x8b\xff"
			       "\xff\x1f\xff\xfe\x4f\xff\xee\x7f\xff\xb1\xff\xff\x97\xff\xfd\x9f"
			       "\xff\xfc\xdf\xff\xf9\xff\xff\xfb\xff\xff\xda\xff\xfe\xef\xff\xf4"
			       "\xff\xff\xb7\xff\xfe\xe7\xff\xfe\x8f\xff\xfd\x3f\xff\xde\xff\xff"
			       "\xd5\xff\xfe\xef\xff\xfb\xdf\xff\xfe\x1f\xff\xdf\xff\xff\x7f\xff"
			       "\xff\x5f\xff\xfe\xcf\xff\xf0\x7f\xff\x87\xff\xfe\x0f\xff\xf1\x7f"
			       "\xff\xed\xff\xff\x87\xff\xff\x77\xff\xfe\xff\xff\xea\xff\xff\x8b"
			       "\xff\xfe\x3f\xff\xf9\x3f\xff\xf8\x7f\xff\xcb\xff\xff\x37\xff\xff"
			       "\x1f\xff\xff\x83\xff\xff\xe1\xff\xfe\xbf\xff\xe3\xff\xff\x3f\xff"
			       "\xff\x2f\xff\xfa\x3f\xff\xfd\x9f\xff\xff\x17\xff\xff\xc7\xff\xff"
			       "\xf2\x7f\xff\xfd\xef\xff\xff\xbf\xff\xff\xf2\xff\xff\xf8\xff\xff"
			       "\xfb\x7f\xff\x97\xff\xf8\xff\xff\xfe\x6f\xff\xff\xc1\xff\xff\xf8"
			       "\x7f\xff\xfe\x7f\xff\xff\xc5\xff\xff\xe5\xff\xfe\x4f\xff\xf2\xff"
			       "\xff\xfd\x1f\xff\xff\x4f\xff\xff\xfe\xff\xff\xfe\x3f\xff\xff\xc9"
			       "\xff\xff\xf9\x7f\xff\xb3\xff\xff\xcf\xff\xfb\x7f\xff\xcd\xff\xff"
			       "\x4f\xff\xf9\xff\xff\xd1\xff\xff\xcf\xff\xfe\xaf\xff\xfa\xff\xff"
			       "\xfd\xdf\xff\xfe\xff\xff\xff\x4f\xff\xff\x5f\xff\xff\xab\xff\xff"
			       "\xa7\xff\xff\xd7\xff\xff\xf9\xbf\xff\xfe\xcf\xff\xff\xb7\xff\xff"
			       "\xf3\xff\xff\xfe\x8f\xff\xff\xd3\xff\xff\xfa\xbf\xff\xff\x5f\xff"
			       "\xff\xff\x7f\xff\xfe\xcf\xff\xff\xdb\xff\xff\xfb\xbf\xff\xff\x7f"
			       "\xff\xff\xf0\xff\xff\xfb\xbf";

struct fields {
	int n;
	char lines[16][128];
	int stop_at; /* return -EINTR at this field, if set */
};

static int collect(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct fields *f = arg;

	assert_int_equal(strlen(name), nlen);
	assert_int_equal(strlen(value), vlen);
	if (f->stop_at && f->n + 1 == f->stop_at)
		return -EINTR;
	if (f->n < 16)
		snprintf(f->lines[f->n], sizeof(f->lines[0]), "%s: %s", name, value);
	f->n++;
	return 0;
}

static int decode(struct hpack *h, const char *block, size_t len, struct fields *f)
{
	memset(f, 0, sizeof(*f));
	return hpack_decode(h, (const uint8_t *)block, len, collect, f);
}

static void expect(const struct fields *f, const char *const *want, int n)
{
	assert_int_equal(f->n, n);
	for (int i = 0; i < n; i++)
		assert_string_equal(f->lines[i], want[i]);
}

#define DECODE(h, v, f) decode(h, v, sizeof(v) - 1, f)
#define EXPECT(f, ...)                                              \
	do {                                                        \
		static const char *const want_[] = { __VA_ARGS__ }; \
		expect(f, want_, sizeof(want_) / sizeof(want_[0])); \
	} while (0)

static void test_literals(void **state)
{
	struct hpack h;
	struct fields f;

	(void)state;
	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(DECODE(&h, c2_1, &f), 0);
	EXPECT(&f, "custom-key: custom-header");
	assert_int_equal(h.count, 1);
	assert_int_equal(h.size, 55);
	hpack_free(&h);

	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(DECODE(&h, c2_2, &f), 0);
	EXPECT(&f, ":path: /sample/path");
	assert_int_equal(DECODE(&h, c2_3, &f), 0);
	EXPECT(&f, "password: secret");
	assert_int_equal(DECODE(&h, c2_4, &f), 0);
	EXPECT(&f, ":method: GET");
	assert_int_equal(h.count, 0);
	assert_int_equal(h.size, 0);
	hpack_free(&h);
}

static void check_requests(const char *r1, size_t l1, const char *r2, size_t l2, const char *r3, size_t l3)
{
	struct hpack h;
	struct fields f;

	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(decode(&h, r1, l1, &f), 0);
	EXPECT(&f, ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com");
	assert_int_equal(h.size, 57);
	assert_int_equal(decode(&h, r2, l2, &f), 0);
	EXPECT(&f, ":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com",
	       "cache-control: no-cache");
	assert_int_equal(h.size, 110);
	assert_int_equal(decode(&h, r3, l3, &f), 0);
	EXPECT(&f, ":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com",
	       "custom-key: custom-value");
	assert_int_equal(h.count, 3);
	assert_int_equal(h.size, 164);
	hpack_free(&h);
}

static void test_requests(void **state)
{
	(void)state;
	check_requests(c3_1, sizeof(c3_1) - 1, c3_2, sizeof(c3_2) - 1, c3_3, sizeof(c3_3) - 1);
}

static void test_requests_huffman(void **state)
{
	(void)state;
	check_requests(c4_1, sizeof(c4_1) - 1, c4_2, sizeof(c4_2) - 1, c4_3, sizeof(c4_3) - 1);
}

static void check_responses(const char *r1, size_t l1, const char *r2, size_t l2, const char *r3, size_t l3)
{
	struct hpack h;
	struct fields f;

	hpack_init(&h, 256);
	assert_int_equal(decode(&h, r1, l1, &f), 0);
	EXPECT(&f, ":status: 302", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	       "location: https://www.example.com");
	assert_int_equal(h.count, 4);
	assert_int_equal(h.size, 222);
	/* ":status: 307" evicts ":status: 302". */
	assert_int_equal(decode(&h, r2, l2, &f), 0);
	EXPECT(&f, ":status: 307", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:21 GMT",
	       "location: https://www.example.com");
	assert_int_equal(h.count, 4);
	assert_int_equal(h.size, 222);
	assert_int_equal(decode(&h, r3, l3, &f), 0);
	EXPECT(&f, ":status: 200", "cache-control: private", "date: Mon, 21 Oct 2013 20:13:22 GMT",
	       "location: https://www.example.com", "content-encoding: gzip",
	       "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");
	assert_int_equal(h.count, 3);
	assert_int_equal(h.size, 215);
	hpack_free(&h);
}

static void test_responses(void **state)
{
	(void)state;
	check_responses(c5_1, sizeof(c5_1) - 1, c5_2, sizeof(c5_2) - 1, c5_3, sizeof(c5_3) - 1);
}

static void test_responses_huffman(void **state)
{
	(void)state;
	check_responses(c6_1, sizeof(c6_1) - 1, c6_2, sizeof(c6_2) - 1, c6_3, sizeof(c6_3) - 1);
}

static int check_all_bytes(void *arg, const char *name, size_t nlen, const char *value, size_t vlen)
{
	(void)nlen;
	assert_string_equal(name, "x");
	assert_int_equal(vlen, 256);
	for (int i = 0; i < 256; i++)
		assert_int_equal((uint8_t)value[i], i);
	(*(int *)arg)++;
	return 0;
}

static void test_huffman_every_symbol(void **state)
{
	/* Literal without indexing, new name "x", Huffman value of 583 bytes. */
	uint8_t block[6 + sizeof(huff_all) - 1] = { 0x00, 0x01, 'x', 0xff, 0xc8, 0x03 };
	struct hpack h;
	int n = 0;

	(void)state;
	memcpy(block + 6, huff_all, sizeof(huff_all) - 1);
	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(hpack_decode(&h, block, sizeof(block), check_all_bytes, &n), 0);
	assert_int_equal(n, 1);
	hpack_free(&h);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *block;
		size_t len;
		int ret;
	} cases[] = {
		{ "\xff", 1, -EBADMSG }, /* truncated integer */
		{ "\xff\x80", 2, -EBADMSG }, /* continuation cut */
		{ "\xff\xff\xff\xff\xff\x0f", 6, -EBADMSG }, /* integer too big */
		{ "\x40\x0a"
		  "abc",
		  5, -EBADMSG }, /* string past the end */
		{ "\x40", 1, -EBADMSG }, /* no name */
		{ "\x41", 1, -EBADMSG }, /* no value */
		{ "\x80", 1, -EBADMSG }, /* index 0 */
		{ "\xbe", 1, -EBADMSG }, /* index 62, table empty */
		{ "\x7f\x00\x01"
		  "a",
		  4, -EBADMSG }, /* name index 63 */
		{ "\x00\x81\x1f\x00", 4, 0 }, /* "a" padded with ones */
		{ "\x00\x81\x18\x00", 4, -EBADMSG }, /* padded with zeros */
		{ "\x00\x82\x1f\xff\x00", 5, -EBADMSG }, /* 11 bits of padding */
		{ "\x00\x84\xff\xff\xff\xfc\x00", 7, -EBADMSG }, /* EOS */
		{ "\x00\x85\x1f\xff\xff\xff\xff\x00", 8, -EBADMSG }, /* "a", then EOS */
		{ "\x3f\xe1\xff\x03", 4, 0 }, /* size update to 65536 */
		{ "\x3f\xe2\xff\x03", 4, -E2BIG }, /* size update to 65537 */
		{ "\x82\x20", 2, -EBADMSG }, /* size update after a field */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hpack h;
		struct fields f;

		hpack_init(&h, HPACK_DEFAULT_SIZE);
		assert_int_equal(decode(&h, cases[i].block, cases[i].len, &f), cases[i].ret);
		hpack_free(&h);
	}
}

static void test_size_updates(void **state)
{
	struct hpack h;
	struct fields f;

	(void)state;
	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(DECODE(&h, c3_1, &f), 0);
	assert_int_equal(DECODE(&h, c3_2, &f), 0);
	assert_int_equal(h.count, 2);
	/* Shrinking to 60 keeps only the newest entry (53 bytes)... */
	assert_int_equal(decode(&h, "\x3f\x1d\xbe", 3, &f), 0);
	EXPECT(&f, "cache-control: no-cache");
	assert_int_equal(h.count, 1);
	/* ...and to 0 empties the table; two updates in a row are allowed. */
	assert_int_equal(decode(&h, "\x3f\x1d\x20\xbe", 4, &f), -EBADMSG);
	assert_int_equal(h.count, 0);
	/* An entry larger than the table empties it and is not added. */
	assert_int_equal(decode(&h,
				"\x3f\x1d\x41\x03"
				"abc\xbe",
				8, &f),
			 0);
	assert_int_equal(h.count, 1);
	/* Adding evicts the entry the new one takes its name from. */
	assert_int_equal(decode(&h,
				"\x7e\x0a"
				"0123456789",
				12, &f),
			 0);
	EXPECT(&f, ":authority: 0123456789");
	assert_int_equal(h.count, 1);
	assert_int_equal(h.size, 52);
	assert_int_equal(decode(&h,
				"\x41\x1f"
				"0123456789012345678901234567890",
				33, &f),
			 0);
	EXPECT(&f, ":authority: 0123456789012345678901234567890");
	assert_int_equal(h.count, 0);
	hpack_free(&h);
}

static void test_limits(void **state)
{
	size_t n = HPACK_STRING_MAX + 1;
	uint8_t *block = malloc(n + 8);
	struct hpack h;
	struct fields f = { .stop_at = 2 };

	(void)state;
	assert_non_null(block);
	/* A value of HPACK_STRING_MAX + 1 bytes: 0x7f then 8193 - 127 = 8066. */
	block[0] = 0x00;
	block[1] = 0x01;
	block[2] = 'x';
	block[3] = 0x7f;
	block[4] = 0x80 | (8066 & 0x7f);
	block[5] = 8066 >> 7;
	memset(block + 6, 'v', n);
	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(hpack_decode(&h, block, n + 6, collect, &f), -E2BIG);
	/* Huffman: 8193 '0's (5 bits each) in 5121 bytes of 0x00, the last
	 * 3 bits padding; 5121 - 127 = 4994. */
	memset(block, 0, n + 8);
	block[1] = 0x01;
	block[2] = 'x';
	block[3] = 0xff;
	block[4] = 0x80 | (4994 & 0x7f);
	block[5] = 4994 >> 7;
	block[6 + 5120] = 0x07;
	assert_int_equal(hpack_decode(&h, block, 6 + 5121, collect, &f), -E2BIG);
	/* The callback's error stops decoding. */
	memset(&f, 0, sizeof(f));
	f.stop_at = 2;
	assert_int_equal(hpack_decode(&h, (const uint8_t *)"\x82\x84\x86", 3, collect, &f), -EINTR);
	assert_int_equal(f.n, 1);
	hpack_free(&h);
	free(block);
}

/* Many entries, through the ring's growth and wrap, at the largest size. */
static void test_many_entries(void **state)
{
	struct hpack h;
	struct fields f;
	char block[64];

	(void)state;
	hpack_init(&h, HPACK_DEFAULT_SIZE);
	assert_int_equal(decode(&h, "\x3f\xe1\xff\x03", 4, &f), 0);
	for (int i = 0; i < 5000; i++) {
		int len = snprintf(block, sizeof(block), "\x40\x01k\x04%04d", i % 10000);

		assert_int_equal(decode(&h, block, (size_t)len, &f), 0);
		/* The previous entry is at index 63. */
		if (i) {
			assert_int_equal(decode(&h, "\xbf", 1, &f), 0);
			snprintf(block, sizeof(block), "k: %04d", i - 1);
			assert_string_equal(f.lines[0], block);
		}
	}
	assert_int_equal(h.count, 65536 / 37);
	assert_int_equal(h.size, 65536 / 37 * 37);
	hpack_free(&h);
}

/* Tables filled on many connections stop at HPACK_SIZE_TOTAL_MAX all
 * together: the entry past it is -E2BIG, and freeing tables makes room. */
static void test_total_budget(void **state)
{
	enum { VLEN = 8000, ENTRY = 1 + VLEN + HPACK_ENTRY_OVERHEAD, TABLES = HPACK_SIZE_TOTAL_MAX / (8 * ENTRY) + 2 };
	static struct hpack tables[TABLES];
	static char block[VLEN + 8];
	size_t held = 0, n = 0;
	int t = 0;
	struct fields f;
	int ret = 0;

	(void)state;
	/* Literal with incremental indexing, new name "x", a value of VLEN. */
	block[n++] = 0x40;
	block[n++] = 1;
	block[n++] = 'x';
	block[n++] = 0x7f;
	block[n++] = (char)(0x80 | ((VLEN - 127) & 0x7f));
	block[n++] = (char)((VLEN - 127) >> 7);
	memset(block + n, 'v', VLEN);
	n += VLEN;
	for (t = 0; t < TABLES; t++) {
		hpack_init(&tables[t], HPACK_SIZE_CAP);
		for (int e = 0; e < 8 && !ret; e++) {
			ret = decode(&tables[t], block, n, &f);
			if (!ret)
				held += ENTRY;
		}
		if (ret)
			break;
	}
	assert_int_equal(ret, -E2BIG);
	assert_true(held <= HPACK_SIZE_TOTAL_MAX);
	assert_true(held > HPACK_SIZE_TOTAL_MAX - ENTRY);
	hpack_free(&tables[0]);
	assert_int_equal(decode(&tables[t], block, n, &f), 0);
	for (int i = 0; i < TABLES; i++)
		hpack_free(&tables[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_requests_huffman),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_responses_huffman),
		cmocka_unit_test(test_huffman_every_symbol),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_size_updates),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_total_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
