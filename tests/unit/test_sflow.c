// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the sFlow v5 decoder (user/decode/sflow.c) through the
 * decode stage's public API: hand-built datagrams with IPv4 and IPv6 agents,
 * every sample and flow record type, counter/discard/unknown samples and
 * records, truncation at every byte, absurd counts, bad samples and records
 * next to good ones, and the real captures in ../shared/corpus when present.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode/decode.h"

/* ---- datagram builder ---- */

struct dgb {
	uint8_t b[4096];
	size_t n;
};

static void put(struct dgb *d, const void *src, size_t n)
{
	assert_true(d->n + n <= sizeof(d->b));
	memcpy(d->b + d->n, src, n);
	d->n += n;
}

static void put32(struct dgb *d, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(d, b, 4);
}

static void pad4(struct dgb *d)
{
	while (d->n % 4)
		d->b[d->n++] = 0;
}

/* Writes a length placeholder; close_len fills it with what followed. */
static size_t open_len(struct dgb *d)
{
	put32(d, 0);
	return d->n - 4;
}

static void close_len(struct dgb *d, size_t at)
{
	uint32_t len = (uint32_t)(d->n - at - 4);

	d->b[at] = len >> 24;
	d->b[at + 1] = len >> 16;
	d->b[at + 2] = len >> 8;
	d->b[at + 3] = len;
}

static const uint8_t agent4[4] = { 198, 18, 7, 1 };
static const uint8_t agent6[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 7,
				    0,	  0,	0,    0,    0, 0, 0, 1 };

static void dg_header(struct dgb *d, bool v6, uint32_t seq, uint32_t nsamples)
{
	put32(d, 5);
	put32(d, v6 ? 2 : 1);
	if (v6)
		put(d, agent6, 16);
	else
		put(d, agent4, 4);
	put32(d, 3);	   /* sub-agent */
	put32(d, seq);	   /* sequence */
	put32(d, 3600000); /* uptime */
	put32(d, nsamples);
}

/* Opens a flow sample; records follow, then close_len(d, returned). */
static size_t flow_sample(struct dgb *d, bool expanded, uint32_t rate,
			  uint32_t in, uint32_t out, uint32_t nrec)
{
	size_t at;

	put32(d, expanded ? 3 : 1);
	at = open_len(d);
	put32(d, 77); /* sample sequence */
	if (expanded) {
		put32(d, 0);
		put32(d, 5);
	} else {
		put32(d, 5);
	}
	put32(d, rate);
	put32(d, 123456); /* pool */
	put32(d, 0);	  /* drops */
	if (expanded) {
		put32(d, 0);
		put32(d, in);
		put32(d, 0);
		put32(d, out);
	} else {
		put32(d, in);
		put32(d, out);
	}
	put32(d, nrec);
	return at;
}

