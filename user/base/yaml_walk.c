// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/yaml_walk.h"

int yaml_walk_fail(struct yaml_walk *w, const yaml_node_t *node, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(w->err, w->errlen, "%s:%lu: %s: ", w->file, (unsigned long)node->start_mark.line + 1, key);
	if (n >= 0 && (size_t)n < w->errlen) {
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *yaml_walk_scalar(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

int yaml_walk_string(struct yaml_walk *w, const yaml_node_t *node, const char *key, char *out, size_t size)
{
	const char *v = yaml_walk_scalar(node);

	if (!v)
		return yaml_walk_fail(w, node, key, "expected a string");
	if (!*v || strlen(v) >= size)
		return yaml_walk_fail(w, node, key, "expected 1 to %zu characters", size - 1);
	strcpy(out, v);
	return 0;
}

int yaml_walk_read(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd, ret;

	*text = NULL;
	/* Not blocking on a FIFO's open: only a regular file is read. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > YAML_WALK_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	n = getdelim(text, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(*text);
		*text = strdup("");
		n = 0;
	}
	if (!*text)
		return -ENOMEM;
	*len = (size_t)n;
	return 0;
}

/* A key given twice in one mapping: YAML forbids it, and libyaml would
 * keep both, the second silently winning or not. */
static int check_duplicate_keys(struct yaml_walk *w)
{
	for (yaml_node_t *n = w->doc->nodes.start; n < w->doc->nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		/* No section has this many keys; the check stays quadratic in few. */
		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > 256)
			return yaml_walk_fail(w, n, "configuration", "a mapping of more than 256 keys");
		for (yaml_node_pair_t *a = n->data.mapping.pairs.start; a < n->data.mapping.pairs.top; a++) {
			const yaml_node_t *ka = yaml_document_get_node(w->doc, a->key);
			const char *key = ka ? yaml_walk_scalar(ka) : NULL;

			for (yaml_node_pair_t *b = n->data.mapping.pairs.start; key && b < a; b++) {
				const yaml_node_t *kb = yaml_document_get_node(w->doc, b->key);

				if (kb && yaml_walk_scalar(kb) && !strcmp(yaml_walk_scalar(kb), key))
					return yaml_walk_fail(w, ka, key,
							      "given twice in one mapping (first at line %lu)",
							      (unsigned long)kb->start_mark.line + 1);
			}
		}
	}
	return 0;
}

int yaml_walk_load(struct yaml_walk *w, const char *text, size_t len, yaml_node_t **root)
{
	yaml_parser_t parser;
	int ret;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, w->doc)) {
		snprintf(w->err, w->errlen, "%s:%lu: syntax: %s", w->file, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);
	*root = yaml_document_get_root_node(w->doc);
	if (*root && (*root)->type == YAML_SCALAR_NODE && !(*root)->data.scalar.length)
		*root = NULL;
	ret = check_duplicate_keys(w);
	if (ret)
		yaml_document_delete(w->doc);
	return ret;
}
