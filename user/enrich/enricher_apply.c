// SPDX-License-Identifier: Apache-2.0
/*
 * The flow side of the enricher (contract in enricher.h): the lookups of
 * enrich_flow turned into a struct flow_enriched, with the AS number
 * chosen by the config's providers and override/private rules. Runs on the
 * workers; allocates nothing.
 */
#include "enrich/enricher.h"

#include <string.h>

#include "enrich/enricher_internal.h"
#include "enrich/str_arena.h"

int enricher_asn_private(uint32_t asn)
{
	return asn == 0 || asn == 23456 || (asn >= 64496 && asn <= 131071) ||
	       asn >= 4200000000u;
}

static int usable(const struct enricher_asn_policy *p, uint32_t asn)
{
	return asn && !(p->private_absent && enricher_asn_private(asn));
}

/* enricher_asn_pick, inlined into enricher_fill (twice per flow). */
static inline __attribute__((always_inline)) uint32_t
asn_pick(const struct enricher_asn_policy *p, uint32_t flow_asn,
	 uint32_t geo_asn, uint32_t net_asn, uint8_t *has)
{
	uint32_t v = 0;

	if (!p->override && usable(p, flow_asn)) {
		v = flow_asn;
	} else {
		for (unsigned i = 0; i < p->n; i++) {
			uint32_t c = p->order[i] == ENRICHER_ASN_FLOW ? flow_asn
				     : p->order[i] == ENRICHER_ASN_GEOIP
					     ? geo_asn
					     : net_asn;

			if (usable(p, c)) {
				v = c;
				break;
			}
		}
	}
	*has = v != flow_asn;
	return v;
}

uint32_t enricher_asn_pick(const struct enricher_asn_policy *p,
			   uint32_t flow_asn, uint32_t geo_asn,
			   uint32_t net_asn, uint8_t *has)
{
	return asn_pick(p, flow_asn, geo_asn, net_asn, has);
}

/* Every table string comes from a str_arena, which knows its length: the
 * encoders need not measure it. */
static inline struct flow_str fstr(const char *s)
{
	return s ? (struct flow_str){ s, str_arena_len(s) }
		 : (struct flow_str){ NULL, 0 };
}

/* A networks-record string: its length is in the record. */
static inline struct flow_str nstr(const char *s, uint16_t len)
{
	return (struct flow_str){ s, len };
}

/* A networks record's name, role, site, region and tenant (n NULL: all
 * absent). */
static inline void net_strs(const struct enrich_net *n, struct flow_str *name,
			    struct flow_str *role, struct flow_str *site,
			    struct flow_str *region, struct flow_str *tenant)
{
	static const struct flow_str none = { NULL, 0 };

	if (!n) {
		*name = *role = *site = *region = *tenant = none;
		return;
	}
	*name = nstr(n->name, n->name_len);
	*role = nstr(n->role, n->role_len);
	*site = nstr(n->site, n->site_len);
	*region = nstr(n->region, n->region_len);
	*tenant = nstr(n->tenant, n->tenant_len);
}

void enricher_fill(const struct enricher_asn_policy *p,
		   const struct flow_rec *rec, const struct enrich_result *r,
		   struct flow_enriched *out)
{
	const struct enrich_net *sn = r->src.net, *dn = r->dst.net;
	const struct enrich_iface *in = r->in_if, *oi = r->out_if;
	const struct enrich_exporter *e = r->exporter;

	out->src_as = asn_pick(p, rec->src_as, r->src.geo.asn, sn ? sn->asn : 0,
			       &out->has_src_as);
	out->dst_as = asn_pick(p, rec->dst_as, r->dst.geo.asn, dn ? dn->asn : 0,
			       &out->has_dst_as);
	/* The database's AS name only beside its own AS number. */
	out->src_as_name = out->src_as && out->src_as == r->src.geo.asn
				   ? fstr(r->src.geo.as_name)
				   : fstr(NULL);
	out->dst_as_name = out->dst_as && out->dst_as == r->dst.geo.asn
				   ? fstr(r->dst.geo.as_name)
				   : fstr(NULL);
	/* The operator's networks file over the database. */
	out->src_country = sn && sn->country_len
				   ? nstr(sn->country, sn->country_len)
				   : fstr(r->src.geo.country);
	out->dst_country = dn && dn->country_len
				   ? nstr(dn->country, dn->country_len)
				   : fstr(r->dst.geo.country);
	net_strs(sn, &out->src_net_name, &out->src_net_role, &out->src_net_site,
		 &out->src_net_region, &out->src_net_tenant);
	net_strs(dn, &out->dst_net_name, &out->dst_net_role, &out->dst_net_site,
		 &out->dst_net_region, &out->dst_net_tenant);
	out->in_if_name = fstr(in ? in->name : NULL);
	out->in_if_description = fstr(in ? in->description : NULL);
	out->in_if_speed = in ? in->speed_bps : 0;
	out->out_if_name = fstr(oi ? oi->name : NULL);
	out->out_if_description = fstr(oi ? oi->description : NULL);
	out->out_if_speed = oi ? oi->speed_bps : 0;
	out->exporter_name = fstr(e ? e->name : NULL);
	out->exporter_group = fstr(e ? e->group : NULL);
	out->exporter_role = fstr(e ? e->role : NULL);
	out->exporter_site = fstr(e ? e->site : NULL);
	out->exporter_region = fstr(e ? e->region : NULL);
	out->exporter_tenant = fstr(e ? e->tenant : NULL);
}

void enricher_apply(const struct enricher *x, const struct enrich_tables *t,
		    const struct flow_rec *rec, struct flow_enriched *out)
{
	struct enrich_result r;

	/* Lock-free and allocation-free. */
	enricher_note_exporter(x, &rec->sampler_address);
	enrich_flow(t, &rec->src_addr, &rec->dst_addr, &rec->sampler_address,
		    rec->in_if, rec->out_if, &r);
	enricher_fill(enricher_policy(x), rec, &r, out);
}

/* Starts loading s unless it is absent: a prefetch of NULL is no
 * no-op (the address is translated, and an unmapped page is walked every
 * time). */
static inline void prefetch_str(const char *s, uint16_t len)
{
	if (len)
		__builtin_prefetch(s);
}

/* Starts loading the strings of n, which the encoder copies. */
static inline void prefetch_net_strs(const struct enrich_net *n)
{
	if (!n)
		return;
	prefetch_str(n->name, n->name_len);
	prefetch_str(n->role, n->role_len);
	prefetch_str(n->site, n->site_len);
	prefetch_str(n->region, n->region_len);
	prefetch_str(n->tenant, n->tenant_len);
	prefetch_str(n->country, n->country_len);
}

void enricher_apply_batch(const struct enricher *x,
			  const struct enrich_tables *t,
			  const struct flow_rec *recs, size_t n,
			  struct flow_enriched *out)
{
	enum { CHUNK = 32 };
	struct enrich_result r[CHUNK];
	const struct enricher_asn_policy *p = enricher_policy(x);

	enricher_note_exporters(x, recs, n);
	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;

		enrich_flow_recs(t, recs + base, m, r);
		/* The networks records (their lookup started them) point to
		 * strings the encoder copies, one more dependent miss each:
		 * start them all now. */
		for (size_t i = 0; i < m; i++) {
			prefetch_net_strs(r[i].src.net);
			prefetch_net_strs(r[i].dst.net);
		}
		for (size_t i = 0; i < m; i++)
			enricher_fill(p, &recs[base + i], &r[i],
				      &out[base + i]);
	}
}
