/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parser for a sampled packet header: the first bytes of a packet as an sFlow
 * raw packet header record (or an IPFIX dataLinkFrameSection) carries them.
 * It walks Ethernet, 802.1Q/802.1ad tags, an MPLS label stack, IPv4 (with
 * options), IPv6 and its extension headers (hop-by-hop, routing with the SRv6
 * segment list, fragment, destination options), GRE and IP-in-IP, down to
 * TCP/UDP/ICMP/ICMPv6, and fills struct flow_rec the way GoFlow2 v2.2.6's
 * packet producer does: the outermost headers set the fields, every header
 * walked is appended to layer_stack/layer_size. Bounded in steps, never
 * reads outside the buffer, allocates nothing.
 */
#ifndef XDPFLOW_DECODE_PKT_HDR_H
#define XDPFLOW_DECODE_PKT_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/* The first header of the sampled bytes. */
enum pkt_hdr_start {
	PKT_HDR_ETHERNET = 0, /* sFlow header protocol 1 */
	PKT_HDR_IPV4 = 1,     /* sFlow header protocol 11 */
	PKT_HDR_IPV6 = 2,     /* sFlow header protocol 12 */
	PKT_HDR_IP = 3,	      /* IPv4 or IPv6, by the version nibble */
};

/* At most this many IPv6 extension headers are walked per packet. */
#define PKT_HDR_MAX_EXT 8

/*
 * Parses data[0..len) as a packet starting with `start` and fills rec's
 * packet fields: src_mac/dst_mac, etype, vlan_id, mpls_label/mpls_ttl,
 * src_addr/dst_addr, ip_tos, ip_ttl, ip_flags, fragment_id/offset,
 * ipv6_flow_label, proto, src_port/dst_port, tcp_flags, icmp_type/code,
 * ipv6_routing_header_seg_left and srv6_addr, and appends to layer_stack and
 * layer_size. For PKT_HDR_IPV4/IPV6/IP, etype is set from the IP version.
 * The caller zeroes those fields beforehand (rec->n_layers, n_mpls and
 * n_srv6 included); fields of a header that is cut short are left alone.
 * Never reads outside data[0..len). Returns the number of layers appended.
 */
unsigned pkt_hdr_parse(const uint8_t *data, size_t len,
		       enum pkt_hdr_start start, struct flow_rec *rec);

#endif
