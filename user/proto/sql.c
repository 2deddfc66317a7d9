// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SQL verbs and prepared statements' tables for the PostgreSQL and MySQL
 * parsers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sql.h"

static const char *const postgres_verbs[] = {
	"ABORT",  "ALTER",    "ANALYZE",  "BEGIN",	"CALL",	    "CHECKPOINT", "CLOSE",   "CLUSTER", "COMMENT",
	"COMMIT", "COPY",     "CREATE",	  "DEALLOCATE", "DECLARE",  "DELETE",	  "DISCARD", "DO",	"DROP",
	"END",	  "EXECUTE",  "EXPLAIN",  "FETCH",	"GRANT",    "IMPORT",	  "INSERT",  "LISTEN",	"LOAD",
	"LOCK",	  "MERGE",    "MOVE",	  "NOTIFY",	"PREPARE",  "REASSIGN",	  "REFRESH", "REINDEX", "RELEASE",
	"RESET",  "REVOKE",   "ROLLBACK", "SAVEPOINT",	"SECURITY", "SELECT",	  "SET",     "SHOW",	"START",
	"TABLE",  "TRUNCATE", "UNLISTEN", "UPDATE",	"VACUUM",   "VALUES",	  "WITH",    NULL,
};

/* MariaDB's and MySQL's statements, by their first word. */
static const char *const mysql_verbs[] = {
	"ALTER",    "ANALYZE",	"BACKUP",   "BEGIN",	  "BINLOG",    "CACHE",	    "CALL",	"CHANGE",  "CHECK",
	"CHECKSUM", "COMMIT",	"CREATE",   "DEALLOCATE", "DELETE",    "DESC",	    "DESCRIBE", "DO",	   "DROP",
	"EXECUTE",  "EXPLAIN",	"FLUSH",    "GRANT",	  "HANDLER",   "HELP",	    "INSERT",	"INSTALL", "KILL",
	"LOAD",	    "LOCK",	"OPTIMIZE", "PREPARE",	  "PURGE",     "RELEASE",   "RENAME",	"REPAIR",  "REPLACE",
	"RESET",    "RESIGNAL", "REVOKE",   "ROLLBACK",	  "SAVEPOINT", "SELECT",    "SET",	"SHOW",	   "SHUTDOWN",
	"SIGNAL",   "START",	"STOP",	    "TABLE",	  "TRUNCATE",  "UNINSTALL", "UNLOCK",	"UPDATE",  "USE",
	"VALUES",   "WITH",	"XA",	    NULL,
};

const struct sql_dialect sql_postgres = { .verbs = postgres_verbs };
const struct sql_dialect sql_mysql = { .verbs = mysql_verbs, .hash_comments = true };

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static bool is_letter(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool known_verb(const struct sql_dialect *d, const char *verb)
{
	for (const char *const *v = d->verbs; *v; v++)
		if (!strcmp(verb, *v))
			return true;
	return false;
}

/* Past a comment starting at s[i], nested as PostgreSQL nests them. */
static size_t skip_block_comment(const char *s, size_t n, size_t i)
{
	unsigned int depth = 1;

	for (i += 2; i < n && depth;) {
		if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
			depth++;
			i += 2;
		} else if (i + 1 < n && s[i] == '*' && s[i + 1] == '/') {
			depth--;
			i += 2;
		} else {
			i++;
		}
	}
	return i;
}

void sql_verb(const struct sql_dialect *d, const char *s, size_t n, char *verb)
{
	size_t i = 0, len = 0;

	n = strnlen(s, n);
	for (;;) {
		while (i < n && (is_space(s[i]) || s[i] == '(' || s[i] == ';'))
			i++;
		if ((i + 1 < n && s[i] == '-' && s[i + 1] == '-') || (i < n && s[i] == '#' && d->hash_comments)) {
			while (i < n && s[i] != '\n')
				i++;
		} else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
			i = skip_block_comment(s, n, i);
		} else {
			break;
		}
	}
	while (i < n && len < SQL_VERB_MAX && is_letter(s[i])) {
		char ch = s[i++];

		verb[len++] = ch >= 'a' ? (char)(ch - 'a' + 'A') : ch;
	}
	verb[len] = 0;
	if (!len && i >= n)
		strcpy(verb, "EMPTY");
	else if (!known_verb(d, verb))
		strcpy(verb, "_OTHER");
}

static struct sql_name *names_lookup(struct sql_names *t, uint64_t key)
{
	for (size_t i = 0; i < t->len; i++) {
		if (t->v[i].key == key) {
			t->v[i].used = ++t->clock;
			return &t->v[i];
		}
	}
	return NULL;
}

const char *sql_names_find(struct sql_names *t, uint64_t key)
{
	struct sql_name *e = names_lookup(t, key);

	return e ? e->verb : NULL;
}

int sql_names_put(struct sql_names *t, uint64_t key, const char *verb)
{
	struct sql_name *e = names_lookup(t, key);

	if (!e && t->len < t->cap) {
		e = &t->v[t->len++];
	} else if (!e && t->cap < SQL_NAMES_MAX) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct sql_name *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
		e = &t->v[t->len++];
	} else if (!e) {
		e = &t->v[0];
		for (size_t i = 1; i < t->len; i++)
			if (t->v[i].used < e->used)
				e = &t->v[i];
	}
	e->key = key;
	e->used = ++t->clock;
	strcpy(e->verb, verb);
	return 0;
}

void sql_names_free(struct sql_names *t)
{
	free(t->v);
	*t = (struct sql_names){ 0 };
}
