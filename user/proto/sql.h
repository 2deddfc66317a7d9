/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the SQL protocols share: a statement's verb, from its text, and a
 * connection's prepared statements' verbs, by name or id. */
#ifndef SONDE_SQL_H
#define SONDE_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SQL_VERB_MAX 32
#define SQL_NAMES_MAX 256

/* A server's SQL: the first words of its commands (NULL-terminated), and
 * whether '#' starts a comment as "--" does. */
struct sql_dialect {
	const char *const *verbs;
	bool hash_comments;
};

extern const struct sql_dialect sql_postgres;
extern const struct sql_dialect sql_mysql;

/* The first keyword of the SQL (n bytes or to its NUL), upper case, past
 * blanks, comments, '(' and ';': "EMPTY" for none, "_OTHER" for a word
 * not the dialect's, so a client cannot mint series with made-up
 * statements. verb holds SQL_VERB_MAX + 1. */
void sql_verb(const struct sql_dialect *d, const char *s, size_t n, char *verb);

/* Verbs by key (a hash of a name, a statement id), up to SQL_NAMES_MAX:
 * a full table forgets its least recently used. */
struct sql_name {
	uint64_t key;
	uint64_t used;
	char verb[SQL_VERB_MAX + 1];
};

struct sql_names {
	struct sql_name *v;
	size_t len, cap;
	uint64_t clock; /* orders uses for eviction */
};

/* The verb kept for key, or NULL. */
const char *sql_names_find(struct sql_names *t, uint64_t key);
int sql_names_put(struct sql_names *t, uint64_t key, const char *verb);
void sql_names_free(struct sql_names *t);

#endif
