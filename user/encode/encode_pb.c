// SPDX-License-Identifier: Apache-2.0
/*
 * Protobuf encoder: struct flow_rec to a varint length prefix followed by a
 * FlowMessage (proto/flow.proto, GoFlow2 v2.2.6 numbering), the framing of
 * GoFlow2's -format=bin and of ClickHouse's Protobuf input. Zero fields are
 * absent (proto3), addresses are 4 or 16 bytes, repeated scalars packed.
 *
 * The wire format comes from protobuf-c's generated code: a FlowMessage is
 * filled on the stack pointing into the record (nothing allocated) and
 * packed by protobuf_c_message_pack. The packer walks every field
 * descriptor per call, so the encoder packs once, straight into the
 * caller's buffer after room for the longest prefix, instead of also
 * calling get_packed_size (which walks them all a second time).
 */
#include "encode/encode.h"


#include "encode/pb_frame.h"
#include "flow.pb-c.h"

/* layer_stack is an enum array in protobuf-c and a uint32_t array in the
 * record; protobuf-c reads enum arrays as 32-bit integers, so the record's
 * array can be handed over as is. */
_Static_assert(sizeof(Flowpb__FlowMessage__LayerStack) == sizeof(uint32_t),
	       "layer_stack enum must be 32 bits wide");

/* Largest body: ~45 scalars at 12 bytes, 5 addresses at 19, the repeated
 * fields full (communities and AS path 164 each, layer_stack 164, mpls
 * 86 + 152, srv6 152, layer_size 84): under 1700 bytes. A body below
 * 16384 bytes has a prefix of at most 2 bytes. */
#define PB_WORST 2048
_Static_assert(PB_WORST <= PB_FRAME_BODY_MAX, "pb body must fit pb_frame");
_Static_assert(PB_WORST + PB_FRAME_PREFIX_MAX <= ENCODE_MAX_LEN,
	       "pb must fit ENCODE_MAX_LEN");

static inline size_t clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

static inline unsigned addr_len(const struct flow_addr *a)
{
	/* Only 4 and 16 are valid; anything else is absent, not trusted. */
	return (a->len == 4 || a->len == 16) ? a->len : 0;
}

static inline void pbc_bin(ProtobufCBinaryData *d, const struct flow_addr *a)
{
	d->len = addr_len(a);
	d->data = (uint8_t *)a->b;
}

ssize_t encode_pb(const struct flow_rec *rec, uint8_t *buf, size_t cap)
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

	return pb_frame_write(&m.base, PB_WORST, buf, cap);
}
