/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A span as sonde builds it from one observed exchange. */
#ifndef SONDE_SPAN_H
#define SONDE_SPAN_H

#include <stdbool.h>
#include <stdint.h>

#include "identity/identity.h"

enum span_kind { SPAN_KIND_INTERNAL = 1, SPAN_KIND_SERVER = 2, SPAN_KIND_CLIENT = 3 };

struct span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8]; /* all zero for a root */
	uint8_t kind; /* enum span_kind */
	bool error;
	uint64_t start_unix_ns;
	uint64_t end_unix_ns;
	char name[320]; /* "GET /api/users/{id}" */
	char protocol[12]; /* "" for HTTP; "grpc", "redis", "postgresql" */
	char method[64]; /* HTTP method, Redis command, SQL verb, RPC method */
	char rpc_service[192]; /* gRPC: helloworld.Greeter */
	char route[256]; /* server spans; gRPC: the RPC path, both sides */
	char path[256]; /* url.path: never the query */
	int status; /* HTTP status (0: none); gRPC status (-1: none) */
	char server_address[48];
	uint16_t server_port;
	char peer_address[48]; /* the client (server spans) or the server (client spans) */
	char peer_service[64]; /* client spans: the service called, when sonde knows it */
	char error_type[24]; /* a failed connect's reason, "" otherwise */
	uint16_t peer_port;
	/* INTERNAL spans, a function's call: code.function.name and
	 * code.file.path ("" when not known). */
	char code_function[256];
	char code_file[256];
	/* The resource: which process this is. */
	char service[64];
	uint32_t pid;
	struct identity id;
};

#endif