/* Ethernet + IPv4 + TCP, 54 bytes. */
static const uint8_t frame_v4_tcp[] = {
	0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44,
	0x55, 0x08, 0x00, 0x45, 0x10, 0x05, 0xdc, 0xab, 0xcd, 0x40, 0x00,
	0x3f, 0x06, 0x00, 0x00, 198,  18,   0,	  1,	198,  19,   0,
	2,    0x01, 0xbb, 0xc7, 0x38, 0,    0,	  0,	1,    0,    0,
	0,    2,    0x50, 0x18, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void rec_raw(struct dgb *d, uint32_t proto, uint32_t frame_len,
		    const uint8_t *hdr, uint32_t hlen)
{
	size_t at;

	put32(d, 1);
	at = open_len(d);
	put32(d, proto);
	put32(d, frame_len);
	put32(d, 4); /* stripped */
	put32(d, hlen);
	put(d, hdr, hlen);
	pad4(d);
	close_len(d, at);
}

/* One whole flow sample with one raw Ethernet header record. */
static void simple_flow_sample(struct dgb *d, uint32_t rate)
{
	size_t at = flow_sample(d, false, rate, 10, 20, 1);

	rec_raw(d, 1, 1518, frame_v4_tcp, sizeof(frame_v4_tcp));
	close_len(d, at);
}

static void counter_sample(struct dgb *d, bool expanded)
{
	size_t at, r;

	put32(d, expanded ? 4 : 2);
	at = open_len(d);
	put32(d, 9); /* sequence */
	if (expanded)
		put32(d, 0);
	put32(d, 5); /* source */
	put32(d, 1); /* one record: generic interface counters, opaque */
	put32(d, 1);
	r = open_len(d);
	for (int i = 0; i < 22; i++)
		put32(d, (uint32_t)i);
	close_len(d, r);
	close_len(d, at);
}

/* ---- decode harness ---- */

struct run {
	struct decode_ctx *ctx;
	struct unit_sink sink;
	struct exporter_stats st;
	int rc;
};

static void grab_stats(const struct exporter_stats *es, void *arg)
{
	struct exporter_stats *out = arg;

	if (es->addr.len == 4 && es->addr.b[0] == 198 && es->addr.b[3] == 9)
		*out = *es;
}

static struct decode_ctx *new_ctx(void)
{
	struct decode_config cfg;
	struct decode_ctx *ctx;

	decode_config_defaults(&cfg);
	cfg.max_exporters = 16;
	cfg.max_templates = 64;
	cfg.max_held_sets = 4;
	ctx = decode_ctx_new(&cfg);
	assert_non_null(ctx);
	return ctx;
}

/* Decodes data[0..len) from an exact-size heap copy (so ASan catches any
 * read past the end) with a fresh sink; stats are the exporter's totals. */
static void run_bytes(struct run *r, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct datagram dg = {
		.len = len,
		.exporter = { .len = 4, .b = { 198, 18, 0, 9 } },
		.exporter_port = 50123,
		.local_port = 6343,
		.time_received_ns = 1700000000123456789ULL,
		.hint = DECODE_SFLOW,
	};

	assert_non_null(copy);
	memcpy(copy, data, len);
	dg.data = copy;
	unit_sink_init(&r->sink);
	r->rc = decode_datagram(r->ctx, &dg, &r->sink.sink);
	memset(&r->st, 0, sizeof(r->st));
	dstats_foreach(decode_stats(r->ctx), grab_stats, &r->st);
	free(copy);
}

static void run(struct run *r, const struct dgb *d)
{
	run_bytes(r, d->b, d->n);
}

static uint64_t errors(const struct run *r)
{
	uint64_t n = 0;

	for (unsigned s = DSTAT_ERR_FIRST; s < DSTAT__COUNT; s++)
		n += r->st.c[s];
	return n;
}

static int setup(void **state)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	r->ctx = new_ctx();
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct run *r = *state;

	decode_ctx_free(r->ctx);
	free(r);
	return 0;
}

/* ---- tests ---- */

static void test_flow_sample_ipv4_agent(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	const struct flow_rec *f;

	dg_header(&d, false, 4242, 1);
	simple_flow_sample(&d, 512);
	run(r, &d);
	assert_int_equal(r->rc, 1);
	assert_int_equal(r->sink.n, 1);
	f = &r->sink.flows[0];
	assert_int_equal(f->type, FLOW_TYPE_SFLOW_5);
	assert_int_equal(f->sequence_num, 4242);
	assert_int_equal(f->sampler_address.len, 4);
	assert_memory_equal(f->sampler_address.b, agent4, 4);
	assert_int_equal(f->sampler_port, 50123);
	assert_int_equal(f->time_received_ns, 1700000000123456789ULL);
	assert_int_equal(f->time_flow_start_ns, 1700000000123456789ULL);
	assert_int_equal(f->time_flow_end_ns, 1700000000123456789ULL);
	assert_int_equal(f->sampling_rate, 512);
	assert_int_equal(f->in_if, 10);
	assert_int_equal(f->out_if, 20);
	assert_int_equal(f->bytes, 1518);
	assert_int_equal(f->packets, 1);
	assert_int_equal(f->etype, 0x0800);
	assert_int_equal(f->src_mac, 0x021122334455ULL);
	assert_int_equal(f->dst_mac, 0x02005e100001ULL);
	assert_int_equal(f->src_addr.len, 4);
	assert_int_equal(f->src_addr.b[0], 198);
	assert_int_equal(f->src_addr.b[3], 1);
	assert_int_equal(f->dst_addr.b[1], 19);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->src_port, 443);
	assert_int_equal(f->dst_port, 51000);
	assert_int_equal(f->tcp_flags, 0x18);
	assert_int_equal(f->ip_tos, 0x10);
	assert_int_equal(f->ip_ttl, 63);
	assert_int_equal(f->ip_flags, 2);
	assert_int_equal(f->fragment_id, 0xabcd);
	assert_int_equal(f->n_layers, 3);
	assert_int_equal(f->layer_stack[2], FLOW_LAYER_TCP);
	assert_int_equal(f->layer_size[1], 20);
	assert_int_equal(r->st.c[DSTAT_PACKETS], 1);
	assert_int_equal(r->st.c[DSTAT_SFLOW_PACKETS], 1);
	assert_int_equal(r->st.c[DSTAT_SFLOW_FLOW_SAMPLES], 1);
	assert_int_equal(r->st.c[DSTAT_FLOWS], 1);
	assert_int_equal(errors(r), 0);
}

