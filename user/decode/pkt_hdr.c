// SPDX-License-Identifier: Apache-2.0
/*
 * Sampled packet header parser (see pkt_hdr.h). One bounded loop over a
 * small state machine, one state per header kind; each step reads one header
 * after checking that it is all there, records it in layer_stack/layer_size
 * and picks the next state from the EtherType or IP protocol. Fields are
 * filled only from the outermost ("base") headers; the first header that
 * goes back down the stack (IP after GRE, IP-in-IP, Ethernet over GRE) marks
 * everything after it as encapsulated, with GoFlow2 v2.2.6's layer ordering.
 *
 * Where GoFlow2 misreads a header this parser reads it right, on purpose:
 * the IPv4 header length comes from IHL (options), the TCP header length
 * from the data offset, the GRE header length from its C/K/S flags, vlan_id
 * is the 12-bit VLAN ID, 802.1ad (0x88a8) tags are walked like 802.1Q, and
 * a non-first fragment's payload is not read as a transport header. IPv6
 * hop-by-hop and destination options headers, which GoFlow2 stops at, are
 * walked through; having no LayerStack value of their own, their bytes are
 * counted in the layer before them.
 */
#include "decode/pkt_hdr.h"

#include <stdbool.h>

#include "common/bytes.h"

enum st {
	ST_NONE = 0,
	ST_ETH,
	ST_DOT1Q,
	ST_MPLS,
	ST_IPV4,
	ST_IPV6,
	ST_IPV6_OPT, /* hop-by-hop or destination options */
	ST_IPV6_RT,
	ST_IPV6_FRAG,
	ST_TCP,
	ST_UDP,
	ST_ICMP,
	ST_ICMPV6,
	ST_GRE,
	ST__COUNT,
};

/* GoFlow2's LayerIndex: a header whose index is not above the current one
 * starts an encapsulated packet, unless it is transparent (EncapSkip). */
static const uint8_t st_level[ST__COUNT] = {
	[ST_NONE] = 100,    [ST_ETH] = 20,     [ST_DOT1Q] = 25,
	[ST_MPLS] = 25,	    [ST_IPV4] = 30,    [ST_IPV6] = 30,
	[ST_IPV6_OPT] = 35, [ST_IPV6_RT] = 35, [ST_IPV6_FRAG] = 35,
	[ST_TCP] = 40,	    [ST_UDP] = 40,     [ST_GRE] = 40,
	[ST_ICMP] = 70,	    [ST_ICMPV6] = 70,
};

static const bool st_transparent[ST__COUNT] = {
	[ST_DOT1Q] = true,
	[ST_MPLS] = true,
	[ST_IPV6_FRAG] = true,
	[ST_IPV6_OPT] = true,
};

/* Walking more than this many headers means a crafted packet: stop. */
#define PKT_HDR_MAX_STEPS 32
/* MPLS labels walked looking for the bottom of the stack. */
#define PKT_HDR_MAX_LABELS 32

static enum st next_by_etype(uint16_t etype)
{
	switch (etype) {
	case 0x0800:
		return ST_IPV4;
	case 0x86dd:
		return ST_IPV6;
	case 0x8100:
	case 0x88a8:
		return ST_DOT1Q;
	case 0x8847:
		return ST_MPLS;
	case 0x6558: /* transparent Ethernet bridging (GRE, Geneve) */
	case 0x199e:
		return ST_ETH;
	}
	return ST_NONE;
}

static enum st next_by_proto(uint8_t proto, bool v6)
{
	switch (proto) {
	case 0: /* hop-by-hop options: only right after the IPv6 header */
	case 60:
		return v6 ? ST_IPV6_OPT : ST_NONE;
	case 1:
		return ST_ICMP;
	case 4:
		return ST_IPV4;
	case 6:
		return ST_TCP;
	case 17:
		return ST_UDP;
	case 41:
		return ST_IPV6;
	case 43:
		return ST_IPV6_RT;
	case 44:
		return ST_IPV6_FRAG;
	case 47:
		return ST_GRE;
	case 58:
		return ST_ICMPV6;
	}
	return ST_NONE;
}

static uint64_t mac_at(const uint8_t *p)
{
	return (uint64_t)be16_at(p) << 32 | be32_at(p + 2);
}

static void set_addrs(struct flow_rec *rec, const uint8_t *src,
		      const uint8_t *dst, uint8_t n)
{
	rec->src_addr.len = n;
	rec->dst_addr.len = n;
	memcpy(rec->src_addr.b, src, n);
	memcpy(rec->dst_addr.b, dst, n);
}

