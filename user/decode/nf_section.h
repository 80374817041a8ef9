/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sampled packets carried inside NetFlow v9/IPFIX records: IPFIX
 * dataLinkFrameSection (315) and ipHeaderPacketSection (313), NetFlow v9
 * layer2packetSectionData (104). The section is parsed with the packet
 * parser sFlow's raw headers use (pkt_hdr.c), so both give the same fields.
 * Internal to user/decode: included by nf_section.c and nf_fields.c.
 */
#ifndef XDPFLOW_DECODE_NF_SECTION_H
#define XDPFLOW_DECODE_NF_SECTION_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "decode/pkt_hdr.h"

/*
 * Parses the section p[0..len) (starting with `start`: PKT_HDR_ETHERNET or
 * PKT_HDR_IP) and fills the packet fields of r that the record's own
 * elements left empty (addresses, ports, protocol, TTL, TCP flags, MACs,
 * VLAN, MPLS labels, layer stack, IPv6 flow label, fragment fields...).
 * Returns the length of the packet the section was cut from, as far as its
 * headers tell (the IP total length, plus the link headers before it for
 * an Ethernet section), or 0 when they do not. Never reads outside p.
 */
uint64_t nf_section_apply(struct flow_rec *r, const uint8_t *p, size_t len,
			  enum pkt_hdr_start start);

#endif