static void test_expanded_ipv6_agent(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t at;

	dg_header(&d, true, 9, 2);
	at = flow_sample(&d, true, 1000, 0x01000001, 0x00ffffff, 1);
	rec_raw(&d, 1, 64, frame_v4_tcp, 50); /* cut inside TCP */
	close_len(&d, at);
	simple_flow_sample(&d, 4096);
	run(r, &d);
	assert_int_equal(r->rc, 2);
	assert_int_equal(r->sink.n, 2);
	assert_int_equal(r->sink.flows[0].sampler_address.len, 16);
	assert_memory_equal(r->sink.flows[0].sampler_address.b, agent6, 16);
	assert_int_equal(r->sink.flows[0].in_if, 0x01000001);
	assert_int_equal(r->sink.flows[0].out_if, 0x00ffffff);
	assert_int_equal(r->sink.flows[0].sampling_rate, 1000);
	assert_int_equal(r->sink.flows[0].bytes, 64);
	assert_int_equal(r->sink.flows[0].proto, 6);
	assert_int_equal(r->sink.flows[0].src_port, 0); /* TCP cut short */
	assert_int_equal(r->sink.flows[0].n_layers, 2);
	assert_int_equal(r->sink.flows[1].sampling_rate, 4096);
	assert_int_equal(r->sink.flows[1].sequence_num, 9);
	assert_int_equal(r->sink.flows[1].src_port, 443);
	assert_int_equal(errors(r), 0);
}