/* Walks an MPLS label stack at p; returns its size (0: incomplete) and the
 * state after it. Labels go into rec when base is set. */
static size_t walk_mpls(const uint8_t *p, size_t rem, bool base,
			struct flow_rec *rec, enum st *next)
{
	size_t off = 0;
	uint16_t etype = 0;

	*next = ST_NONE;
	if (rem < 4)
		return 0;
	if (base)
		rec->n_mpls = rec->n_mpls_ttl = 0;
	for (unsigned i = 0; i < PKT_HDR_MAX_LABELS && off + 4 <= rem; i++) {
		uint32_t w = be32_at(p + off);
		uint32_t label = w >> 12;
		bool bottom = w & 0x100;

		if (base && rec->n_mpls < FLOW_MAX_MPLS) {
			rec->mpls_label[rec->n_mpls] = label;
			rec->mpls_ttl[rec->n_mpls] = w & 0xff;
			rec->n_mpls++;
			rec->n_mpls_ttl++;
		}
		off += 4;
		/* GoFlow2 also ends the stack at a reserved label. */
		if (bottom || label <= 15) {
			if (off < rem) {
				switch (p[off] >> 4) {
				case 4:
					etype = 0x0800;
					break;
				case 6:
					etype = 0x86dd;
					break;
				}
			}
			break;
		}
	}
	if (etype) {
		if (base)
			rec->etype = etype;
		*next = next_by_etype(etype);
	}
	return off;
}

/* Copies an SRv6 segment list (routing type 4) into rec. */
static void copy_srv6(const uint8_t *p, size_t rem, size_t size,
		      struct flow_rec *rec)
{
	unsigned last = p[4];

	for (size_t off = 8, i = 0; off + 16 <= size && off + 16 <= rem &&
				    i <= last && rec->n_srv6 < FLOW_MAX_SRV6;
	     off += 16, i++)
		memcpy(rec->srv6_addr[rec->n_srv6++], p + off, 16);
}

unsigned pkt_hdr_parse(const uint8_t *data, size_t len,
		       enum pkt_hdr_start start, struct flow_rec *rec)
{
	unsigned pushed = 0, ext = 0;
	uint8_t level = 0;
	bool encap = false;
	size_t off = 0;
	enum st st;

	switch (start) {
	case PKT_HDR_ETHERNET:
		st = ST_ETH;
		break;
	case PKT_HDR_IPV4:
		st = ST_IPV4;
		break;
	case PKT_HDR_IPV6:
		st = ST_IPV6;
		break;
	case PKT_HDR_IP:
		if (!len)
			return 0;
		st = data[0] >> 4 == 6 ? ST_IPV6 : ST_IPV4;
		break;
	default:
		return 0;
	}
	if (st == ST_IPV4)
		rec->etype = 0x0800;
	else if (st == ST_IPV6)
		rec->etype = 0x86dd;

