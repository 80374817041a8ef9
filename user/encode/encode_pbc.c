// SPDX-License-Identifier: Apache-2.0
/*
 * The reference protobuf encoders (see encode_pbc.h): each fills a
 * protobuf-c message on the stack pointing into the record (nothing
 * allocated) and packs it with protobuf_c_message_pack, which walks every
 * field descriptor per call. This was the daemon's encoder before the
 * generated ones; the bytes they write are the contract the fast encoders
 * are tested against. An enriched message, whose strings have no bound, is
 * sized first (protobuf_c_message_get_packed_size) and packed in place.
 */
#include "encode/encode_pbc.h"

#include "encode/pb_frame.h"
#include "flow.pb-c.h"
#include "flow_legacy.pb-c.h"

/* layer_stack is an enum array in protobuf-c and a uint32_t array in the
 * record; protobuf-c reads enum arrays as 32-bit integers, so the record's
 * array can be handed over as is. */
_Static_assert(sizeof(Flowpb__FlowMessage__LayerStack) == sizeof(uint32_t),
	       "layer_stack enum must be 32 bits wide");

/* Largest FlowMessage body: ~45 scalars at 12 bytes, 5 addresses at 19, the
 * repeated fields full (communities and AS path 164 each, layer_stack 164,
 * mpls 86 + 152, srv6 152, layer_size 84): under 1700 bytes. The light
 * legacy message has 27 scalars (at most 11 bytes each with the key) and
 * three 16-byte addresses: well under 512 bytes. */
#define PBC_FLOW_WORST 2048
#define PBC_LEGACY_WORST 512
_Static_assert(PBC_FLOW_WORST <= PB_FRAME_BODY_MAX,
	       "pb body must fit pb_frame");
_Static_assert(PBC_LEGACY_WORST <= PB_FRAME_BODY_MAX,
	       "legacy body must fit pb_frame");

#define NS_PER_S 1000000000ULL

static uint8_t *pbc_body(const void *m, const void *aux, uint8_t *p)
{
	(void)aux;
	return p + protobuf_c_message_pack(m, p);
}

/* Frames m of any size: its exact size first, then the pack in place. */
static ssize_t pbc_frame_exact(const ProtobufCMessage *m, uint8_t *buf,
			       size_t cap)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	size_t k = pb_varint_len(len);

	if (len > cap || cap - len < k)
		return -ENOSPC;
	protobuf_c_message_pack(m, pb_varint_put(buf, len));
	return (ssize_t)(k + len);
}

/* A string field: protobuf-c leaves NULL and "" out of proto3 messages. */
/* protobuf-c measures the string itself (s.s is NUL-terminated at
 * s.len); an empty one stays at the default "", absent. */
static inline void pbc_str(char **dst, struct flow_str s)
{
	if (s.len)
		*dst = (char *)s.s;
}

static inline uint32_t pbc_as(uint32_t rec_as, uint8_t has, uint32_t enr_as)
{
	return has ? enr_as : rec_as;
}

static inline size_t clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

static inline void pbc_bin(ProtobufCBinaryData *d, const struct flow_addr *a)
{
	/* Only 4 and 16 are valid lengths; anything else is left absent. */
	d->len = (a->len == 4 || a->len == 16) ? a->len : 0;
	d->data = (uint8_t *)a->b;
}

