// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The cluster's addresses from arbitrary bytes: a pod list (in pages when
 * it says more follow) and a Service list, then the same bytes cut into watch lines of each. Nothing crashes
 * or leaks, every stored name is NUL-terminated, and every stored IP is
 * found again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/k8s_addrs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *end = text + size;
	struct k8s_addrs a;
	char cont[64];
	bool here;

	k8s_addrs_init(&a, "node-1");
	/* A page that says more follow, then the same bytes as the last. */
	if (!k8s_addrs_page(&a, &a.pods, text, size, true, cont, sizeof(cont)) && *cont)
		k8s_addrs_page(&a, &a.pods, "{\"kind\":\"PodList\",\"items\":[]}", 29, false, cont, sizeof(cont));
	k8s_addrs_page(&a, &a.services, text, size, true, cont, sizeof(cont));
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);

		k8s_addrs_event(&a, &a.pods, line, len);
		k8s_addrs_event(&a, &a.services, line, len);
		line += len + 1;
	}
	for (size_t i = 0; i < a.pods.n; i++) {
		if (strnlen(a.pods.objs[i].name, sizeof(a.pods.objs[i].name)) == sizeof(a.pods.objs[i].name))
			abort();
		for (size_t j = 0; j < a.pods.objs[i].nips; j++)
			if (!k8s_addrs_lookup(&a, &a.pods.objs[i].ips[j], &here))
				abort();
	}
	k8s_addrs_free(&a);
	return 0;
}
