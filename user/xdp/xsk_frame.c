// SPDX-License-Identifier: Apache-2.0
/*
 * Ethernet/VLAN/IPv4/IPv6/UDP parsing of AF_XDP frames into struct datagram
 * (see xsk_frame.h). Mirrors the XDP program's parse, with the lengths the
 * program does not need (IP total/payload length, UDP length) checked too.
 */
#include "xdp/xsk_frame.h"

#include <errno.h>
#include <string.h>

#include "common/bytes.h"

#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define MAX_VLAN 2
#define MAX_IPV6_EXT 6

/* Leaves c on the UDP header, bounded by the IP length; returns the IP
 * protocol or -1. */
static int parse_ip4(struct cur *c, struct datagram *dg)
{
	const uint8_t *h = cur_take(c, 20);
	size_t hl, tot;

	if (!h || (h[0] >> 4) != 4)
		return -1;
	hl = (size_t)(h[0] & 0x0F) * 4;
	tot = be16_at(h + 2);
	if (hl < 20 || tot < hl || tot - 20 > c->left)
		return -1;
	if (be16_at(h + 6) & 0x3FFF) /* MF or an offset: a fragment */
		return -1;
	dg->exporter.len = 4;
	memcpy(dg->exporter.b, h + 12, 4);
	memset(dg->exporter.b + 4, 0, 12);
	c->left = tot - 20; /* drop Ethernet padding */
	if (!cur_skip(c, hl - 20))
		return -1;
	return h[9];
}

static int parse_ip6(struct cur *c, struct datagram *dg)
{
	const uint8_t *h = cur_take(c, 40);
	size_t plen;
	int nh;

	if (!h || (h[0] >> 4) != 6)
		return -1;
	plen = be16_at(h + 4);
	if (plen > c->left)
		return -1;
	c->left = plen;
	dg->exporter.len = 16;
	memcpy(dg->exporter.b, h + 8, 16);
	nh = h[6];
	for (int i = 0; i <= MAX_IPV6_EXT; i++) {
		const uint8_t *e;

		switch (nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* authentication header */
			if (i == MAX_IPV6_EXT)
				return -1;
			e = cur_take(c, 2);
			if (!e ||
			    !cur_skip(c, nh == 51 ? ((size_t)e[1] + 2) * 4 - 2
						  : ((size_t)e[1] + 1) * 8 - 2))
				return -1;
			nh = e[0];
			break;
		default: /* 44 (fragment) included: refused by the caller */
			return nh;
		}
	}
	return -1;
}

int xsk_frame_parse(const uint8_t *frame, size_t len, struct datagram *dg)
{
	struct cur c = cur_make(frame, len);
	const uint8_t *udp;
	uint16_t etype, ulen;
	int proto;

	if (!cur_skip(&c, 12))
		return -EINVAL;
	etype = cur_be16(&c);
	for (int i = 0;
	     i < MAX_VLAN && (etype == ETH_P_8021Q_ || etype == ETH_P_8021AD_);
	     i++) {
		cur_skip(&c, 2);
		etype = cur_be16(&c);
	}
	if (c.bad)
		return -EINVAL;
	if (etype == ETH_P_IP_)
		proto = parse_ip4(&c, dg);
	else if (etype == ETH_P_IPV6_)
		proto = parse_ip6(&c, dg);
	else
		return -EINVAL;
	if (proto != 17)
		return -EINVAL;
	udp = cur_take(&c, 8);
	if (!udp)
		return -EINVAL;
	ulen = be16_at(udp + 4);
	if (ulen < 8 || (size_t)ulen - 8 > c.left)
		return -EINVAL;
	dg->exporter_port = be16_at(udp);
	dg->local_port = be16_at(udp + 2);
	dg->data = c.p;
	dg->len = (size_t)ulen - 8;
	return 0;
}
