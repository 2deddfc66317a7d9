// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What the Kubernetes API sends, as arbitrary bytes: a pod list, then the
 * same bytes cut into watch lines. Nothing crashes or leaks, and every
 * stored pod keeps NUL-terminated fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/k8s_pods.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_pods s = { 0 };
	const char *text = (const char *)data, *end = text + size;
	struct k8s_meta m;

	k8s_pods_replace(&s, text, size);
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);

		k8s_pods_event(&s, line, len);
		line += len + 1;
	}
	for (size_t i = 0; i < s.n; i++) {
		if (strnlen(s.pods[i].uid, sizeof(s.pods[i].uid)) == sizeof(s.pods[i].uid) ||
		    k8s_pods_lookup(&s, s.pods[i].uid, "", &m))
			abort();
	}
	k8s_pods_free(&s);
	return 0;
}
