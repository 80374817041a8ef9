/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A MaxMind-format database (MMDB) converted at load time into a prefix
 * table of records {asn, as_name, country}: the flow path then pays a
 * prefix-table lookup, not an MMDB tree walk and data decode, and gets
 * NUL-terminated strings.
 *
 * Layouts understood, per data record (any mix in one file):
 * - GeoLite2/GeoIP2 ASN: autonomous_system_number (uint32),
 *   autonomous_system_organization (string);
 * - GeoLite2/GeoIP2 Country/City: country.iso_code (map);
 * - IPinfo free (country, country_asn, asn): country (string ISO code),
 *   asn (string "AS15169"), as_name (string).
 * Records with none of these are skipped. In an IPv6 database the IPv4
 * subtree (::a.b.c.d/96+n) becomes IPv4 prefixes; its aliases
 * (::ffff:0:0/96, 2002::/16) are not walked twice. Data records at IPv6
 * prefixes shorter than /96 that cover ::/96 do not answer IPv4 lookups.
 */
#ifndef XDPFLOW_ENRICH_GEO_DB_H
#define XDPFLOW_ENRICH_GEO_DB_H

#include <stddef.h>

#include "common/flow.h"
#include "enrich/enrich_types.h"

struct enrich_geo_db;

/* Opens the MMDB at path and converts it. 0 with *out owning the result;
 * otherwise -EINVAL (not an MMDB, or corrupt: message in err), -ENOMEM,
 * or -errno of opening the file ("path: reason" in err). On failure *out
 * is untouched. */
int enrich_geo_db_load(const char *path, struct enrich_geo_db **out, char *err,
		       size_t errlen);

/* Frees g (NULL is fine). */
void enrich_geo_db_free(struct enrich_geo_db *g);

/* The record of the network holding a, or NULL. */
const struct enrich_geo *enrich_geo_db_lookup(const struct enrich_geo_db *g,
					      const struct flow_addr *a);

/* The same for n addresses at once (out[i] for addrs[i]), several times
 * faster per address on large tables. */
void enrich_geo_db_lookup_batch(const struct enrich_geo_db *g,
				const struct flow_addr *const *addrs, size_t n,
				const struct enrich_geo **out);

/* Networks converted (prefixes in the table). */
size_t enrich_geo_db_count(const struct enrich_geo_db *g);

/* Bytes of memory held (for reports). */
size_t enrich_geo_db_bytes(const struct enrich_geo_db *g);

#endif
