/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Networks file: a CSV table of prefixes and their attributes, loaded into
 * an immutable prefix table whose lookups return merged records (the most
 * specific prefix wins attribute by attribute).
 *
 * Format: '#' comment lines and blank lines are skipped. The first other
 * line is the header naming the columns, in any order: `prefix` (required)
 * and any of name, role, site, region, tenant, asn, country. Each row gives
 * a prefix (a.b.c.d/n, x:y::/n, or a bare address for a host route) and
 * the attributes it sets; an empty field sets nothing (the enclosing
 * prefix's value shows through). Fields may be double-quoted ("" is a
 * quote inside). asn is 1..4294967295, optionally written AS65000; country
 * is two letters (stored upper case).
 *
 * Strictness: a prefix with host bits set (10.0.0.1/24) is rejected rather
 * than silently normalised, as it is most likely a typo for a /32 or a
 * wrong length. Any error fails the whole load with "file:line: reason";
 * the caller keeps the table it had.
 */
#ifndef XDPFLOW_ENRICH_NETWORKS_FILE_H
#define XDPFLOW_ENRICH_NETWORKS_FILE_H

#include <stddef.h>

#include "common/flow.h"
#include "enrich/enrich_types.h"

struct enrich_networks;

/* Parses len bytes of CSV text; name is the file name used in messages.
 * On success *out owns a new table and 0 is returned. Otherwise -EINVAL
 * (bad content, message "name:line: reason" in err) or -ENOMEM; *out is
 * untouched. err (errlen bytes) always receives a NUL-terminated message
 * on failure. */
int enrich_networks_parse(const char *buf, size_t len, const char *name,
			  struct enrich_networks **out, char *err,
			  size_t errlen);

/* Reads and parses the file at path, as enrich_networks_parse; also -errno
 * of open/read ("path: reason" in err). */
int enrich_networks_load(const char *path, struct enrich_networks **out,
			 char *err, size_t errlen);

/* Frees n (NULL is fine). */
void enrich_networks_free(struct enrich_networks *n);

/* The merged record of the longest prefix holding a, or NULL. */
const struct enrich_net *enrich_networks_lookup(const struct enrich_networks *n,
						const struct flow_addr *a);

/* The same for n addresses at once (out[i] for addrs[i]), several times
 * faster per address on large tables. */
void enrich_networks_lookup_batch(const struct enrich_networks *nets,
				  const struct flow_addr *const *addrs,
				  size_t n, const struct enrich_net **out);

/* Number of prefixes loaded. */
size_t enrich_networks_count(const struct enrich_networks *n);

/* Bytes of memory held (for reports). */
size_t enrich_networks_bytes(const struct enrich_networks *n);

#endif
