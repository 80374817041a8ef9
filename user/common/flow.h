/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Types only: the decoded flow record that travels receive -> decode ->
 * encode -> publish, and the datagram that enters decode. Every stage
 * includes this header; no stage includes another stage's header sideways.
 *
 * struct flow_rec mirrors proto/flow.proto field for field (GoFlow2 v2.2.6
 * numbering). A field left zero is absent on the wire (proto3), exactly as
 * GoFlow2 emits it. Repeated fields are fixed arrays with a count so the hot
 * path never allocates.
 */
#ifndef XDPFLOW_COMMON_FLOW_H
#define XDPFLOW_COMMON_FLOW_H

#include <stddef.h>
#include <stdint.h>

enum flow_type {
	FLOW_TYPE_UNKNOWN = 0,
	FLOW_TYPE_SFLOW_5 = 1,
	FLOW_TYPE_NETFLOW_V5 = 2,
	FLOW_TYPE_NETFLOW_V9 = 3,
	FLOW_TYPE_IPFIX = 4,
};

/* GoFlow2's LayerStack enum. */
enum flow_layer {
	FLOW_LAYER_ETHERNET = 0,
	FLOW_LAYER_IPV4 = 1,
	FLOW_LAYER_IPV6 = 2,
	FLOW_LAYER_TCP = 3,
	FLOW_LAYER_UDP = 4,
	FLOW_LAYER_MPLS = 5,
	FLOW_LAYER_DOT1Q = 6,
	FLOW_LAYER_ICMP = 7,
	FLOW_LAYER_ICMPV6 = 8,
	FLOW_LAYER_GRE = 9,
	FLOW_LAYER_IPV6_ROUTING = 10,
	FLOW_LAYER_IPV6_FRAGMENT = 11,
	FLOW_LAYER_GENEVE = 12,
	FLOW_LAYER_TEREDO = 13,
	FLOW_LAYER_CUSTOM = 99,
};

/* An IP address as GoFlow2 puts it on the wire: len 4 (IPv4), 16 (IPv6) or
 * 0 (absent). Bytes in network order. */
struct flow_addr {
	uint8_t len;
	uint8_t b[16];
};

/* Formats a as text into buf (INET6_ADDRSTRLEN bytes at least) and
 * returns buf; an absent address (len 0, as the exporter table's shared
 * overflow entry has) reads "other-exporters". */
const char *flow_addr_str(const struct flow_addr *a, char *buf, size_t len);

#define FLOW_MAX_AS_PATH 32
#define FLOW_MAX_COMMUNITIES 32
#define FLOW_MAX_MPLS 8
#define FLOW_MAX_LAYERS 16
#define FLOW_MAX_SRV6 8

struct flow_rec {
	/* Scalars, in the order of proto/flow.proto. */
	uint32_t type; /* enum flow_type */
	uint64_t time_received_ns;
	uint32_t sequence_num;
	uint64_t sampling_rate;
	struct flow_addr sampler_address;
	uint64_t time_flow_start_ns;
	uint64_t time_flow_end_ns;
	uint64_t bytes;
	uint64_t packets;
	struct flow_addr src_addr;
	struct flow_addr dst_addr;
	uint32_t etype;
	uint32_t proto;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t in_if;
	uint32_t out_if;
	uint64_t src_mac; /* 48-bit MAC in the low bits, as GoFlow2 */
	uint64_t dst_mac;
	uint32_t src_vlan;
	uint32_t dst_vlan;
	uint32_t vlan_id;
	uint32_t ip_tos;
	uint32_t forwarding_status;
	uint32_t ip_ttl;
	uint32_t ip_flags;
	uint32_t tcp_flags;
	uint32_t icmp_type;
	uint32_t icmp_code;
	uint32_t ipv6_flow_label;
	uint32_t fragment_id;
	uint32_t fragment_offset;
	uint32_t src_as;
	uint32_t dst_as;
	struct flow_addr next_hop;
	uint32_t next_hop_as;
	uint32_t src_net;
	uint32_t dst_net;
	struct flow_addr bgp_next_hop;
	uint32_t observation_domain_id;
	uint32_t observation_point_id;
	uint32_t ipv6_routing_header_seg_left;
	uint32_t sampler_id;   /* xdpflow addition (1000) */
	uint32_t sampler_port; /* xdpflow addition (1001) */

