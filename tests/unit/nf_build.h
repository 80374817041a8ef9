/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the NetFlow v9/IPFIX unit tests (test_nf9.c, test_ipfix.c,
 * test_nf_state.c): a tiny export packet builder (big-endian writes, set
 * length patching, IPFIX message length patching, template fields) and the
 * per-exporter counter lookups the tests assert on, and the test fixture
 * they share (a decode context, a collecting sink, one datagram). Test-only;
 * everything is static inline so each test uses what it needs.
 */
#ifndef XDPFLOW_TESTS_NF_BUILD_H
#define XDPFLOW_TESTS_NF_BUILD_H

#include <stdio.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "unit.h"

/* One export packet under construction; set is where the open set began. */
struct pb {
	uint8_t b[8192];
	size_t n;
	size_t set;
};

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static inline void pb_u16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void pb_u64(struct pb *p, uint64_t v)
{
	pb_u32(p, (uint32_t)(v >> 32));
	pb_u32(p, (uint32_t)v);
}

static inline void pb_bytes(struct pb *p, const void *v, size_t n)
{
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

/* Opens a set (or v9 flowset) with id; its length is patched at the end. */
static inline void pb_set_begin(struct pb *p, uint16_t id)
{
	p->set = p->n;
	pb_u16(p, id);
	pb_u16(p, 0);
}

/* Ends the set, padding it with zeros to a multiple of `align`. */
static inline void pb_set_end(struct pb *p, size_t align)
{
	while ((p->n - p->set) % align)
		pb_u8(p, 0);
	p->b[p->set + 2] = (uint8_t)((p->n - p->set) >> 8);
	p->b[p->set + 3] = (uint8_t)(p->n - p->set);
}

/* Writes the IPFIX message length (the whole packet) into its header. */
static inline void ipfix_fin(struct pb *p)
{
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
}

/* A template field: element id and length. */
static inline void field(struct pb *p, uint16_t ie, uint16_t len)
{
	pb_u16(p, ie);
	pb_u16(p, len);
}

/* An IPFIX enterprise-specific template field (bit 15, then the PEN). */
static inline void efield(struct pb *p, uint16_t ie, uint16_t len, uint32_t pen)
{
	pb_u16(p, ie | 0x8000);
	pb_u16(p, len);
	pb_u32(p, pen);
}

/* Sampled frames for the dataLinkFrameSection tests: an Ethernet header
 * (dst, src MAC) into p, returning the bytes written. */
static inline size_t nfb_eth(uint8_t *p, const uint8_t dst[6],
			     const uint8_t src[6], uint16_t etype)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = (uint8_t)(etype >> 8);
	p[13] = (uint8_t)etype;
	return 14;
}

/* An 802.1Q tag (vlan, then the next EtherType) into p; 4 bytes. */
static inline size_t nfb_dot1q(uint8_t *p, uint16_t vlan, uint16_t etype)
{
	p[0] = (uint8_t)(vlan >> 8);
	p[1] = (uint8_t)vlan;
	p[2] = (uint8_t)(etype >> 8);
	p[3] = (uint8_t)etype;
	return 4;
}

/* A 20-byte IPv4 header (total length tot, DF set) into p. */
static inline size_t nfb_ipv4(uint8_t *p, const uint8_t src[4],
			      const uint8_t dst[4], uint8_t ttl, uint8_t proto,
			      uint16_t tot)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = 0x40;
	p[8] = ttl;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	return 20;
}

/* A 40-byte IPv6 header (payload length plen, flow label fl) into p. */
static inline size_t nfb_ipv6(uint8_t *p, const uint8_t src[16],
			      const uint8_t dst[16], uint8_t hops, uint8_t next,
			      uint16_t plen, uint32_t fl)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[1] = (uint8_t)((fl >> 16) & 0x0f);
	p[2] = (uint8_t)(fl >> 8);
	p[3] = (uint8_t)fl;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = next;
	p[7] = hops;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

/* A UDP header (length ulen) into p; 8 bytes. */
static inline size_t nfb_udp(uint8_t *p, uint16_t sport, uint16_t dport,
			     uint16_t ulen)
{
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[4] = (uint8_t)(ulen >> 8);
	p[5] = (uint8_t)ulen;
	p[6] = p[7] = 0;
	return 8;
}

/* A 20-byte TCP header with flags into p. */
static inline size_t nfb_tcp(uint8_t *p, uint16_t sport, uint16_t dport,
			     uint8_t flags)
{
	memset(p, 0, 20);
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[12] = 5 << 4;
	p[13] = flags;
	return 20;
}