static void test_sampled_records(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	const uint8_t v6a[16] = { 0x20, 0x01, 0, 2, [15] = 0x11 };
	const uint8_t v6b[16] = { 0x20, 0x01, 0, 2, [15] = 0x22 };
	const uint8_t macs[16] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0, 0,
				   0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0, 0 };
	size_t at, rr;

	dg_header(&d, false, 1, 3);
	at = flow_sample(&d, false, 100, 1, 2, 1);
	put32(&d, 3); /* sampled IPv4 */
	rr = open_len(&d);
	put32(&d, 1400);
	put32(&d, 17);
	put(&d, (uint8_t[]){ 198, 18, 1, 1, 198, 18, 2, 2 }, 8);
	put32(&d, 5353);
	put32(&d, 53);
	put32(&d, 0);
	put32(&d, 0x20);
	close_len(&d, rr);
	close_len(&d, at);

	at = flow_sample(&d, false, 100, 1, 2, 1);
	put32(&d, 4); /* sampled IPv6 */
	rr = open_len(&d);
	put32(&d, 900);
	put32(&d, 6);
	put(&d, v6a, 16);
	put(&d, v6b, 16);
	put32(&d, 22);
	put32(&d, 60000);
	put32(&d, 0x02);
	put32(&d, 0x0b);
	close_len(&d, rr);
	close_len(&d, at);

	at = flow_sample(&d, false, 100, 1, 2, 1);
	put32(&d, 2); /* sampled Ethernet */
	rr = open_len(&d);
	put32(&d, 66);
	put(&d, macs, 16);
	put32(&d, 0x0806);
	close_len(&d, rr);
	close_len(&d, at);

	run(r, &d);
	assert_int_equal(r->rc, 3);
	assert_int_equal(errors(r), 0);

	assert_int_equal(r->sink.flows[0].etype, 0x0800);
	assert_int_equal(r->sink.flows[0].bytes, 1400);
	assert_int_equal(r->sink.flows[0].proto, 17);
	assert_int_equal(r->sink.flows[0].src_addr.len, 4);
	assert_int_equal(r->sink.flows[0].src_addr.b[3], 1);
	assert_int_equal(r->sink.flows[0].dst_addr.b[3], 2);
	assert_int_equal(r->sink.flows[0].src_port, 5353);
	assert_int_equal(r->sink.flows[0].dst_port, 53);
	assert_int_equal(r->sink.flows[0].ip_tos, 0x20);

	assert_int_equal(r->sink.flows[1].etype, 0x86dd);
	assert_int_equal(r->sink.flows[1].bytes, 900);
	assert_int_equal(r->sink.flows[1].src_addr.len, 16);
	assert_memory_equal(r->sink.flows[1].src_addr.b, v6a, 16);
	assert_memory_equal(r->sink.flows[1].dst_addr.b, v6b, 16);
	assert_int_equal(r->sink.flows[1].dst_port, 60000);
	assert_int_equal(r->sink.flows[1].tcp_flags, 0x02);
	assert_int_equal(r->sink.flows[1].ip_tos, 0x0b);

	assert_int_equal(r->sink.flows[2].src_mac, 0x02aabbccddeeULL);
	assert_int_equal(r->sink.flows[2].dst_mac, 0x020102030405ULL);
	assert_int_equal(r->sink.flows[2].etype, 0x0806);
	assert_int_equal(r->sink.flows[2].bytes, 66);
}

/* Extended gateway with the given AS path segments (sizes in segs[]). */
static void rec_gateway(struct dgb *d, uint32_t as, uint32_t src_as,
			const uint32_t *segs, unsigned nseg, unsigned ncomm)
{
	size_t rr;
	uint32_t asn = 64500;

	put32(d, 1003);
	rr = open_len(d);
	put32(d, 1);
	put(d, (uint8_t[]){ 198, 18, 9, 9 }, 4);
	put32(d, as);
	put32(d, src_as);
	put32(d, 65001); /* src peer AS */
	put32(d, nseg);
	for (unsigned s = 0; s < nseg; s++) {
		put32(d, 2); /* AS_SEQUENCE */
		put32(d, segs[s]);
		for (uint32_t k = 0; k < segs[s]; k++)
			put32(d, asn++);
	}
	put32(d, ncomm);
	for (unsigned c = 0; c < ncomm; c++)
		put32(d, 0xfde80000u + c);
	put32(d, 100); /* localpref */
	close_len(d, rr);
}