	/* Repeated fields: n_* entries used. */
	uint8_t n_communities;
	uint8_t n_as_path;
	uint8_t n_mpls;	    /* mpls_label entries */
	uint8_t n_mpls_ttl; /* mpls_ttl entries: sFlow headers carry TTLs,
			     * NetFlow/IPFIX label IEs do not (GoFlow2 then
			     * sends none) */
	uint8_t n_mpls_ip;
	uint8_t n_layers; /* layer_stack and layer_size run in parallel */
	uint8_t n_srv6;
	uint32_t bgp_communities[FLOW_MAX_COMMUNITIES];
	uint32_t as_path[FLOW_MAX_AS_PATH];
	uint32_t mpls_ttl[FLOW_MAX_MPLS];
	uint32_t mpls_label[FLOW_MAX_MPLS];
	struct flow_addr mpls_ip[FLOW_MAX_MPLS];
	uint32_t layer_stack[FLOW_MAX_LAYERS]; /* enum flow_layer */
	uint32_t layer_size[FLOW_MAX_LAYERS];
	uint8_t srv6_addr[FLOW_MAX_SRV6][16];
};

/* A string of struct flow_enriched: len bytes at s (NUL-terminated too,
 * but the encoders never measure it: the tables knew each length when they
 * loaded). len 0 is absent, whatever s is. */
struct flow_str {
	const char *s;
	uint32_t len;
};

/* What enrichment adds to one flow (FlowMessage fields 1010 and up, see
 * proto/flow.proto), kept beside the decoded record rather than in it so
 * that decode never pays for it and a record need not be copied to be
 * enriched. Strings are borrowed from the enrichment tables (valid until
 * the flow is encoded); an empty one is absent, as is a speed of 0.
 * has_src_as/has_dst_as: the AS number precedence chose src_as/dst_as
 * here (0 included: a private ASN treated as absent), and they replace
 * the record's; otherwise the record's stand. */
struct flow_enriched {
	uint32_t src_as;
	uint32_t dst_as;
	uint8_t has_src_as;
	uint8_t has_dst_as;
	/* Per side: source and destination address. */
	struct flow_str src_country; /* ISO 3166 alpha-2 */
	struct flow_str dst_country;
	struct flow_str src_as_name;
	struct flow_str dst_as_name;
	struct flow_str src_net_name;
	struct flow_str dst_net_name;
	struct flow_str src_net_role;
	struct flow_str dst_net_role;
	struct flow_str src_net_site;
	struct flow_str dst_net_site;
	struct flow_str src_net_region;
	struct flow_str dst_net_region;
	struct flow_str src_net_tenant;
	struct flow_str dst_net_tenant;
	/* Per interface (the exporter's ifIndex in_if/out_if). */
	struct flow_str in_if_name;
	struct flow_str out_if_name;
	struct flow_str in_if_description;
	struct flow_str out_if_description;
	uint64_t in_if_speed; /* bits per second */
	uint64_t out_if_speed;
	/* Per exporter (sampler_address). */
	struct flow_str exporter_name;
	struct flow_str exporter_group;
	struct flow_str exporter_role;
	struct flow_str exporter_site;
	struct flow_str exporter_region;
	struct flow_str exporter_tenant;
};

/* Where a datagram says it comes from: the listener's protocol. */
enum decode_hint {
	DECODE_ANY = 0,	    /* flow://: sniff NetFlow/IPFIX/sFlow by version */
	DECODE_NETFLOW = 1, /* netflow://: v5, v9, IPFIX */
	DECODE_SFLOW = 2,   /* sflow:// */
};

/* One received UDP payload and its metadata. The payload is borrowed: it is
 * valid only during the decode call (it may sit in a UMEM frame). */
struct datagram {
	const uint8_t *data;
	size_t len;
	struct flow_addr exporter; /* UDP source address */
	uint16_t exporter_port;	   /* UDP source port, host order */
	uint16_t local_port;	   /* UDP destination port, host order */
	uint64_t time_received_ns; /* wall clock, ns since the Unix epoch */
	enum decode_hint hint;
};

/* Where decoders put flows. emit() is called once per decoded flow; the
 * record is borrowed for the duration of the call. Decoders may emit flows
 * of an earlier datagram (held data sets replayed when their template
 * arrives). emit_batch (optional, NULL: emit only) takes n consecutive
 * flows at once, recs[0..n) borrowed for the call, in the order emit would
 * have seen them; a decoder may use it for runs of records of one data set
 * (NetFlow v9/IPFIX), so that a sink can look their addresses up together
 * (enrichment) while the records stay where the decoder wrote them. */
struct flow_sink {
	void (*emit)(struct flow_sink *sink, const struct flow_rec *rec);
	void (*emit_batch)(struct flow_sink *sink, const struct flow_rec *recs,
			   size_t n);
};

#endif
