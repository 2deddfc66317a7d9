// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The PostgreSQL parser on arbitrary bytes, cut into pieces (wire_pieces.h):
 * from a connection's start, or joined after it when the first byte's top bit is set. */
#include "wire_pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] & 0x80)
		return fuzz_pieces(&pg_joined_parser, "postgresql", data, size);
	return fuzz_pieces(&pg_parser, "postgresql", data, size);
}
