/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Longest-prefix match for IPv4 and IPv6, built once and then immutable (so
 * a reader may use it while a new one is built beside it and swapped in).
 * A table maps addresses to a caller-chosen 32-bit value (an index into the
 * caller's attribute array; 0 means "no prefix matched").
 *
 * Inheritance is resolved at build time: for each prefix the builder calls
 * a merge callback with the value of the nearest enclosing prefix and the
 * prefix's own value, and stores what it returns. So a lookup returns one
 * pre-merged record, and the most specific prefix wins attribute by
 * attribute (Akvorado's rule) at no cost per lookup.
 *
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is looked up in the IPv4 table, and a
 * mapped prefix (::ffff:a.b.c.d/96+n) given to the builder goes into the
 * IPv4 table as a.b.c.d/n.
 */
#ifndef XDPFLOW_ENRICH_PREFIX_TABLE_H
#define XDPFLOW_ENRICH_PREFIX_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/* No prefix matched. */
#define PREFIX_TABLE_NONE 0u
/* Values must be below this (the top bit tags leaves internally). */
#define PREFIX_TABLE_MAX_VALUE 0x7fffffffu

struct prefix_table;
struct prefix_table_builder;

/* Returns the value stored for a prefix whose nearest enclosing prefix
 * carries `parent` (already merged) and which itself carries `own`; or
 * PREFIX_TABLE_NONE when it cannot (out of memory), which fails the build
 * with -ENOMEM. Not called for prefixes with no enclosing prefix. */
typedef uint32_t (*prefix_table_merge_fn)(void *ctx, uint32_t parent,
					  uint32_t own);

/* When a build fails with -EEXIST: the tags of the first prefix and of the
 * duplicate (the caller's line numbers, say). */
struct prefix_table_dup {
	uint32_t first_tag;
	uint32_t dup_tag;
};

/* A new, empty builder, or NULL (out of memory). */
struct prefix_table_builder *prefix_table_builder_new(void);

/* Frees b (NULL is fine). */
void prefix_table_builder_free(struct prefix_table_builder *b);

/* Adds prefix addr/len. addr->len is 4 or 16; len at most 32 or 128. Host
 * bits beyond len are ignored (cleared). value is 1..PREFIX_TABLE_MAX_VALUE;
 * tag is the caller's (reported back for duplicates). 0, -EINVAL (bad
 * address, length or value) or -ENOMEM. */
int prefix_table_builder_add(struct prefix_table_builder *b,
			     const struct flow_addr *addr, unsigned len,
			     uint32_t value, uint32_t tag);

/* Number of prefixes added so far. */
size_t prefix_table_builder_count(const struct prefix_table_builder *b);

/* Builds the table from every prefix added (once per builder: the build
 * sorts and merges in place). merge may be NULL (then the
 * most specific prefix's own value wins whole). On success *out owns a new
 * table and 0 is returned; otherwise -EEXIST (a prefix given twice, tags in
 * *dup when dup is not NULL) or -ENOMEM. The builder can be freed after. */
int prefix_table_build(struct prefix_table_builder *b,
		       prefix_table_merge_fn merge, void *ctx,
		       struct prefix_table **out, struct prefix_table_dup *dup);

/* Frees t (NULL is fine). */
void prefix_table_free(struct prefix_table *t);

/* Value of the longest prefix holding the IPv4 address addr (host byte
 * order), or PREFIX_TABLE_NONE. */
uint32_t prefix_table_lookup4(const struct prefix_table *t, uint32_t addr);

/* Value of the longest prefix holding the IPv6 address addr (network
 * order); IPv4-mapped addresses go to the IPv4 table. */
uint32_t prefix_table_lookup6(const struct prefix_table *t,
			      const uint8_t addr[16]);

/* The same for n addresses at once, answers in out[0..n): several times
 * the throughput of one at a time on tables larger than the caches, as
 * the lookups' cache misses overlap. */
void prefix_table_lookup4_batch(const struct prefix_table *t,
				const uint32_t *addrs, size_t n, uint32_t *out);
void prefix_table_lookup6_batch(const struct prefix_table *t,
				const uint8_t (*addrs)[16], size_t n,
				uint32_t *out);

/* prefix_table_lookup for n addresses (any mix of families and absent
 * ones), batched as above. */
void prefix_table_lookup_addrs(const struct prefix_table *t,
			       const struct flow_addr *const *addrs, size_t n,
			       uint32_t *out);

/* Either of the above by a->len (4 or 16); PREFIX_TABLE_NONE for any other
 * length (absent address). */
uint32_t prefix_table_lookup(const struct prefix_table *t,
			     const struct flow_addr *a);

/* Bytes of memory the table holds (for reports). */
size_t prefix_table_bytes(const struct prefix_table *t);

#endif
