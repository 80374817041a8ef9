// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the sampled packet header parser (user/decode/pkt_hdr.c):
 * hand-built frames through Ethernet, 802.1Q/802.1ad, MPLS, IPv4 with
 * options and fragments, IPv6 with hop-by-hop, routing (SRv6), fragment and
 * destination options headers, GRE and IP-in-IP, TCP/UDP/ICMP/ICMPv6; every
 * truncation of each frame, and hostile extension header chains.
 */
#include "unit.h"

#include <stdlib.h>

#include "decode/pkt_hdr.h"

struct pkt {
	uint8_t b[512];
	size_t n;
};

static void put(struct pkt *p, const void *src, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, src, n);
	p->n += n;
}

static void put8(struct pkt *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put16(struct pkt *p, uint16_t v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xffff);
}

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
static const uint8_t mac_src[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t v4_src[4] = { 198, 18, 0, 1 };
static const uint8_t v4_dst[4] = { 198, 19, 255, 2 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				    0,	  0,	0,    0,    0, 0, 0, 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0x01, 0, 0,
				    0,	  0,	0,    0,    0, 0,    0, 2 };

static void eth(struct pkt *p, uint16_t etype)
{
	put(p, mac_dst, 6);
	put(p, mac_src, 6);
	put16(p, etype);
}

/* IPv4 header with ihl_words (5 = no options), flags/fragment word fo. */
static void ipv4(struct pkt *p, uint8_t proto, unsigned ihl_words, uint16_t fo)
{
	put8(p, 0x40 | ihl_words);
	put8(p, 0xb8); /* tos */
	put16(p, 100);
	put16(p, 0x1234); /* id */
	put16(p, fo);
	put8(p, 63); /* ttl */
	put8(p, proto);
	put16(p, 0);
	put(p, v4_src, 4);
	put(p, v4_dst, 4);
	for (unsigned i = 5; i < ihl_words; i++)
		put32(p, 0x01010101); /* NOP options */
}

static void ipv6(struct pkt *p, uint8_t next)
{
	put32(p, 0x60000000u | (0x2eu << 20) | 0xabcde); /* tc 0x2e */
	put16(p, 40);
	put8(p, next);
	put8(p, 57); /* hop limit */
	put(p, v6_src, 16);
	put(p, v6_dst, 16);
}

static void tcp(struct pkt *p, unsigned doff_words)
{
	put16(p, 443);
	put16(p, 51000);
	put32(p, 1);
	put32(p, 2);
	put8(p, (uint8_t)(doff_words << 4));
	put8(p, 0x12); /* SYN|ACK */
	put16(p, 1000);
	put32(p, 0);
	for (unsigned i = 5; i < doff_words; i++)
		put32(p, 0x01010101);
}

static void udp(struct pkt *p)
{
	put16(p, 53);
	put16(p, 40000);
	put16(p, 8);
	put16(p, 0);
}

static void parse(const struct pkt *p, enum pkt_hdr_start start,
		  struct flow_rec *rec, unsigned want_layers)
{
	/* An exact-size heap copy so ASan sees any read past the end. */
	uint8_t *copy = malloc(p->n ? p->n : 1);

	assert_non_null(copy);
	memcpy(copy, p->b, p->n);
	memset(rec, 0, sizeof(*rec));
	assert_int_equal(pkt_hdr_parse(copy, p->n, start, rec), want_layers);
	assert_int_equal(rec->n_layers, want_layers);
	free(copy);
}

static void check_layers(const struct flow_rec *rec, const uint32_t *stack,
			 const uint32_t *size, unsigned n)
{
	assert_int_equal(rec->n_layers, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(rec->layer_stack[i], stack[i]);
		assert_int_equal(rec->layer_size[i], size[i]);
	}
}

static void test_eth_ipv4_tcp(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV4,
				   FLOW_LAYER_TCP };
	const uint32_t size[] = { 14, 20, 32 };

	(void)state;
	eth(&p, 0x0800);
	ipv4(&p, 6, 5, 0x4000); /* DF */
	tcp(&p, 8);
	parse(&p, PKT_HDR_ETHERNET, &rec, 3);
	assert_int_equal(rec.dst_mac, 0x02005e100001ULL);
	assert_int_equal(rec.src_mac, 0x021122334455ULL);
	assert_int_equal(rec.etype, 0x0800);
	assert_int_equal(rec.src_addr.len, 4);
	assert_memory_equal(rec.src_addr.b, v4_src, 4);
	assert_memory_equal(rec.dst_addr.b, v4_dst, 4);
	assert_int_equal(rec.ip_tos, 0xb8);
	assert_int_equal(rec.ip_ttl, 63);
	assert_int_equal(rec.ip_flags, 2);
	assert_int_equal(rec.fragment_id, 0x1234);
	assert_int_equal(rec.fragment_offset, 0);
	assert_int_equal(rec.proto, 6);
	assert_int_equal(rec.src_port, 443);
	assert_int_equal(rec.dst_port, 51000);
	assert_int_equal(rec.tcp_flags, 0x12);
	assert_int_equal(rec.vlan_id, 0);
	check_layers(&rec, stack, size, 3);
}

