// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The protocols parsed in user space, by the kernel's classification: a
 * new protocol is its parser and a line here. */
#include <stddef.h>

#include "proto/wire.h"
#include "sonde.h"

const struct wire_parser *wire_parser_of(uint8_t proto)
{
	switch (proto) {
	case SONDE_PROTO_HTTP2:
		return &h2_parser;
	case SONDE_PROTO_REDIS:
		return &resp_parser;
	case SONDE_PROTO_POSTGRES:
		return &pg_parser;
	case SONDE_PROTO_POSTGRES_JOINED:
		return &pg_joined_parser;
	case SONDE_PROTO_MEMCACHED:
		return &memcached_parser;
	case SONDE_PROTO_MQTT:
		return &mqtt_parser;
	case SONDE_PROTO_NATS:
		return &nats_parser;
	case SONDE_PROTO_AMQP:
		return &amqp_parser;
	case SONDE_PROTO_MYSQL:
		return &mysql_parser;
	case SONDE_PROTO_MYSQL_JOINED:
		return &mysql_joined_parser;
	case SONDE_PROTO_DNS:
		return &dns_parser;
	case SONDE_PROTO_DNS_TCP:
		return &dns_tcp_parser;
	default:
		return NULL;
	}
}
