/* SPDX-License-Identifier: MIT */
/* A string-keyed hash map (open addressing) for the report: span ids to
 * their index, and interned names. Keys are copied. */
#ifndef BPFPROF_STRMAP_H
#define BPFPROF_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	char *key;
	long value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* The slot for key, added with `value` when missing (*added tells);
 * NULL on ENOMEM. The slot's key is the map's copy: stable until freed. */
struct strmap_slot *strmap_put(struct strmap *m, const char *key, long value, int *added);
/* The slot for key, or NULL. */
struct strmap_slot *strmap_get(const struct strmap *m, const char *key);

#endif