	for (unsigned step = 0; st != ST_NONE && step < PKT_HDR_MAX_STEPS;
	     step++) {
		const uint8_t *p = data + off;
		const size_t rem = len - off;
		const bool base = !encap;
		enum st next = ST_NONE;
		int layer = -1;
		size_t size = 0;
		uint16_t w;

		switch (st) {
		case ST_ETH:
			if (rem < 14)
				goto out;
			size = 14;
			layer = FLOW_LAYER_ETHERNET;
			w = be16_at(p + 12);
			if (base) {
				rec->dst_mac = mac_at(p);
				rec->src_mac = mac_at(p + 6);
				rec->etype = w;
			}
			next = next_by_etype(w);
			break;
		case ST_DOT1Q:
			if (rem < 4)
				goto out;
			size = 4;
			layer = FLOW_LAYER_DOT1Q;
			w = be16_at(p + 2);
			if (base) {
				rec->vlan_id = be16_at(p) & 0x0fff;
				rec->etype = w;
			}
			next = next_by_etype(w);
			break;
		case ST_MPLS:
			size = walk_mpls(p, rem, base, rec, &next);
			if (!size)
				goto out;
			layer = FLOW_LAYER_MPLS;
			break;
		case ST_IPV4:
			if (rem < 20)
				goto out;
			layer = FLOW_LAYER_IPV4;
			size = (size_t)(p[0] & 0x0f) * 4;
			w = be16_at(p + 6);
			if (base) {
				set_addrs(rec, p + 12, p + 16, 4);
				rec->ip_tos = p[1];
				rec->ip_ttl = p[8];
				rec->fragment_id = be16_at(p + 4);
				rec->fragment_offset = w & 0x1fff;
				rec->ip_flags = w >> 13;
				rec->proto = p[9];
			}
			if (size < 20)
				size = 20; /* bad IHL: nothing after it */
			else if (!(w & 0x1fff))
				next = next_by_proto(p[9], false);
			break;
		case ST_IPV6:
			if (rem < 40)
				goto out;
			size = 40;
			layer = FLOW_LAYER_IPV6;
			if (base) {
				uint32_t vtf = be32_at(p);

				set_addrs(rec, p + 8, p + 24, 16);
				rec->ip_tos = (vtf >> 20) & 0xff;
				rec->ip_ttl = p[7];
				rec->ipv6_flow_label = vtf & 0xfffff;
				rec->proto = p[6];
			}
			next = next_by_proto(p[6], true);
			break;
		case ST_IPV6_OPT:
			if (rem < 8 || ++ext > PKT_HDR_MAX_EXT)
				goto out;
			size = ((size_t)p[1] + 1) * 8;
			next = next_by_proto(p[0], true);
			break;
		case ST_IPV6_RT:
			if (rem < 8 || ++ext > PKT_HDR_MAX_EXT)
				goto out;
			size = ((size_t)p[1] + 1) * 8;
			layer = FLOW_LAYER_IPV6_ROUTING;
			if (base) {
				rec->ipv6_routing_header_seg_left = p[3];
				if (p[2] == 4)
					copy_srv6(p, rem, size, rec);
			}
			next = next_by_proto(p[0], true);
			break;
		case ST_IPV6_FRAG:
			if (rem < 8 || ++ext > PKT_HDR_MAX_EXT)
				goto out;
			size = 8;
			layer = FLOW_LAYER_IPV6_FRAGMENT;
			w = be16_at(p + 2);
			if (base) {
				rec->fragment_id = be32_at(p + 4);
				rec->fragment_offset = w >> 3;
				rec->ip_flags = w & 7;
			}
			if (!(w >> 3))
				next = next_by_proto(p[0], true);
			break;
		case ST_TCP:
			if (rem < 20)
				goto out;
			size = (size_t)(p[12] >> 4) * 4;
			if (size < 20)
				size = 20;
			layer = FLOW_LAYER_TCP;
			if (base) {
				rec->src_port = be16_at(p);
				rec->dst_port = be16_at(p + 2);
				rec->tcp_flags = p[13];
			}
			break;
		case ST_UDP:
			if (rem < 8)
				goto out;
			size = 8;
			layer = FLOW_LAYER_UDP;
			if (base) {
				rec->src_port = be16_at(p);
				rec->dst_port = be16_at(p + 2);
			}
			break;
		case ST_ICMP:
		case ST_ICMPV6:
			if (rem < 2)
				goto out;
			size = 8;
			layer = st == ST_ICMP ? FLOW_LAYER_ICMP
					      : FLOW_LAYER_ICMPV6;
			/* GoFlow2 keeps the first ICMP header, even inside
			 * a tunnel; there is only ever one. */
			rec->icmp_type = p[0];
			rec->icmp_code = p[1];
			break;
		case ST_GRE:
			if (rem < 4)
				goto out;
			w = be16_at(p);
			size = 4 + 4 * (!!(w & 0xc000) + !!(w & 0x2000) +
					!!(w & 0x1000));
			layer = FLOW_LAYER_GRE;
			if ((w & 7) == 0)
				next = next_by_etype(be16_at(p + 2));
			break;
		default:
			goto out;
		}

		if (layer >= 0) {
			if (rec->n_layers >= FLOW_MAX_LAYERS)
				goto out;
			rec->layer_stack[rec->n_layers] = (uint32_t)layer;
			rec->layer_size[rec->n_layers] = (uint32_t)size;
			rec->n_layers++;
			pushed++;
		} else if (rec->n_layers) {
			rec->layer_size[rec->n_layers - 1] += (uint32_t)size;
		}
		if (st != ST_IPV6_OPT)
			level = st_level[st];
		if (!st_transparent[next] && st_level[next] <= level)
			encap = true;
		if (size > rem)
			break;
		off += size;
		st = next;
	}
out:
	return pushed;
}