static void test_dot1q(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_DOT1Q,
				   FLOW_LAYER_IPV4, FLOW_LAYER_UDP };
	const uint32_t size[] = { 14, 4, 20, 8 };

	(void)state;
	eth(&p, 0x8100);
	put16(&p, 0xa000 | 809); /* PCP 5 */
	put16(&p, 0x0800);
	ipv4(&p, 17, 5, 0);
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 4);
	assert_int_equal(rec.vlan_id, 809);
	assert_int_equal(rec.etype, 0x0800);
	assert_int_equal(rec.proto, 17);
	assert_int_equal(rec.src_port, 53);
	assert_int_equal(rec.dst_port, 40000);
	check_layers(&rec, stack, size, 4);
}

static void test_qinq(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_DOT1Q,
				   FLOW_LAYER_DOT1Q, FLOW_LAYER_IPV6,
				   FLOW_LAYER_UDP };
	const uint32_t size[] = { 14, 4, 4, 40, 8 };

	(void)state;
	eth(&p, 0x88a8);
	put16(&p, 100); /* S-VLAN */
	put16(&p, 0x8100);
	put16(&p, 200); /* C-VLAN */
	put16(&p, 0x86dd);
	ipv6(&p, 17);
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 5);
	/* As GoFlow2 with stacked tags: the innermost tag wins. */
	assert_int_equal(rec.vlan_id, 200);
	assert_int_equal(rec.etype, 0x86dd);
	assert_int_equal(rec.src_port, 53);
	check_layers(&rec, stack, size, 5);
}

static void test_mpls(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_MPLS,
				   FLOW_LAYER_IPV4, FLOW_LAYER_TCP };
	const uint32_t size[] = { 14, 12, 20, 20 };

	(void)state;
	eth(&p, 0x8847);
	put32(&p, (16000u << 12) | 64);
	put32(&p, (24001u << 12) | 63);
	put32(&p, (300000u << 12) | 0x100 | 62); /* bottom of stack */
	ipv4(&p, 6, 5, 0);
	tcp(&p, 5);
	parse(&p, PKT_HDR_ETHERNET, &rec, 4);
	assert_int_equal(rec.n_mpls, 3);
	assert_int_equal(rec.mpls_label[0], 16000);
	assert_int_equal(rec.mpls_label[1], 24001);
	assert_int_equal(rec.mpls_label[2], 300000);
	assert_int_equal(rec.mpls_ttl[0], 64);
	assert_int_equal(rec.mpls_ttl[2], 62);
	assert_int_equal(rec.etype, 0x0800);
	assert_int_equal(rec.src_port, 443);
	check_layers(&rec, stack, size, 4);
}

static void test_mpls_endless_stack(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	eth(&p, 0x8847);
	for (int i = 0; i < 100; i++)
		put32(&p, (100000u << 12) | 64); /* never bottom */
	parse(&p, PKT_HDR_ETHERNET, &rec, 2);
	assert_int_equal(rec.n_mpls, FLOW_MAX_MPLS);
	assert_int_equal(rec.etype, 0x8847);
	assert_int_equal(rec.src_addr.len, 0);
}