ssize_t encode_pbc_flow_enriched(const struct flow_rec *rec,
				 const struct flow_enriched *enr, uint8_t *buf,
				 size_t cap)
{
	static const Flowpb__FlowMessage init = FLOWPB__FLOW_MESSAGE__INIT;
	ProtobufCBinaryData mpls_ip[FLOW_MAX_MPLS];
	ProtobufCBinaryData srv6[FLOW_MAX_SRV6];
	Flowpb__FlowMessage m = init;
	size_t n_mpls = clamp(rec->n_mpls, FLOW_MAX_MPLS);
	size_t n_mpls_ip = clamp(rec->n_mpls_ip, FLOW_MAX_MPLS);
	size_t n_layers = clamp(rec->n_layers, FLOW_MAX_LAYERS);
	size_t n_srv6 = clamp(rec->n_srv6, FLOW_MAX_SRV6);

	m.type = (Flowpb__FlowMessage__FlowType)rec->type;
	m.time_received_ns = rec->time_received_ns;
	m.sequence_num = rec->sequence_num;
	m.sampling_rate = rec->sampling_rate;
	pbc_bin(&m.sampler_address, &rec->sampler_address);
	m.time_flow_start_ns = rec->time_flow_start_ns;
	m.time_flow_end_ns = rec->time_flow_end_ns;
	m.bytes = rec->bytes;
	m.packets = rec->packets;
	pbc_bin(&m.src_addr, &rec->src_addr);
	pbc_bin(&m.dst_addr, &rec->dst_addr);
	m.etype = rec->etype;
	m.proto = rec->proto;
	m.src_port = rec->src_port;
	m.dst_port = rec->dst_port;
	m.in_if = rec->in_if;
	m.out_if = rec->out_if;
	m.src_mac = rec->src_mac;
	m.dst_mac = rec->dst_mac;
	m.src_vlan = rec->src_vlan;
	m.dst_vlan = rec->dst_vlan;
	m.vlan_id = rec->vlan_id;
	m.ip_tos = rec->ip_tos;
	m.forwarding_status = rec->forwarding_status;
	m.ip_ttl = rec->ip_ttl;
	m.ip_flags = rec->ip_flags;
	m.tcp_flags = rec->tcp_flags;
	m.icmp_type = rec->icmp_type;
	m.icmp_code = rec->icmp_code;
	m.ipv6_flow_label = rec->ipv6_flow_label;
	m.fragment_id = rec->fragment_id;
	m.fragment_offset = rec->fragment_offset;
	m.src_as = rec->src_as;
	m.dst_as = rec->dst_as;
	if (enr) {
		m.src_as = pbc_as(rec->src_as, enr->has_src_as, enr->src_as);
		m.dst_as = pbc_as(rec->dst_as, enr->has_dst_as, enr->dst_as);
	}
	pbc_bin(&m.next_hop, &rec->next_hop);
	m.next_hop_as = rec->next_hop_as;
	m.src_net = rec->src_net;
	m.dst_net = rec->dst_net;
	pbc_bin(&m.bgp_next_hop, &rec->bgp_next_hop);
	m.observation_domain_id = rec->observation_domain_id;
	m.observation_point_id = rec->observation_point_id;
	m.ipv6_routing_header_seg_left = rec->ipv6_routing_header_seg_left;
	m.sampler_id = rec->sampler_id;
	m.sampler_port = rec->sampler_port;

	m.n_bgp_communities = clamp(rec->n_communities, FLOW_MAX_COMMUNITIES);
	m.bgp_communities = (uint32_t *)rec->bgp_communities;
	m.n_as_path = clamp(rec->n_as_path, FLOW_MAX_AS_PATH);
	m.as_path = (uint32_t *)rec->as_path;
	m.n_mpls_ttl = clamp(rec->n_mpls_ttl, FLOW_MAX_MPLS);
	m.mpls_ttl = (uint32_t *)rec->mpls_ttl;
	m.n_mpls_label = n_mpls;
	m.mpls_label = (uint32_t *)rec->mpls_label;
	m.n_layer_stack = n_layers;
	m.layer_stack = (Flowpb__FlowMessage__LayerStack *)rec->layer_stack;
	m.n_layer_size = n_layers;
	m.layer_size = (uint32_t *)rec->layer_size;
	for (size_t i = 0; i < n_mpls_ip; i++)
		pbc_bin(&mpls_ip[i], &rec->mpls_ip[i]);
	m.n_mpls_ip = n_mpls_ip;
	m.mpls_ip = mpls_ip;
	for (size_t i = 0; i < n_srv6; i++) {
		srv6[i].len = 16;
		srv6[i].data = (uint8_t *)rec->srv6_addr[i];
	}
	m.n_ipv6_routing_header_addresses = n_srv6;
	m.ipv6_routing_header_addresses = srv6;

	if (!enr)
		return pb_frame_write(pbc_body, &m.base, NULL, PBC_FLOW_WORST,
				      2, buf, cap);
	pbc_str(&m.src_country, enr->src_country);
	pbc_str(&m.dst_country, enr->dst_country);
	pbc_str(&m.src_as_name, enr->src_as_name);
	pbc_str(&m.dst_as_name, enr->dst_as_name);
	pbc_str(&m.src_net_name, enr->src_net_name);
	pbc_str(&m.dst_net_name, enr->dst_net_name);
	pbc_str(&m.src_net_role, enr->src_net_role);
	pbc_str(&m.dst_net_role, enr->dst_net_role);
	pbc_str(&m.src_net_site, enr->src_net_site);
	pbc_str(&m.dst_net_site, enr->dst_net_site);
	pbc_str(&m.src_net_region, enr->src_net_region);
	pbc_str(&m.dst_net_region, enr->dst_net_region);
	pbc_str(&m.src_net_tenant, enr->src_net_tenant);
	pbc_str(&m.dst_net_tenant, enr->dst_net_tenant);
	pbc_str(&m.in_if_name, enr->in_if_name);
	pbc_str(&m.out_if_name, enr->out_if_name);
	pbc_str(&m.in_if_description, enr->in_if_description);
	pbc_str(&m.out_if_description, enr->out_if_description);
	m.in_if_speed = enr->in_if_speed;
	m.out_if_speed = enr->out_if_speed;
	pbc_str(&m.exporter_name, enr->exporter_name);
	pbc_str(&m.exporter_group, enr->exporter_group);
	pbc_str(&m.exporter_role, enr->exporter_role);
	pbc_str(&m.exporter_site, enr->exporter_site);
	pbc_str(&m.exporter_region, enr->exporter_region);
	pbc_str(&m.exporter_tenant, enr->exporter_tenant);
	return pbc_frame_exact(&m.base, buf, cap);
}

