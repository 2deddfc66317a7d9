// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/bpf.h>

#include "kernel/maps.h"

size_t maps_keys_u32(int fd, uint32_t *keys, size_t max)
{
	uint32_t key, next;
	size_t n = 0;
	int err;

	err = bpf_map_get_next_key(fd, NULL, &key);
	while (!err && n < max) {
		keys[n++] = key;
		err = bpf_map_get_next_key(fd, &key, &next);
		key = next;
	}
	return n;
}

void maps_stranger_forget(const struct bpf_maps *maps, uint32_t pid)
{
	if (maps->strangers && pid / 64 < maps->strangers_words)
		__atomic_fetch_and(&maps->strangers[pid / 64], ~(1ull << (pid % 64)), __ATOMIC_SEQ_CST);
}