static void test_ipv4_options(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV4,
				   FLOW_LAYER_UDP };
	const uint32_t size[] = { 14, 32, 8 };

	(void)state;
	eth(&p, 0x0800);
	ipv4(&p, 17, 8, 0);
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 3);
	assert_int_equal(rec.src_port, 53);
	assert_int_equal(rec.dst_port, 40000);
	check_layers(&rec, stack, size, 3);
}

static void test_ipv4_bad_ihl(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	eth(&p, 0x0800);
	ipv4(&p, 17, 5, 0);
	p.b[14] = 0x42; /* IHL 2 */
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 2);
	assert_int_equal(rec.proto, 17);
	assert_int_equal(rec.src_port, 0);
}

static void test_ipv4_fragments(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	eth(&p, 0x0800);
	ipv4(&p, 17, 5, 0x2000 | 185); /* MF, offset 185*8 */
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 2);
	assert_int_equal(rec.ip_flags, 1);
	assert_int_equal(rec.fragment_offset, 185);
	assert_int_equal(rec.fragment_id, 0x1234);
	assert_int_equal(rec.proto, 17);
	/* A non-first fragment carries no UDP header. */
	assert_int_equal(rec.src_port, 0);
	assert_int_equal(rec.dst_port, 0);

	p.n = 0;
	eth(&p, 0x0800);
	ipv4(&p, 17, 5, 0x2000); /* first fragment */
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 3);
	assert_int_equal(rec.ip_flags, 1);
	assert_int_equal(rec.src_port, 53);
}

static void test_ipv6_hbh_icmpv6(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV6,
				   FLOW_LAYER_ICMPV6 };
	const uint32_t size[] = { 14, 48, 8 };

	(void)state;
	eth(&p, 0x86dd);
	ipv6(&p, 0);
	put8(&p, 58); /* hop-by-hop: next ICMPv6, 8 bytes */
	put8(&p, 0);
	put16(&p, 0x0502); /* router alert */
	put32(&p, 0x00000100);
	put8(&p, 143); /* MLDv2 report */
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0);
	parse(&p, PKT_HDR_ETHERNET, &rec, 3);
	assert_int_equal(rec.etype, 0x86dd);
	assert_int_equal(rec.src_addr.len, 16);
	assert_memory_equal(rec.src_addr.b, v6_src, 16);
	assert_memory_equal(rec.dst_addr.b, v6_dst, 16);
	assert_int_equal(rec.ip_tos, 0x2e);
	assert_int_equal(rec.ip_ttl, 57);
	assert_int_equal(rec.ipv6_flow_label, 0xabcde);
	assert_int_equal(rec.proto, 0); /* the IPv6 header's next header */
	assert_int_equal(rec.icmp_type, 143);
	assert_int_equal(rec.icmp_code, 0);
	check_layers(&rec, stack, size, 3);
}

static void test_ipv6_srv6(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV6,
				   FLOW_LAYER_IPV6_ROUTING, FLOW_LAYER_TCP };
	const uint32_t size[] = { 14, 40, 56, 20 };

	(void)state;
	eth(&p, 0x86dd);
	ipv6(&p, 43);
	put8(&p, 6);  /* next: TCP */
	put8(&p, 6);  /* hdr ext len: 3 segments * 2 */
	put8(&p, 4);  /* routing type: SRH */
	put8(&p, 1);  /* segments left */
	put8(&p, 2);  /* last entry */
	put8(&p, 0);  /* flags */
	put16(&p, 0); /* tag */
	for (uint8_t s = 0; s < 3; s++) {
		uint8_t seg[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0x0a, 0, s };

		put(&p, seg, 16);
	}
	tcp(&p, 5);
	parse(&p, PKT_HDR_ETHERNET, &rec, 4);
	assert_int_equal(rec.proto, 43);
	assert_int_equal(rec.ipv6_routing_header_seg_left, 1);
	assert_int_equal(rec.n_srv6, 3);
	for (uint8_t s = 0; s < 3; s++) {
		assert_int_equal(rec.srv6_addr[s][5], 0x0a);
		assert_int_equal(rec.srv6_addr[s][7], s);
	}
	assert_int_equal(rec.src_port, 443);
	assert_int_equal(rec.tcp_flags, 0x12);
	check_layers(&rec, stack, size, 4);
}