static void test_extended_records(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	const uint32_t two_segs[] = { 2, 3 };
	const uint32_t long_path[] = { 40 };
	const uint8_t nh6[16] = { 0x20, 0x01, 0, 2, [15] = 0x99 };
	const struct flow_rec *f;
	size_t at, rr;

	dg_header(&d, false, 1, 3);
	at = flow_sample(&d, false, 100, 1, 2, 4);
	rec_raw(&d, 1, 100, frame_v4_tcp, sizeof(frame_v4_tcp));
	put32(&d, 1001); /* extended switch */
	rr = open_len(&d);
	put32(&d, 100);
	put32(&d, 3);
	put32(&d, 200);
	put32(&d, 0);
	close_len(&d, rr);
	put32(&d, 1002); /* extended router, IPv6 next hop */
	rr = open_len(&d);
	put32(&d, 2);
	put(&d, nh6, 16);
	put32(&d, 24);
	put32(&d, 48);
	close_len(&d, rr);
	rec_gateway(&d, 65000, 65010, two_segs, 2, 3);
	close_len(&d, at);

	/* Empty path and no source AS: both fall back to the router's AS. */
	at = flow_sample(&d, false, 100, 1, 2, 1);
	rec_gateway(&d, 65000, 0, NULL, 0, 0);
	close_len(&d, at);

	/* A path longer than the cap. */
	at = flow_sample(&d, false, 100, 1, 2, 1);
	rec_gateway(&d, 65000, 65010, long_path, 1, FLOW_MAX_COMMUNITIES + 5);
	close_len(&d, at);

	run(r, &d);
	assert_int_equal(r->rc, 3);
	assert_int_equal(errors(r), 0);

	f = &r->sink.flows[0];
	assert_int_equal(f->src_port, 443);
	assert_int_equal(f->src_vlan, 100);
	assert_int_equal(f->dst_vlan, 200);
	assert_int_equal(f->next_hop.len, 16);
	assert_memory_equal(f->next_hop.b, nh6, 16);
	assert_int_equal(f->src_net, 24);
	assert_int_equal(f->dst_net, 48);
	assert_int_equal(f->bgp_next_hop.len, 4);
	assert_int_equal(f->bgp_next_hop.b[3], 9);
	assert_int_equal(f->n_as_path, 5);
	for (unsigned k = 0; k < 5; k++)
		assert_int_equal(f->as_path[k], 64500 + k);
	assert_int_equal(f->next_hop_as, 64500);
	assert_int_equal(f->dst_as, 64504);
	assert_int_equal(f->src_as, 65010);
	assert_int_equal(f->n_communities, 3);
	assert_int_equal(f->bgp_communities[2], 0xfde80002u);

	f = &r->sink.flows[1];
	assert_int_equal(f->n_as_path, 0);
	assert_int_equal(f->dst_as, 65000);
	assert_int_equal(f->src_as, 65000);
	assert_int_equal(f->next_hop_as, 0);

	f = &r->sink.flows[2];
	assert_int_equal(f->n_as_path, FLOW_MAX_AS_PATH);
	assert_int_equal(f->as_path[FLOW_MAX_AS_PATH - 1],
			 64500 + FLOW_MAX_AS_PATH - 1);
	assert_int_equal(f->dst_as, 64500 + 39);
	assert_int_equal(f->n_communities, FLOW_MAX_COMMUNITIES);
}

static void test_header_protocols(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	uint8_t v6udp[48] = { 0x60, 0x00, 0x00, 0x01, 0, 8, 17, 64 };
	size_t at;

	v6udp[8] = 0x20; /* 2001:2::1 -> 2001:2::2 */
	v6udp[9] = 0x01;
	v6udp[11] = 0x02;
	v6udp[23] = 1;
	v6udp[24] = 0x20;
	v6udp[25] = 0x01;
	v6udp[27] = 0x02;
	v6udp[39] = 2;
	v6udp[40] = 0x12; /* UDP 4660 -> 123 */
	v6udp[41] = 0x34;
	v6udp[43] = 123;

	dg_header(&d, false, 1, 3);
	at = flow_sample(&d, false, 1, 1, 2, 1);
	rec_raw(&d, 11, 1500, frame_v4_tcp + 14, sizeof(frame_v4_tcp) - 14);
	close_len(&d, at);
	at = flow_sample(&d, false, 1, 1, 2, 1);
	rec_raw(&d, 12, 48, v6udp, sizeof(v6udp));
	close_len(&d, at);
	at = flow_sample(&d, false, 1, 1, 2, 1);
	rec_raw(&d, 7, 99, v6udp, 5); /* unparsed protocol, odd length */
	close_len(&d, at);
	run(r, &d);
	assert_int_equal(r->rc, 3);
	assert_int_equal(errors(r), 0);
	assert_int_equal(r->sink.flows[0].etype, 0x0800);
	assert_int_equal(r->sink.flows[0].src_port, 443);
	assert_int_equal(r->sink.flows[0].layer_stack[0], FLOW_LAYER_IPV4);
	assert_int_equal(r->sink.flows[1].etype, 0x86dd);
	assert_int_equal(r->sink.flows[1].src_addr.len, 16);
	assert_int_equal(r->sink.flows[1].src_addr.b[15], 1);
	assert_int_equal(r->sink.flows[1].dst_port, 123);
	assert_int_equal(r->sink.flows[1].ipv6_flow_label, 1);
	assert_int_equal(r->sink.flows[2].bytes, 99);
	assert_int_equal(r->sink.flows[2].n_layers, 0);
	assert_int_equal(r->sink.flows[2].src_addr.len, 0);
}

