/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Types only: what enrichment adds to a flow. Every string points into an
 * immutable table (a networks file, a converted MMDB, an interface file)
 * that stays alive while the reader holds the tables it came from (see
 * enrich.h), and was added to its str_arena (str_arena_len knows its
 * length); NULL or 0 means "unknown". Nothing is allocated per flow.
 * These are the attributes a later change writes as FlowMessage fields
 * numbered from 1000 up.
 */
#ifndef XDPFLOW_ENRICH_TYPES_H
#define XDPFLOW_ENRICH_TYPES_H

#include <stdint.h>

/* One networks-file record, already merged with its enclosing prefixes:
 * one cache line (records are allocated aligned), holding the strings'
 * lengths too (0 for NULL), so that enriching a flow reads no string but
 * to copy it. */
struct enrich_net {
	_Alignas(64) const char *name;
	const char *role;
	const char *site;
	const char *region;
	const char *tenant;
	const char *country; /* ISO 3166 alpha-2, upper case */
	uint32_t asn;
	uint16_t name_len;
	uint16_t role_len;
	uint16_t site_len;
	uint16_t region_len;
	uint16_t tenant_len;
	uint16_t country_len;
};
_Static_assert(sizeof(struct enrich_net) == 64, "one cache line");

/* What the MMDB databases say about one address. */
struct enrich_geo {
	uint32_t asn;
	const char *as_name;
	const char *country; /* ISO 3166 alpha-2 */
};

/* One interface of one exporter. */
struct enrich_iface {
	const char *name;
	const char *description;
	uint64_t speed_bps; /* 0: unknown */
};

/* An exporter's classification. */
struct enrich_exporter {
	const char *name;
	const char *group;
	const char *role;
	const char *site;
	const char *region;
	const char *tenant;
};

/* Per side of a flow (source or destination address). */
struct enrich_side {
	const struct enrich_net *net; /* networks file; NULL: no prefix */
	struct enrich_geo geo;	      /* MMDB; zero: unknown */
};

/* Everything enrichment knows about one flow. */
struct enrich_result {
	struct enrich_side src;
	struct enrich_side dst;
	const struct enrich_iface *in_if;
	const struct enrich_iface *out_if;
	const struct enrich_exporter *exporter;
};

#endif
