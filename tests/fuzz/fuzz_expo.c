// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What `sonde top` reads from another host's /metrics, and the status page
 * from its own: arbitrary bytes as an exposition, summarised and drawn as
 * the page. */
#include <stdint.h>
#include <stdlib.h>

#include "base/strbuf.h"
#include "status/history.h"
#include "status/page.h"
#include "status/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct summary sum;
	static struct history h;
	static int ready;
	struct strbuf out = { 0 };
	char ns[64];

	if (!ready) {
		history_init(&h);
		ready = 1;
	}
	summary_namespace((const char *)data, size, ns, sizeof(ns));
	summary_build((const char *)data, size, ns, &sum);
	history_add(&h, &sum, size);
	struct page_inputs in = { .sum = &sum, .history = &h, .unix_ms = size };
	page_render(&in, &out);
	strbuf_free(&out);
	return 0;
}
