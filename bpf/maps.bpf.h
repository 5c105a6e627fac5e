/* SPDX-License-Identifier: MIT */
/* Map helpers for the BPF programs. */
#ifndef BPFPROF_MAPS_BPF_H
#define BPFPROF_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/*
 * Look a key up, inserting the zero value first if it is missing. Returns
 * NULL only when the map is full (or out of memory): the caller counts that.
 * *created tells the caller this call made the entry.
 */
static __always_inline void *map_lookup_or_insert(void *map, const void *key, const void *zero,
						  bool *created)
{
	void *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val)
		return val;
	err = bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	/* -EEXIST: another CPU inserted it between our lookup and update. */
	if (err && err != -17)
		return NULL;
	*created = !err;
	return bpf_map_lookup_elem(map, key);
}

#endif /* BPFPROF_MAPS_BPF_H */
