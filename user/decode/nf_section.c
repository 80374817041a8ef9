// SPDX-License-Identifier: Apache-2.0
/*
 * A sampled packet section inside a NetFlow v9/IPFIX record (see
 * nf_section.h): parsed into a scratch record by pkt_hdr_parse, then merged
 * into the flow field by field, the record's own elements winning, so a
 * record that names its addresses and also carries the frame keeps the
 * addresses it named.
 */
#include "decode/nf_section.h"

#include <string.h>

#include "common/bytes.h"

#define FILL(f)                                                                \
	do {                                                                   \
		if (!r->f)                                                     \
			r->f = s->f;                                           \
	} while (0)

static void merge(struct flow_rec *r, const struct flow_rec *s)
{
	if (!r->src_addr.len && !r->dst_addr.len) {
		r->src_addr = s->src_addr;
		r->dst_addr = s->dst_addr;
	}
	FILL(etype);
	FILL(src_mac);
	FILL(dst_mac);
	FILL(vlan_id);
	FILL(ip_tos);
	FILL(ip_ttl);
	FILL(ip_flags);
	FILL(fragment_id);
	FILL(fragment_offset);
	FILL(ipv6_flow_label);
	FILL(proto);
	FILL(src_port);
	FILL(dst_port);
	FILL(tcp_flags);
	FILL(icmp_type);
	FILL(icmp_code);
	FILL(ipv6_routing_header_seg_left);
	if (!r->n_mpls && s->n_mpls) {
		r->n_mpls = s->n_mpls;
		r->n_mpls_ttl = s->n_mpls_ttl;
		memcpy(r->mpls_label, s->mpls_label, sizeof(r->mpls_label));
		memcpy(r->mpls_ttl, s->mpls_ttl, sizeof(r->mpls_ttl));
	}
	if (!r->n_srv6 && s->n_srv6) {
		r->n_srv6 = s->n_srv6;
		memcpy(r->srv6_addr, s->srv6_addr, sizeof(r->srv6_addr));
	}
	if (!r->n_layers && s->n_layers) {
		r->n_layers = s->n_layers;
		memcpy(r->layer_stack, s->layer_stack, sizeof(r->layer_stack));
		memcpy(r->layer_size, s->layer_size, sizeof(r->layer_size));
	}
}

#undef FILL

/* The total length the IP header at p says (0: not an IP header here). */
static uint64_t ip_len_at(const uint8_t *p, size_t len)
{
	if (len >= 20 && p[0] >> 4 == 4)
		return be16_at(p + 2);
	if (len >= 40 && p[0] >> 4 == 6)
		return 40 + (uint64_t)be16_at(p + 4);
	return 0;
}

uint64_t nf_section_apply(struct flow_rec *r, const uint8_t *p, size_t len,
			  enum pkt_hdr_start start)
{
	struct flow_rec s;
	size_t off = 0;
	uint64_t ip_len;

	memset(&s, 0, sizeof(s));
	pkt_hdr_parse(p, len, start, &s);
	merge(r, &s);
	/* The IP header's offset is the size of the layers before it. */
	for (unsigned i = 0; i < s.n_layers; i++) {
		if (s.layer_stack[i] == FLOW_LAYER_IPV4 ||
		    s.layer_stack[i] == FLOW_LAYER_IPV6) {
			if (off > len)
				return 0;
			ip_len = ip_len_at(p + off, len - off);
			return ip_len ? off + ip_len : 0;
		}
		off += s.layer_size[i];
	}
	return 0;
}
