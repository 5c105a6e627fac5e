// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/strmap.h"

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	strmap_init(m);
}

/* FNV-1a */
static size_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct strmap_slot *find(const struct strmap_slot *slots, size_t cap, const char *key)
{
	size_t i = hash(key) & (cap - 1);

	while (slots[i].key && strcmp(slots[i].key, key))
		i = (i + 1) & (cap - 1);
	return (struct strmap_slot *)&slots[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct strmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find(slots, cap, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

struct strmap_slot *strmap_put(struct strmap *m, const char *key, long value, int *added)
{
	struct strmap_slot *s;

	*added = 0;
	/* Keep the load under 1/2 so probes stay short. */
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return NULL;
	s = find(m->slots, m->cap, key);
	if (s->key)
		return s;
	s->key = strdup(key);
	if (!s->key)
		return NULL;
	s->value = value;
	m->n++;
	*added = 1;
	return s;
}

struct strmap_slot *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s;

	if (!m->cap)
		return NULL;
	s = find(m->slots, m->cap, key);
	return s->key ? s : NULL;
}
