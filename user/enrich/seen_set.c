// SPDX-License-Identifier: Apache-2.0
/*
 * The seen-set of exporter addresses (contract in seen_set.h): slots of
 * two 64-bit words (the address, IPv4 mapped into IPv6) and a state, a
 * hash that mixes every key bit, linear probing.
 */
#include "enrich/seen_set.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { SLOT_EMPTY = 0, SLOT_BUSY, SLOT_READY };

/* One address as the flow path noted it: its 16 bytes (IPv4 mapped into
 * IPv6) as two words, in memory order. */
struct slot {
	_Atomic uint32_t state;
	uint64_t key[2];
};

struct seen_set {
	struct slot *slots;
	uint32_t mask;
	uint32_t max;
	_Atomic uint32_t n;
	atomic_bool full;
};

static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

/* The key of a (4 or 16 bytes), built in registers: going through a byte
 * buffer would make the word loads wait on narrower stores. False for
 * other lengths. */
static inline bool make_key(const struct flow_addr *a, uint64_t k[2])
{
	uint32_t v4;

	if (a->len == 16) {
		memcpy(&k[0], a->b, 8);
		memcpy(&k[1], a->b + 8, 8);
		return true;
	}
	if (a->len != 4)
		return false;
	memcpy(&v4, a->b, 4);
	k[0] = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	k[1] = 0xffff0000ULL | (uint64_t)v4 << 32; /* bytes 00 00 ff ff v4 */
#else
	k[1] = 0x0000ffffULL << 32 | v4;
#endif
	return true;
}

/* MurmurHash3's 64-bit finalizer over both words: every input bit
 * reaches the low bits the table uses (an IPv4 address differs from its
 * neighbours in the key's top byte only). */
static inline uint32_t key_hash(const uint64_t k[2])
{
	uint64_t x = k[0] ^ (k[1] * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

int seen_set_new(uint32_t max, struct seen_set **out)
{
	struct seen_set *s;
	uint32_t n = 2;

	if (!max || max > 65536)
		return -EINVAL;
	while (n < 2 * max)
		n *= 2;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->slots = calloc(n, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		atomic_init(&s->slots[i].state, SLOT_EMPTY);
	s->mask = n - 1;
	s->max = max;
	*out = s;
	return 0;
}

void seen_set_free(struct seen_set *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s);
}

int seen_set_note(struct seen_set *s, const struct flow_addr *a)
{
	uint64_t k[2];
	uint32_t h;

	if (!make_key(a, k))
		return 0;
	h = key_hash(k) & s->mask;
	/* At most half the slots are ever taken: an empty one ends the
	 * probe, and the loop is bounded by the table size anyway. */
	for (uint32_t i = 0; i <= s->mask; i++, h = (h + 1) & s->mask) {
		struct slot *sl = &s->slots[h];
		uint32_t st =
			atomic_load_explicit(&sl->state, memory_order_acquire);

		if (st == SLOT_READY) {
			if (sl->key[0] == k[0] && sl->key[1] == k[1])
				return 0;
			continue;
		}
		if (st == SLOT_BUSY)
			return 0; /* being added; a later call looks again */
		/* Empty: a new address. Reads only while the set is full,
		 * so a flood of unknown addresses writes no shared line. */
		if (atomic_load_explicit(&s->n, memory_order_relaxed) >=
		    s->max) {
			if (!atomic_load_explicit(&s->full,
						  memory_order_relaxed))
				atomic_store(&s->full, true);
			return -ENOSPC;
		}
		if (!atomic_compare_exchange_strong(&sl->state, &st, SLOT_BUSY))
			return 0; /* lost a race; a later call looks again */
		if (atomic_fetch_add(&s->n, 1) >= s->max) {
			atomic_fetch_sub(&s->n, 1);
			atomic_store_explicit(&sl->state, SLOT_EMPTY,
					      memory_order_release);
			return 0;
		}
		sl->key[0] = k[0];
		sl->key[1] = k[1];
		atomic_store_explicit(&sl->state, SLOT_READY,
				      memory_order_release);
		return 1;
	}
	return 0;
}

uint32_t seen_set_slots(const struct seen_set *s)
{
	return s->mask + 1;
}

bool seen_set_get(const struct seen_set *s, uint32_t slot,
		  struct flow_addr *out)
{
	const struct slot *sl;
	uint8_t kb[16];

	if (slot > s->mask)
		return false;
	sl = &s->slots[slot];
	if (atomic_load_explicit(&sl->state, memory_order_acquire) !=
	    SLOT_READY)
		return false;
	memcpy(kb, &sl->key[0], 8);
	memcpy(kb + 8, &sl->key[1], 8);
	memset(out, 0, sizeof(*out));
	if (!memcmp(kb, v4_mapped, 12)) {
		out->len = 4;
		memcpy(out->b, kb + 12, 4);
	} else {
		out->len = 16;
		memcpy(out->b, kb, 16);
	}
	return true;
}

int64_t seen_set_find(const struct seen_set *s, const struct flow_addr *a)
{
	uint64_t k[2];
	uint32_t h;

	if (!make_key(a, k))
		return -1;
	h = key_hash(k) & s->mask;
	for (uint32_t i = 0; i <= s->mask; i++, h = (h + 1) & s->mask) {
		const struct slot *sl = &s->slots[h];
		uint32_t st =
			atomic_load_explicit(&sl->state, memory_order_acquire);

		if (st == SLOT_EMPTY)
			return -1;
		if (st == SLOT_READY && sl->key[0] == k[0] &&
		    sl->key[1] == k[1])
			return h;
	}
	return -1;
}

uint32_t seen_set_count(const struct seen_set *s)
{
	return atomic_load_explicit(&s->n, memory_order_relaxed);
}

bool seen_set_full(const struct seen_set *s)
{
	return atomic_load_explicit(&s->full, memory_order_relaxed);
}