static void test_counter_discard_unknown(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t at, rr;

	dg_header(&d, false, 1, 7);
	counter_sample(&d, false);
	counter_sample(&d, true);
	put32(&d, 5); /* discard sample */
	at = open_len(&d);
	put32(&d, 2);
	put32(&d, 0);
	put32(&d, 7);
	put32(&d, 3);
	put32(&d, 1);
	put32(&d, 2);
	put32(&d, 0x100);
	put32(&d, 0); /* no records */
	close_len(&d, at);
	put32(&d, (4413u << 12) | 1); /* vendor sample */
	at = open_len(&d);
	put32(&d, 0xdeadbeef);
	close_len(&d, at);
	put32(&d, 9); /* unknown standard format */
	at = open_len(&d);
	close_len(&d, at);
	/* A flow sample with user (1004), vendor and unknown records. */
	at = flow_sample(&d, false, 10, 1, 2, 4);
	put32(&d, 1004);
	rr = open_len(&d);
	put32(&d, 3);
	put32(&d, 4);
	put(&d, "root", 4);
	put32(&d, 3);
	put32(&d, 0);
	close_len(&d, rr);
	put32(&d, (8800u << 12) | 1);
	rr = open_len(&d);
	put32(&d, 1);
	close_len(&d, rr);
	rec_raw(&d, 1, 60, frame_v4_tcp, sizeof(frame_v4_tcp));
	put32(&d, 1036); /* egress queue: not used for flows */
	rr = open_len(&d);
	put32(&d, 4);
	close_len(&d, rr);
	close_len(&d, at);
	simple_flow_sample(&d, 3);
	run(r, &d);
	assert_int_equal(r->rc, 2);
	assert_int_equal(errors(r), 0);
	assert_int_equal(r->st.c[DSTAT_SFLOW_COUNTER_SAMPLES], 2);
	assert_int_equal(r->st.c[DSTAT_SFLOW_DISCARD_SAMPLES], 1);
	assert_int_equal(r->st.c[DSTAT_SFLOW_UNKNOWN_SAMPLES], 2);
	assert_int_equal(r->st.c[DSTAT_SFLOW_UNKNOWN_RECORDS], 3);
	assert_int_equal(r->st.c[DSTAT_SFLOW_FLOW_SAMPLES], 2);
	assert_int_equal(r->sink.flows[0].src_port, 443);
	assert_int_equal(r->sink.flows[0].bytes, 60);
	assert_int_equal(r->sink.flows[1].sampling_rate, 3);
}

/* Cut a valid datagram at every byte: no crash, each cut counted as an
 * error, and every flow sample wholly before the cut still decoded. */
static void test_truncation_every_offset(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t ends[4], hdr;
	const uint32_t segs[] = { 3 };
	uint64_t errs = 0;
	size_t at;

	dg_header(&d, false, 1, 4);
	hdr = d.n;
	simple_flow_sample(&d, 1);
	ends[0] = d.n;
	at = flow_sample(&d, true, 2, 1, 2, 2);
	rec_raw(&d, 1, 60, frame_v4_tcp, 53);
	rec_gateway(&d, 1, 2, segs, 1, 2);
	close_len(&d, at);
	ends[1] = d.n;
	counter_sample(&d, false);
	ends[2] = d.n;
	simple_flow_sample(&d, 4);
	ends[3] = d.n;

	run(r, &d);
	assert_int_equal(r->rc, 3);
	assert_int_equal(errors(r), 0);
	for (size_t cut = 0; cut < d.n; cut++) {
		size_t want = 0;

		if (cut >= hdr && (cut - hdr) / 8 >= 4)
			want = (cut >= ends[0]) + (cut >= ends[1]) +
			       (cut >= ends[3]);
		run_bytes(r, d.b, cut);
		assert_int_equal(r->sink.n, want);
		assert_true(errors(r) > errs);
		errs = errors(r);
		if (cut < hdr)
			assert_true(r->rc < 0);
	}
	assert_true(r->st.c[DSTAT_ERR_TRUNCATED] > 0);
	assert_true(r->st.c[DSTAT_ERR_SFLOW_COUNT] > 0);
}

