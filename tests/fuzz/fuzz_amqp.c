// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The AMQP 0-9-1 parser on arbitrary bytes, cut into pieces (wire_pieces.h). */
#include "wire_pieces.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pieces(&amqp_parser, "amqp", data, size);
}
