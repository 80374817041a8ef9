/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A hash map from (IP address, 32-bit index) to a 32-bit value: an
 * exporter's interfaces by ifIndex, or exporters alone (index 0). Filled
 * once, then only read (safe to share between threads). IPv4 and
 * IPv4-mapped IPv6 addresses are the same key.
 */
#ifndef XDPFLOW_ENRICH_ADDR_MAP_H
#define XDPFLOW_ENRICH_ADDR_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

struct addr_map;

/* A new, empty map, or NULL (out of memory). */
struct addr_map *addr_map_new(void);

/* Frees m (NULL is fine). */
void addr_map_free(struct addr_map *m);

/* Inserts (a, idx) -> value; value must not be 0. 0, -EEXIST (the key is
 * there: *old receives its value when old is not NULL), -EINVAL (a not 4
 * or 16 bytes, or value 0) or -ENOMEM. */
int addr_map_put(struct addr_map *m, const struct flow_addr *a, uint32_t idx,
		 uint32_t value, uint32_t *old);

/* The value of (a, idx), or 0. */
uint32_t addr_map_get(const struct addr_map *m, const struct flow_addr *a,
		      uint32_t idx);

/* Number of keys. */
size_t addr_map_count(const struct addr_map *m);

#endif