static void test_ipv6_fragment_dstopts(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV6,
				   FLOW_LAYER_IPV6_FRAGMENT, FLOW_LAYER_UDP };
	const uint32_t size[] = { 14, 40, 24, 8 };

	(void)state;
	eth(&p, 0x86dd);
	ipv6(&p, 44);
	put8(&p, 60); /* fragment: next destination options */
	put8(&p, 0);
	put16(&p, 0x0001); /* offset 0, M */
	put32(&p, 0xdeadbeef);
	put8(&p, 17); /* destination options: next UDP, 16 bytes */
	put8(&p, 1);
	put16(&p, 0x0100); /* PadN */
	put32(&p, 0);
	put32(&p, 0);
	put32(&p, 0);
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 4);
	assert_int_equal(rec.fragment_id, 0xdeadbeef);
	assert_int_equal(rec.fragment_offset, 0);
	assert_int_equal(rec.ip_flags, 1);
	assert_int_equal(rec.proto, 44);
	assert_int_equal(rec.src_port, 53);
	assert_int_equal(rec.dst_port, 40000);
	check_layers(&rec, stack, size, 4);

	/* A later fragment: no transport header. */
	p.b[14 + 40 + 2] = 0x05;
	p.b[14 + 40 + 3] = 0x01;
	parse(&p, PKT_HDR_ETHERNET, &rec, 3);
	assert_int_equal(rec.fragment_offset, 160);
	assert_int_equal(rec.src_port, 0);
}

static void test_ext_header_chain_bounded(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	eth(&p, 0x86dd);
	ipv6(&p, 60);
	for (int i = 0; i < 20; i++) {
		put8(&p, 60); /* another destination options header */
		put8(&p, 0);
		put16(&p, 0x0104);
		put32(&p, 0);
	}
	udp(&p);
	parse(&p, PKT_HDR_ETHERNET, &rec, 2);
	assert_int_equal(rec.src_port, 0);
	assert_int_equal(rec.layer_size[1], 40 + 8 * PKT_HDR_MAX_EXT);
}

static void test_gre_and_ipip_encap(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;
	const uint32_t stack[] = { FLOW_LAYER_ETHERNET, FLOW_LAYER_IPV4,
				   FLOW_LAYER_GRE,	FLOW_LAYER_ETHERNET,
				   FLOW_LAYER_IPV6,	FLOW_LAYER_TCP };
	const uint32_t size[] = { 14, 20, 8, 14, 40, 20 };
	uint8_t *inner_mac;

	(void)state;
	eth(&p, 0x0800);
	ipv4(&p, 47, 5, 0);
	put16(&p, 0x2000); /* GRE with key */
	put16(&p, 0x6558);
	put32(&p, 42);
	inner_mac = p.b + p.n;
	eth(&p, 0x86dd);
	inner_mac[0] = 0xee;
	ipv6(&p, 6);
	tcp(&p, 5);
	parse(&p, PKT_HDR_ETHERNET, &rec, 6);
	/* Outer headers only. */
	assert_int_equal(rec.dst_mac, 0x02005e100001ULL);
	assert_int_equal(rec.etype, 0x0800);
	assert_int_equal(rec.proto, 47);
	assert_int_equal(rec.src_addr.len, 4);
	assert_int_equal(rec.src_port, 0);
	assert_int_equal(rec.ipv6_flow_label, 0);
	check_layers(&rec, stack, size, 6);

	p.n = 0;
	eth(&p, 0x0800);
	ipv4(&p, 4, 5, 0); /* IP-in-IP */
	ipv4(&p, 1, 5, 0);
	put8(&p, 8); /* ICMP echo request */
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0);
	parse(&p, PKT_HDR_ETHERNET, &rec, 4);
	assert_int_equal(rec.proto, 4);
	/* GoFlow2 keeps the one ICMP header even inside a tunnel. */
	assert_int_equal(rec.icmp_type, 8);
}