static void test_absurd_counts(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t at;

	dg_header(&d, false, 1, 0xffffffffu);
	simple_flow_sample(&d, 1);
	run(r, &d);
	assert_true(r->rc < 0);
	assert_int_equal(r->sink.n, 0);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_COUNT], 1);

	/* An absurd record count costs only its own sample. */
	d.n = 0;
	dg_header(&d, false, 1, 3);
	simple_flow_sample(&d, 1);
	at = flow_sample(&d, false, 2, 1, 2, 0x40000000u);
	rec_raw(&d, 1, 60, frame_v4_tcp, sizeof(frame_v4_tcp));
	close_len(&d, at);
	simple_flow_sample(&d, 3);
	run(r, &d);
	assert_int_equal(r->rc, 2);
	assert_int_equal(r->sink.flows[0].sampling_rate, 1);
	assert_int_equal(r->sink.flows[1].sampling_rate, 3);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_COUNT], 2);
}

static void test_bad_sample_keeps_neighbours(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t at;

	dg_header(&d, false, 1, 3);
	simple_flow_sample(&d, 1);
	put32(&d, 1); /* flow sample whose fixed fields are cut short */
	at = open_len(&d);
	put32(&d, 1);
	put32(&d, 2);
	put32(&d, 3);
	close_len(&d, at);
	simple_flow_sample(&d, 3);
	run(r, &d);
	assert_int_equal(r->rc, 2);
	assert_int_equal(r->sink.flows[0].sampling_rate, 1);
	assert_int_equal(r->sink.flows[1].sampling_rate, 3);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_SAMPLE], 1);
	assert_int_equal(errors(r), 1);
}

static void test_bad_records(void **state)
{
	struct run *r = *state;
	struct dgb d = { 0 };
	size_t at, rr;

	/* A record running past its sample loses that sample only. */
	dg_header(&d, false, 1, 3);
	simple_flow_sample(&d, 1);
	at = flow_sample(&d, false, 2, 1, 2, 1);
	put32(&d, 1);
	put32(&d, 1000);
	put32(&d, 1);
	close_len(&d, at);
	simple_flow_sample(&d, 3);
	run(r, &d);
	assert_int_equal(r->rc, 2);
	assert_int_equal(r->sink.flows[1].sampling_rate, 3);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_RECORD], 1);

	/* Malformed records of intact length: the flow stays, without them. */
	d.n = 0;
	dg_header(&d, false, 1, 1);
	at = flow_sample(&d, false, 2, 1, 2, 4);
	rec_raw(&d, 1, 60, frame_v4_tcp, sizeof(frame_v4_tcp));
	put32(&d, 1003); /* gateway with an absurd AS path */
	rr = open_len(&d);
	put32(&d, 1);
	put32(&d, 0x01020304);
	put32(&d, 65000);
	put32(&d, 65001);
	put32(&d, 65002);
	put32(&d, 1);
	put32(&d, 2);
	put32(&d, 0x7fffffff);
	put32(&d, 1);
	close_len(&d, rr);
	put32(&d, 1002); /* router with an unknown address type */
	rr = open_len(&d);
	put32(&d, 3);
	put32(&d, 0);
	close_len(&d, rr);
	put32(&d, 1); /* raw header longer than its record */
	rr = open_len(&d);
	put32(&d, 1);
	put32(&d, 9999);
	put32(&d, 0);
	put32(&d, 200);
	put(&d, frame_v4_tcp, 8);
	close_len(&d, rr);
	close_len(&d, at);
	run(r, &d);
	assert_int_equal(r->rc, 1);
	assert_int_equal(r->sink.flows[0].src_port, 443);
	assert_int_equal(r->sink.flows[0].bytes, 60);
	assert_int_equal(r->sink.flows[0].src_as, 0);
	assert_int_equal(r->sink.flows[0].n_as_path, 0);
	assert_int_equal(r->sink.flows[0].bgp_next_hop.len, 0);
	assert_int_equal(r->sink.flows[0].next_hop.len, 0);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_RECORD], 4);
}

