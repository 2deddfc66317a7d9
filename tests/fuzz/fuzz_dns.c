// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The DNS parser on arbitrary bytes, cut into pieces (wire_pieces.h): over
 * UDP each piece a datagram, over TCP (the first byte's high bit) a
 * stream of length-prefixed messages. */
#include "wire_pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pieces(size && data[0] & 0x80 ? &dns_tcp_parser : &dns_parser, "dns", data, size);
}