static void test_ip_starts(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	ipv4(&p, 1, 5, 0);
	put8(&p, 3); /* ICMP port unreachable */
	put8(&p, 3);
	put16(&p, 0);
	put32(&p, 0);
	parse(&p, PKT_HDR_IPV4, &rec, 2);
	assert_int_equal(rec.etype, 0x0800);
	assert_int_equal(rec.icmp_type, 3);
	assert_int_equal(rec.icmp_code, 3);
	assert_int_equal(rec.layer_stack[0], FLOW_LAYER_IPV4);
	assert_int_equal(rec.layer_stack[1], FLOW_LAYER_ICMP);
	parse(&p, PKT_HDR_IP, &rec, 2);
	assert_int_equal(rec.etype, 0x0800);

	p.n = 0;
	ipv6(&p, 17);
	udp(&p);
	parse(&p, PKT_HDR_IPV6, &rec, 2);
	assert_int_equal(rec.etype, 0x86dd);
	assert_int_equal(rec.dst_port, 40000);
	parse(&p, PKT_HDR_IP, &rec, 2);
	assert_int_equal(rec.src_addr.len, 16);
}

/* Every cut of every frame: no crash, no read past the cut, and fields
 * only from the headers that are whole. */
static void test_truncation_everywhere(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	eth(&p, 0x8100);
	put16(&p, 10);
	put16(&p, 0x8847);
	put32(&p, (1000u << 12) | 0x100 | 64);
	ipv6(&p, 0);
	put8(&p, 43);
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 0);
	put8(&p, 44);
	put8(&p, 2);
	put8(&p, 4);
	put8(&p, 0);
	put8(&p, 0);
	put8(&p, 0);
	put16(&p, 0);
	put(&p, v6_dst, 16);
	put8(&p, 6);
	put8(&p, 0);
	put16(&p, 0);
	put32(&p, 7);
	tcp(&p, 5);
	const size_t full = p.n;
	const size_t tcp_at = full - 20;

	parse(&p, PKT_HDR_ETHERNET, &rec, 7);
	assert_int_equal(rec.src_port, 443);
	for (size_t cut = 0; cut < full; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		assert_non_null(copy);
		memcpy(copy, p.b, cut);
		memset(&rec, 0, sizeof(rec));
		pkt_hdr_parse(copy, cut, PKT_HDR_ETHERNET, &rec);
		assert_true(rec.n_layers <= 7);
		if (cut < tcp_at + 20)
			assert_int_equal(rec.src_port, 0);
		if (cut < 14)
			assert_int_equal(rec.n_layers, 0);
		free(copy);
	}
	for (enum pkt_hdr_start s = PKT_HDR_IPV4; s <= PKT_HDR_IP; s++) {
		for (size_t cut = 0; cut < full; cut++) {
			uint8_t *copy = malloc(cut ? cut : 1);

			assert_non_null(copy);
			memcpy(copy, p.b + full - cut, cut);
			memset(&rec, 0, sizeof(rec));
			pkt_hdr_parse(copy, cut, s, &rec);
			assert_true(rec.n_layers <= FLOW_MAX_LAYERS);
			free(copy);
		}
	}
}

static void test_layer_cap(void **state)
{
	struct pkt p = { 0 };
	struct flow_rec rec;

	(void)state;
	/* Ethernet over GRE over IPv4, nested until the layer cap. */
	for (int i = 0; i < 8; i++) {
		eth(&p, 0x0800);
		ipv4(&p, 47, 5, 0);
		put16(&p, 0);
		put16(&p, 0x6558);
	}
	parse(&p, PKT_HDR_ETHERNET, &rec, FLOW_MAX_LAYERS);
	assert_int_equal(rec.layer_stack[FLOW_MAX_LAYERS - 1],
			 FLOW_LAYER_ETHERNET);
	assert_int_equal(rec.proto, 47);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp),
		cmocka_unit_test(test_dot1q),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_mpls_endless_stack),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_ihl),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_hbh_icmpv6),
		cmocka_unit_test(test_ipv6_srv6),
		cmocka_unit_test(test_ipv6_fragment_dstopts),
		cmocka_unit_test(test_ext_header_chain_bounded),
		cmocka_unit_test(test_gre_and_ipip_encap),
		cmocka_unit_test(test_ip_starts),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_layer_cap),
	};

	return cmocka_run_group_tests_name("pkt_hdr", tests, NULL, NULL);
}
