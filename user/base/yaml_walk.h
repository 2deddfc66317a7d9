/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a YAML file of sonde's (the configuration, the web
 * configuration) into a libyaml document, and the errors that name its
 * file, line and key. */
#ifndef SONDE_YAML_WALK_H
#define SONDE_YAML_WALK_H

#include <stddef.h>

#include <yaml.h>

#define YAML_WALK_FILE_MAX (1 << 20)

struct yaml_walk {
	yaml_document_t *doc;
	const char *file;
	char *err;
	size_t errlen;
};

/* "FILE:LINE: key: what is wrong" in w->err; lines count from 1. Returns
 * -EINVAL. */
int yaml_walk_fail(struct yaml_walk *w, const yaml_node_t *node, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A scalar node's text, or NULL. */
const char *yaml_walk_scalar(const yaml_node_t *node);
/* A scalar of 1 to size - 1 characters into out. 0 or -EINVAL. */
int yaml_walk_string(struct yaml_walk *w, const yaml_node_t *node, const char *key, char *out, size_t size);
/* The text of a regular file of at most YAML_WALK_FILE_MAX bytes,
 * malloc'ed and NUL-terminated; never blocks on a FIFO. 0 or a negative
 * errno with the path and reason in err. */
int yaml_walk_read(const char *path, char **text, size_t *len, char *err, size_t errlen);
/* Parses text into *w->doc and refuses a key given twice in a mapping;
 * *root is NULL for an empty document. On success the caller deletes
 * the document; 0, -EINVAL (with the error in w->err) or -ENOMEM. */
int yaml_walk_load(struct yaml_walk *w, const char *text, size_t len, yaml_node_t **root);

#endif
