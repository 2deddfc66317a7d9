// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The MySQL parser on arbitrary bytes, cut into pieces (wire_pieces.h),
 * from the handshake or joined past it (the first byte's low bit). */
#include "wire_pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pieces(size && data[0] & 0x80 ? &mysql_joined_parser : &mysql_parser, "mysql", data, size);
}
