/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP/2 (RFC 9113) connection following, gRPC included: h2_parser in
 * wire.h. These are its bounds. */
#ifndef SONDE_H2_H
#define SONDE_H2_H

#include "proto/wire.h"

#define H2_STREAMS_MAX 128 /* concurrent streams followed; more are ignored */
#define H2_BLOCK_MAX 65536 /* a longer header block (with its padding) is -E2BIG */
/* All connections together: streams followed at once, and bytes of header
 * blocks being gathered (a block that would pass it is -E2BIG). */
#define H2_STREAMS_TOTAL_MAX 16384
#define H2_BLOCK_BYTES_TOTAL_MAX (16u << 20)
#define H2_METHOD_MAX 32 /* with the NUL; longer values keep their prefix */
#define H2_PATH_MAX 512
#define H2_AUTHORITY_MAX 256
#define H2_TRACEPARENT_MAX 64 /* a longer traceparent is dropped */

#endif
