/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bounded set of exporter addresses that the flow path fills: the
 * exporters seen in flows, for the control thread or a background thread
 * to act on (poll them over SNMP, classify them). Shared by the SNMP
 * poller (snmp_poll.h) and the enricher (enricher.h).
 *
 * Flow path: seen_set_note is lock-free and allocates nothing: a fixed
 * open-addressing table of 2 * max slots (a power of two), a hash, a load
 * and a compare for a known address; a new one is claimed with one
 * compare-and-swap. Past max addresses new ones are refused and a flag is
 * raised, read-only per flow once set (no shared write per flow). Slots
 * are never freed: an address, once noted, stays for the set's life.
 *
 * Readers (any thread) walk the slots with seen_set_get, or find an
 * address's slot with seen_set_find; a slot's index never changes, so a
 * reader may key its own per-address data by slot.
 */
#ifndef XDPFLOW_ENRICH_SEEN_SET_H
#define XDPFLOW_ENRICH_SEEN_SET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/flow.h"

struct seen_set;

/* A new, empty set for up to max addresses (1..65536). 0 with *out set,
 * -EINVAL or -ENOMEM. */
int seen_set_new(uint32_t max, struct seen_set **out);

/* Frees s (NULL is fine). No thread may be noting. */
void seen_set_free(struct seen_set *s);

/* Notes the address a (len 4 or 16; other lengths are ignored). Any
 * thread; never blocks, never allocates. 1 when a was added by this call
 * (once per address, ever), 0 when it was known, ignored, or being added
 * by another thread (a later call looks again), -ENOSPC when the set is
 * full and a is not in it. */
int seen_set_note(struct seen_set *s, const struct flow_addr *a);

/* How many slots the set has (the bound of seen_set_get's slot). */
uint32_t seen_set_slots(const struct seen_set *s);

/* True with *out set (IPv4 as 4 bytes, IPv6 as 16) when slot holds an
 * address; false for an empty slot or one still being filled. */
bool seen_set_get(const struct seen_set *s, uint32_t slot,
		  struct flow_addr *out);

/* The slot holding a, or -1 when a is not (yet) in the set. */
int64_t seen_set_find(const struct seen_set *s, const struct flow_addr *a);

/* Addresses in the set. Any thread. */
uint32_t seen_set_count(const struct seen_set *s);

/* True once an address was refused because the set was full. */
bool seen_set_full(const struct seen_set *s);

#endif
