// SPDX-License-Identifier: Apache-2.0
/*
 * (address, index) -> value: open addressing with linear probing, kept at
 * most half full; keys are the address as 16 bytes (IPv4 mapped into
 * ::ffff:0:0/96) and the index.
 */
#include "enrich/addr_map.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint8_t addr[16];
	uint32_t idx;
	uint32_t value; /* 0: empty */
};

struct addr_map {
	struct slot *slots;
	size_t mask, used;
};

struct addr_map *addr_map_new(void)
{
	return calloc(1, sizeof(struct addr_map));
}

void addr_map_free(struct addr_map *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

static bool key_of(const struct flow_addr *a, uint8_t k[16])
{
	if (a->len == 4) {
		memset(k, 0, 10);
		k[10] = k[11] = 0xff;
		memcpy(k + 12, a->b, 4);
		return true;
	}
	if (a->len == 16) {
		memcpy(k, a->b, 16);
		return true;
	}
	return false;
}

static size_t hash(const uint8_t k[16], uint32_t idx)
{
	uint64_t x, y;

	memcpy(&x, k, 8);
	memcpy(&y, k + 8, 8);
	x ^= y * 0x9e3779b97f4a7c15ULL ^ idx;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (size_t)x;
}

static struct slot *find(struct slot *slots, size_t mask, const uint8_t k[16],
			 uint32_t idx)
{
	size_t j = hash(k, idx) & mask;

	while (slots[j].value &&
	       (slots[j].idx != idx || memcmp(slots[j].addr, k, 16)))
		j = (j + 1) & mask;
	return &slots[j];
}

static int grow(struct addr_map *m)
{
	size_t n = m->slots ? (m->mask + 1) * 2 : 64;
	struct slot *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; m->slots && i <= m->mask; i++)
		if (m->slots[i].value)
			*find(s, n - 1, m->slots[i].addr, m->slots[i].idx) =
				m->slots[i];
	free(m->slots);
	m->slots = s;
	m->mask = n - 1;
	return 0;
}

int addr_map_put(struct addr_map *m, const struct flow_addr *a, uint32_t idx,
		 uint32_t value, uint32_t *old)
{
	uint8_t k[16];
	struct slot *s;

	if (!value || !key_of(a, k))
		return -EINVAL;
	if ((!m->slots || (m->used + 1) * 2 > m->mask + 1) && grow(m))
		return -ENOMEM;
	s = find(m->slots, m->mask, k, idx);
	if (s->value) {
		if (old)
			*old = s->value;
		return -EEXIST;
	}
	memcpy(s->addr, k, 16);
	s->idx = idx;
	s->value = value;
	m->used++;
	return 0;
}

uint32_t addr_map_get(const struct addr_map *m, const struct flow_addr *a,
		      uint32_t idx)
{
	uint8_t k[16];

	if (!m->slots || !key_of(a, k))
		return 0;
	return find(m->slots, m->mask, k, idx)->value;
}

size_t addr_map_count(const struct addr_map *m)
{
	return m->used;
}