static void test_bad_headers(void **state)
{
	struct run *r = *state;
	/* ../shared/corpus/tcpdump/sflow_print-segv.pcap's payload. */
	const uint8_t segv[8] = { 0, 0, 0, 5, 0, 0, 0, 1 };
	struct dgb d = { 0 };

	run_bytes(r, segv, sizeof(segv));
	assert_true(r->rc < 0);
	assert_int_equal(r->st.c[DSTAT_ERR_TRUNCATED], 1);

	dg_header(&d, false, 1, 0);
	d.b[7] = 7; /* agent address type 7: a bad header, not a bad version */
	run(r, &d);
	assert_true(r->rc < 0);
	assert_int_equal(r->st.c[DSTAT_ERR_SFLOW_HEADER], 1);
	assert_int_equal(r->st.c[DSTAT_ERR_VERSION], 0);

	d.n = 0;
	dg_header(&d, true, 1, 0); /* empty but valid */
	run(r, &d);
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->st.c[DSTAT_SFLOW_PACKETS], 3);
	assert_int_equal(errors(r), 2);
}

static size_t read_corpus(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* ../shared/corpus/telegraf/sflow_issue_15918: 1 counter and 6 flow
 * samples; the values are those in its expected.out (and tshark's). */
static void test_corpus_telegraf(void **state)
{
	static const struct {
		const char *src, *dst;
		uint32_t sport, dport, proto, in_if;
		uint64_t bytes;
	} want[] = {
		{ "192.168.227.2", "192.168.101.2", 49469, 2055, 17, 96, 1286 },
		{ "142.250.200.99", "192.168.100.104", 443, 52851, 17, 101,
		  563 },
		{ "fe80::f3a8:9738:cab4:2286", "ff02::16", 0, 0, 0, 97, 114 },
		{ "192.168.153.106", "142.250.185.14", 64969, 443, 17, 60, 77 },
		{ "142.250.185.14", "192.168.153.106", 443, 64969, 17, 6, 719 },
		{ "fe80::f3a8:9738:cab4:2286", "ff02::1:3", 49770, 5355, 17, 97,
		  93 },
	};
	struct run *r = *state;
	static uint8_t buf[65536];
	size_t n = read_corpus(
		"../shared/corpus/telegraf/sflow_issue_15918/message.bin", buf,
		sizeof(buf));

	if (!n)
		skip();
	run_bytes(r, buf, n);
	assert_int_equal(r->rc, 6);
	assert_int_equal(errors(r), 0);
	assert_int_equal(r->st.c[DSTAT_SFLOW_COUNTER_SAMPLES], 1);
	for (size_t i = 0; i < 6; i++) {
		const struct flow_rec *f = &r->sink.flows[i];
		char s[64], t[64];

		inet_ntop(f->src_addr.len == 4 ? AF_INET : AF_INET6,
			  f->src_addr.b, s, sizeof(s));
		inet_ntop(f->dst_addr.len == 4 ? AF_INET : AF_INET6,
			  f->dst_addr.b, t, sizeof(t));
		assert_string_equal(s, want[i].src);
		assert_string_equal(t, want[i].dst);
		assert_int_equal(f->src_port, want[i].sport);
		assert_int_equal(f->dst_port, want[i].dport);
		assert_int_equal(f->proto, want[i].proto);
		assert_int_equal(f->in_if, want[i].in_if);
		assert_int_equal(f->bytes, want[i].bytes);
		assert_int_equal(f->sampling_rate, 200);
	}

	n = read_corpus(
		"../shared/corpus/telegraf/sflow_issue_15375/"
		"sflow_drop_1036.bin",
		buf, sizeof(buf));
	if (n) {
		run_bytes(r, buf, n);
		assert_int_equal(r->rc, 0);
		assert_int_equal(r->st.c[DSTAT_SFLOW_DISCARD_SAMPLES], 1);
		assert_int_equal(errors(r), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flow_sample_ipv4_agent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_expanded_ipv6_agent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sampled_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_extended_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_header_protocols, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counter_discard_unknown,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_every_offset,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_absurd_counts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_sample_keeps_neighbours,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corpus_telegraf, setup,
						teardown),
	};

	/* Decode errors are logged; keep the test output readable. */
	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("sflow", tests, NULL, NULL);
}
