// SPDX-License-Identifier: Apache-2.0
/*
 * String arena: chunks of at least 64 KB filled front to back, each string
 * stored as its length (str_arena_len reads it), its bytes and a NUL, plus
 * an open-addressing hash of the strings added (FNV-1a) for interning.
 */
#include "enrich/str_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64u << 10)

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct str_arena {
	struct chunk *chunks;
	const char **slots; /* hash set of the strings */
	size_t n_slots, n_used;
	size_t bytes;
};

struct str_arena *str_arena_new(void)
{
	return calloc(1, sizeof(struct str_arena));
}

void str_arena_free(struct str_arena *a)
{
	if (!a)
		return;
	while (a->chunks) {
		struct chunk *c = a->chunks;

		a->chunks = c->next;
		free(c);
	}
	free(a->slots);
	free(a);
}

static uint64_t hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ULL;
	return h;
}

static int rehash(struct str_arena *a)
{
	size_t n = a->n_slots ? a->n_slots * 2 : 256;
	const char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < a->n_slots; i++) {
		const char *s = a->slots[i];
		size_t j;

		if (!s)
			continue;
		j = hash(s, str_arena_len(s)) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = s;
	}
	free(a->slots);
	a->slots = slots;
	a->n_slots = n;
	return 0;
}

const char *str_arena_add(struct str_arena *a, const char *s, size_t len)
{
	struct chunk *c = a->chunks;
	size_t j, need;
	uint32_t n;
	char *p;

	if (len > UINT32_MAX - STR_ARENA_LEN_SIZE - 1)
		return NULL;
	if ((a->n_used + 1) * 2 > a->n_slots && rehash(a))
		return NULL;
	j = hash(s, len) & (a->n_slots - 1);
	for (; a->slots[j]; j = (j + 1) & (a->n_slots - 1))
		if (str_arena_len(a->slots[j]) == len &&
		    memcmp(a->slots[j], s, len) == 0)
			return a->slots[j];
	need = STR_ARENA_LEN_SIZE + len + 1;
	if (!c || c->size - c->used < need) {
		size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		c->next = a->chunks;
		a->chunks = c;
		a->bytes += sizeof(*c) + size;
	}
	p = c->data + c->used;
	n = (uint32_t)len;
	memcpy(p, &n, sizeof(n));
	p += STR_ARENA_LEN_SIZE;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += need;
	a->slots[j] = p;
	a->n_used++;
	return p;
}

size_t str_arena_bytes(const struct str_arena *a)
{
	return sizeof(*a) + a->bytes + a->n_slots * sizeof(*a->slots);
}
