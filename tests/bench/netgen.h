/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Routing-table-shaped prefix sets for the benchmarks (bench_enrich,
 * bench_decode --enrich): n distinct IPv4 prefixes with lengths weighted
 * like a DFZ table (60% /24, the rest /16-/23, a few /8-/15 and /25-/32)
 * in 1.0.0.0-223.255.255.255, and n6 IPv6 prefixes (/32 allocations in
 * 2000::/3 with /36-/48 more-specifics inside, mostly /48), from a fixed
 * seed so runs are repeatable; and the same prefixes as a networks file.
 * Header-only (static functions) because each benchmark is one file.
 */
#ifndef XDPFLOW_BENCH_NETGEN_H
#define XDPFLOW_BENCH_NETGEN_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/flow.h"

static uint64_t ng_rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*, the generator's and the queries' random numbers. */
static inline uint64_t ng_rng(void)
{
	ng_rng_state ^= ng_rng_state >> 12;
	ng_rng_state ^= ng_rng_state << 25;
	ng_rng_state ^= ng_rng_state >> 27;
	return ng_rng_state * 2685821657736338717ULL;
}

/* A set of 64-bit keys (prefix and length), to draw distinct prefixes. */
struct ng_kset {
	uint64_t *k;
	size_t mask;
};

static inline int ng_kset_init(struct ng_kset *s, unsigned n)
{
	size_t cap = 1;

	while (cap < (size_t)n * 2)
		cap <<= 1;
	s->k = calloc(cap, sizeof(*s->k));
	s->mask = cap - 1;
	return s->k ? 0 : -1;
}

/* Inserts key (never 0); false if it was there already. */
static inline bool ng_kset_add(struct ng_kset *s, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & s->mask;

	while (s->k[i]) {
		if (s->k[i] == key)
			return false;
		i = (i + 1) & s->mask;
	}
	s->k[i] = key;
	return true;
}

static inline unsigned ng_v4_len(void)
{
	unsigned r = (unsigned)(ng_rng() % 1000);

	if (r < 600)
		return 24;
	if (r < 700)
		return 23;
	if (r < 800)
		return 22;
	if (r < 960)
		return 16 + (unsigned)(ng_rng() % 6);
	if (r < 990)
		return 8 + (unsigned)(ng_rng() % 8);
	return 25 + (unsigned)(ng_rng() % 8);
}

static inline unsigned ng_v6_len(void)
{
	static const unsigned lens[] = { 36, 40, 44, 47, 48, 48, 48, 48,
					 48, 48, 48, 48, 48, 48, 48, 48 };

	return lens[ng_rng() % 16];
}

/* Fills pfx4/len4 (n entries) and pfx6/len6 (n6) with distinct prefixes
 * (duplicates are re-drawn). 0, or -1 out of memory. */
static inline int ng_prefixes(struct flow_addr *pfx4, uint8_t *len4, unsigned n,
			      struct flow_addr *pfx6, uint8_t *len6,
			      unsigned n6)
{
	struct ng_kset set4, set6;
	unsigned n32 = n6 / 16 ? n6 / 16 : 1;

	if (ng_kset_init(&set4, n) || ng_kset_init(&set6, n6))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		unsigned len = ng_v4_len();
		uint32_t a = (uint32_t)(ng_rng() % (223u << 24)) + (1u << 24);

		a &= len ? ~0u << (32 - len) : 0;
		if (!ng_kset_add(&set4, (uint64_t)a << 8 | len)) {
			i--;
			continue;
		}
		pfx4[i] = (struct flow_addr){ .len = 4,
					      .b = { a >> 24, a >> 16, a >> 8,
						     a } };
		len4[i] = (uint8_t)len;
	}
	/* IPv6: n6/16 /32 allocations in 2000::/3, the rest more-specifics
	 * of a random allocation. */
	for (unsigned i = 0; i < n6; i++) {
		struct flow_addr *p = &pfx6[i];
		uint64_t hi;

		p->len = 16;
		if (i < n32) {
			hi = (0x2000ULL << 48) |
			     ((ng_rng() & 0x1fffffffULL) << 32);
			len6[i] = 32;
		} else {
			unsigned len = ng_v6_len();
			uint64_t base = 0;

			for (int k = 0; k < 8; k++)
				base = base << 8 | pfx6[ng_rng() % n32].b[k];
			hi = (base & (~0ULL << 32)) |
			     (ng_rng() & 0xffffffffULL);
			hi &= ~0ULL << (64 - len);
			len6[i] = (uint8_t)len;
		}
		/* Prefixes are at most /48: hi and the length tell them
		 * apart. */
		if (!ng_kset_add(&set6, hi | len6[i])) {
			i--;
			continue;
		}
		for (int k = 0; k < 8; k++)
			p->b[k] = (uint8_t)(hi >> (56 - 8 * k));
	}
	free(set4.k);
	free(set6.k);
	return 0;
}

/* The prefixes as a networks file with site and tenant columns (a few
 * hundred sites and thousands of tenants): a new buffer (*len bytes), or
 * NULL out of memory. */
static inline char *ng_networks_csv(const struct flow_addr *pfx4,
				    const uint8_t *len4, unsigned n,
				    const struct flow_addr *pfx6,
				    const uint8_t *len6, unsigned n6,
				    size_t *len)
{
	size_t cap = ((size_t)n + n6) * 80 + 64, at = 0;
	char *csv = malloc(cap);

	if (!csv)
		return NULL;
	at += (size_t)sprintf(csv, "prefix,site,tenant\n");
	for (unsigned i = 0; i < n; i++)
		at += (size_t)sprintf(csv + at, "%u.%u.%u.%u/%u,site%u,t%u\n",
				      pfx4[i].b[0], pfx4[i].b[1], pfx4[i].b[2],
				      pfx4[i].b[3], len4[i], i % 500, i % 5000);
	for (unsigned i = 0; i < n6; i++) {
		char a[64];

		inet_ntop(AF_INET6, pfx6[i].b, a, sizeof(a));
		at += (size_t)sprintf(csv + at, "%s/%u,site%u,t%u\n", a,
				      len6[i], i % 500, i % 5000);
	}
	*len = at;
	return csv;
}

#endif