ssize_t encode_pbc_flow(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return encode_pbc_flow_enriched(rec, NULL, buf, cap);
}

ssize_t encode_pbc_legacy_enriched(const struct flow_rec *rec,
				   const struct flow_enriched *enr,
				   uint8_t *buf, size_t cap)
{
	static const Flowprotob__FlowMessage init =
		FLOWPROTOB__FLOW_MESSAGE__INIT;
	Flowprotob__FlowMessage m = init;

	/* Types outside the enum are unknown to flow-pipeline too. */
	m.type = rec->type <= FLOW_TYPE_IPFIX
			 ? (Flowprotob__FlowMessage__FlowType)rec->type
			 : FLOWPROTOB__FLOW_MESSAGE__FLOW_TYPE__FLOWUNKNOWN;
	m.timereceived = rec->time_received_ns / NS_PER_S;
	m.sequencenum = rec->sequence_num;
	m.samplingrate = rec->sampling_rate;
	pbc_bin(&m.sampleraddress, &rec->sampler_address);
	m.timeflowstart = rec->time_flow_start_ns / NS_PER_S;
	m.timeflowend = rec->time_flow_end_ns / NS_PER_S;
	m.bytes = rec->bytes;
	m.packets = rec->packets;
	pbc_bin(&m.srcaddr, &rec->src_addr);
	pbc_bin(&m.dstaddr, &rec->dst_addr);
	m.etype = rec->etype;
	m.proto = rec->proto;
	m.srcport = rec->src_port;
	m.dstport = rec->dst_port;
	m.inif = rec->in_if;
	m.outif = rec->out_if;
	m.iptos = rec->ip_tos;
	m.forwardingstatus = rec->forwarding_status;
	m.ipttl = rec->ip_ttl;
	m.tcpflags = rec->tcp_flags;
	m.icmptype = rec->icmp_type;
	m.icmpcode = rec->icmp_code;
	m.ipv6flowlabel = rec->ipv6_flow_label;
	m.srcas = rec->src_as;
	m.dstas = rec->dst_as;
	/* No enrichment fields in this schema: only the AS numbers apply. */
	if (enr) {
		m.srcas = pbc_as(rec->src_as, enr->has_src_as, enr->src_as);
		m.dstas = pbc_as(rec->dst_as, enr->has_dst_as, enr->dst_as);
	}

	return pb_frame_write(pbc_body, &m.base, NULL, PBC_LEGACY_WORST, 2, buf,
			      cap);
}

ssize_t encode_pbc_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return encode_pbc_legacy_enriched(rec, NULL, buf, cap);
}