/* The example frame (118 bytes): Ethernet b4:02:16:55:92:f4 ->
 * 00:1b:17:00:01:30, 802.1Q 231, IPv4 51.51.51.51 -> 52.52.52.52 TTL 119,
 * UDP 55501 -> 11777, 72 bytes of payload. Returns its length. */
static inline size_t nfb_frame_vlan_udp(uint8_t p[128])
{
	size_t n = 0;

	memset(p, 0, 128);
	n += nfb_eth(p, (const uint8_t *)"\x00\x1b\x17\x00\x01\x30",
		     (const uint8_t *)"\xb4\x02\x16\x55\x92\xf4", 0x8100);
	n += nfb_dot1q(p + n, 231, 0x0800);
	n += nfb_ipv4(p + n, (const uint8_t *)"\x33\x33\x33\x33",
		      (const uint8_t *)"\x34\x34\x34\x34", 119, 17, 100);
	n += nfb_udp(p + n, 55501, 11777, 80);
	return n + 72;
}

/* Asserts r is the flow of nfb_frame_vlan_udp's frame. */
static inline void nfb_check_vlan_udp(const struct flow_rec *r)
{
	static const uint32_t layers[] = { FLOW_LAYER_ETHERNET,
					   FLOW_LAYER_DOT1Q, FLOW_LAYER_IPV4,
					   FLOW_LAYER_UDP };
	static const uint32_t sizes[] = { 14, 4, 20, 8 };

	assert_int_equal(r->src_mac, 0xb402165592f4ULL);
	assert_int_equal(r->dst_mac, 0x001b17000130ULL);
	assert_int_equal(r->vlan_id, 231);
	assert_int_equal(r->etype, 0x0800);
	assert_int_equal(r->src_addr.len, 4);
	assert_memory_equal(r->src_addr.b, "\x33\x33\x33\x33", 4);
	assert_memory_equal(r->dst_addr.b, "\x34\x34\x34\x34", 4);
	assert_int_equal(r->ip_ttl, 119);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->src_port, 55501);
	assert_int_equal(r->dst_port, 11777);
	assert_int_equal(r->fragment_id, 0x1234);
	assert_int_equal(r->ip_flags, 2);
	assert_int_equal(r->n_layers, 4);
	assert_memory_equal(r->layer_stack, layers, sizeof(layers));
	assert_memory_equal(r->layer_size, sizes, sizeof(sizes));
}

/* One counter of exporter's entry in ctx's statistics. */
static inline uint64_t nfb_stat(const struct decode_ctx *ctx,
				const struct flow_addr *exporter, enum dstat s)
{
	struct exporter_stats *es =
		dstats_get((struct dstats_table *)decode_stats(ctx), exporter);
	return es->c[s];
}

/* The sum of exporter's error counters in ctx. */
static inline uint64_t nfb_errors(const struct decode_ctx *ctx,
				  const struct flow_addr *exporter)
{
	uint64_t n = 0;

	for (int s = DSTAT_ERR_FIRST; s < DSTAT__COUNT; s++)
		n += nfb_stat(ctx, exporter, (enum dstat)s);
	return n;
}

/* A decode context fed from one packet builder. path is scratch room for
 * tests that save a templates file. */
struct nf_fixture {
	struct decode_config cfg;
	struct decode_ctx *ctx;
	struct unit_sink us;
	struct datagram dg;
	struct pb p;
	char path[64];
};

/* cmocka setup: a fixture in *state with a context made from cfg, and a
 * datagram from exporter (alen address bytes) port received at now_ns. */
static inline int nfb_setup(void **state, const struct decode_config *cfg,
			    const uint8_t *exporter, uint8_t alen,
			    uint16_t port, uint64_t now_ns)
{
	struct nf_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cfg = *cfg;
	f->ctx = decode_ctx_new(&f->cfg);
	assert_non_null(f->ctx);
	unit_sink_init(&f->us);
	f->dg.exporter.len = alen;
	memcpy(f->dg.exporter.b, exporter, alen);
	f->dg.exporter_port = port;
	f->dg.time_received_ns = now_ns;
	*state = f;
	return 0;
}

/* cmocka teardown for nfb_setup; removes f->path if one was set. */
static inline int nfb_teardown(void **state)
{
	struct nf_fixture *f = *state;

	decode_ctx_free(f->ctx);
	if (f->path[0])
		remove(f->path);
	free(f);
	return 0;
}

/* Decodes the packet built in f->p with ctx (as is: IPFIX callers patch
 * the message length first). Returns what decode_datagram returns. */
static inline int nfb_feed(struct nf_fixture *f, struct decode_ctx *ctx)
{
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	return decode_datagram(ctx, &f->dg, &f->us.sink);
}

#endif
