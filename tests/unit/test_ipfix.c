// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the IPFIX decoder (user/decode/ipfix.c, nf_fields.c):
 * absolute and relative times, variable-length fields in the 1- and 3-byte
 * forms, enterprise fields (RFC 5103 reverse counters make reverse flows,
 * never overwrite), withdrawals, padding (ACI filler too), several sets,
 * options sampling (305/306, 302; random n-out-of-N 309/310, 311), message
 * length checks, truncation at every offset, sampled frames (315, 313). */
#include "unit.h"

#include <stdlib.h>

#include "decode/decode.h"
#include "nf_build.h"

#define EXPORT 1700000000u
#define BASE_NS (EXPORT * 1000000000ULL)
#define NTP_OFF 2208988800ULL

static void ipfix_hdr(struct pb *p, uint32_t seq, uint32_t dom)
{
	p->n = 0;
	pb_u16(p, 10);
	pb_u16(p, 0);
	pb_u32(p, EXPORT);
	pb_u32(p, seq);
	pb_u32(p, dom);
}

static int setup(void **state)
{
	struct decode_config cfg;

	decode_config_defaults(&cfg);
	cfg.max_templates = 64;
	cfg.max_exporters = 16;
	return nfb_setup(state, &cfg,
			 (const uint8_t
				  *)"\x20\x01\x00\x02\0\0\0\0\0\0\0\0\0\0\0\x01",
			 16, 4739, BASE_NS + 7);
}

static int teardown(void **state)
{
	return nfb_teardown(state);
}

static int feed(struct nf_fixture *f)
{
	ipfix_fin(&f->p);
	return nfb_feed(f, f->ctx);
}

static uint64_t st(struct nf_fixture *f, enum dstat s)
{
	return nfb_stat(f->ctx, &f->dg.exporter, s);
}

static uint64_t errors(struct nf_fixture *f)
{
	return nfb_errors(f->ctx, &f->dg.exporter);
}

static const uint8_t v6src[16] = { 0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0,
				   0,	 0,    0,    0,	   0, 0, 0, 0x10 };

/* Template 300: IPv6 addresses, ports, proto, forward counters (1, 2),
 * RFC 5103 reverse counters (PEN 29305, ie 1 and 2: they do not overwrite
 * the forward ones, they make a reverse flow), ntop's PEN 35632
 * field, absolute times in every unit, delta micro end. */
static void tmpl_300(struct pb *p)
{
	pb_set_begin(p, 2);
	pb_u16(p, 300);
	pb_u16(p, 14);
	field(p, 27, 16);
	field(p, 28, 16);
	field(p, 7, 2);
	field(p, 11, 2);
	field(p, 4, 1);
	field(p, 1, 8);
	field(p, 2, 4); /* reduced-size packets */
	efield(p, 1, 8, 29305);
	efield(p, 2, 8, 29305);
	efield(p, 80, 4, 35632);
	field(p, 152, 8); /* start ms */
	field(p, 157, 8); /* end ns (NTP) */
	field(p, 31, 4);
	field(p, 139, 2);
	pb_set_end(p, 4);
}

static void rec_300(struct pb *p, uint8_t i)
{
	pb_bytes(p, v6src, 16);
	pb_bytes(p, v6src, 15);
	pb_u8(p, 0x20 + i);
	pb_u16(p, 5000);
	pb_u16(p, 80);
	pb_u8(p, 58);
	pb_u64(p, 123456789012ULL + i);
	pb_u32(p, 1000 + i);
	pb_u64(p, 999); /* reverse octets */
	pb_u64(p, 998); /* reverse packets */
	pb_u32(p, 0xdeadbeef);
	pb_u64(p, BASE_NS / 1000000 - 2000);
	pb_u64(p, (EXPORT - 1 + NTP_OFF) << 32 | 0x80000000u); /* .5 s */
	pb_u32(p, 0xabcde);
	pb_u16(p, 0x8001);
}

static void test_template_data_times_enterprise(void **state)
{
	struct nf_fixture *f = *state;
	const struct flow_rec *r;

	ipfix_hdr(&f->p, 5, 33);
	tmpl_300(&f->p);
	pb_set_begin(&f->p, 300);
	rec_300(&f->p, 0);
	rec_300(&f->p, 1);
	pb_set_end(&f->p, 4); /* padding of 2 bytes after 2 records */
	/* Each record's reverse counters make a second, reverse flow. */
	assert_int_equal(feed(f), 4);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_REVERSE_FLOWS), 2);
	assert_int_equal(st(f, DSTAT_FLOWS), 4);
	r = &f->us.flows[2];
	assert_int_equal(r->type, FLOW_TYPE_IPFIX);
	assert_int_equal(r->sequence_num, 5);
	assert_int_equal(r->observation_domain_id, 33);
	assert_int_equal(r->sampler_address.len, 16);
	assert_int_equal(r->sampler_port, 4739);
	assert_int_equal(r->time_received_ns, BASE_NS + 7);
	assert_int_equal(r->src_addr.len, 16);
	assert_memory_equal(r->src_addr.b, v6src, 16);
	assert_int_equal(r->dst_addr.b[15], 0x21);
	assert_int_equal(r->etype, 0x86dd);
	assert_int_equal(r->src_port, 5000);
	assert_int_equal(r->dst_port, 80);
	assert_int_equal(r->proto, 58);
	assert_int_equal(r->bytes, 123456789013ULL);
	assert_int_equal(r->packets, 1001);
	assert_int_equal(r->time_flow_start_ns, BASE_NS - 2000000000ULL);
	assert_int_equal(r->time_flow_end_ns, BASE_NS - 500000000ULL);
	assert_int_equal(r->ipv6_flow_label, 0xabcde);
	assert_int_equal(r->icmp_type, 0x80);
	assert_int_equal(r->icmp_code, 1);
	/* The reverse flow: dst -> src, reverse counters, same times. */
	r = &f->us.flows[3];
	assert_memory_equal(r->dst_addr.b, v6src, 16);
	assert_int_equal(r->src_addr.b[15], 0x21);
	assert_int_equal(r->src_port, 80);
	assert_int_equal(r->dst_port, 5000);
	assert_int_equal(r->bytes, 999);
	assert_int_equal(r->packets, 998);
	assert_int_equal(r->time_flow_start_ns, BASE_NS - 2000000000ULL);
	assert_int_equal(r->time_flow_end_ns, BASE_NS - 500000000ULL);
	assert_int_equal(r->sequence_num, 5);
}

/* Variable-length fields: 1-byte length and 255 + 2-byte length forms. */
static void test_varlen(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t big[300];

	memset(big, 'x', sizeof(big));
	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 301);
	pb_u16(&f->p, 5);
	field(&f->p, 96, 0xffff); /* applicationName: skipped */
	field(&f->p, 8, 0xffff);  /* IPv4 src as varlen */
	field(&f->p, 1, 0xffff);  /* octets as varlen (3 bytes) */
	efield(&f->p, 5, 0xffff, 9);
	field(&f->p, 12, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 301);
	/* record 1: short forms */
	pb_u8(&f->p, 3);
	pb_bytes(&f->p, "abc", 3);
	pb_u8(&f->p, 4);
	pb_bytes(&f->p, "\xc6\x12\x00\x05", 4);
	pb_u8(&f->p, 3);
	pb_bytes(&f->p, "\x01\x00\x00", 3);
	pb_u8(&f->p, 0);
	pb_bytes(&f->p, "\xc6\x13\x00\x06", 4);
	/* record 2: 3-byte forms, 300-byte name, empty enterprise field */
	pb_u8(&f->p, 255);
	pb_u16(&f->p, sizeof(big));
	pb_bytes(&f->p, big, sizeof(big));
	pb_u8(&f->p, 255);
	pb_u16(&f->p, 4);
	pb_bytes(&f->p, "\xc6\x12\x00\x07", 4);
	pb_u8(&f->p, 255);
	pb_u16(&f->p, 2);
	pb_bytes(&f->p, "\x02\x00", 2);
	pb_u8(&f->p, 255);
	pb_u16(&f->p, 0);
	pb_bytes(&f->p, "\xc6\x13\x00\x08", 4);
	pb_set_end(&f->p, 1);
	assert_int_equal(feed(f), 2);
	assert_int_equal(errors(f), 0);
	assert_int_equal(f->us.flows[0].bytes, 0x10000);
	assert_int_equal(f->us.flows[0].src_addr.b[3], 5);
	assert_int_equal(f->us.flows[0].dst_addr.b[3], 6);
	assert_int_equal(f->us.flows[1].bytes, 0x200);
	assert_int_equal(f->us.flows[1].src_addr.b[3], 7);
	assert_int_equal(f->us.flows[1].dst_addr.b[3], 8);
	assert_int_equal(f->us.flows[1].etype, 0x800);

	/* A record whose varlen field runs past the set: counted, the record
	 * before it kept. */
	f->us.n = 0;
	ipfix_hdr(&f->p, 2, 1);
	pb_set_begin(&f->p, 301);
	pb_u8(&f->p, 0);
	pb_u8(&f->p, 4);
	pb_bytes(&f->p, "\xc6\x12\x00\x09", 4);
	pb_u8(&f->p, 1);
	pb_u8(&f->p, 1);
	pb_u8(&f->p, 0);
	pb_bytes(&f->p, "\xc6\x13\x00\x06", 4);
	pb_u8(&f->p, 255);
	pb_u16(&f->p, 400);
	pb_bytes(&f->p, big, 10);
	pb_set_end(&f->p, 1);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_ERR_SET), 1);
}

/* A template of one variable-length field has records as short as 1 byte:
 * the zero padding that ends its set must not decode as empty flows. */
static void test_short_records_and_padding(void **state)
{
	struct nf_fixture *f = *state;

	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 302);
	pb_u16(&f->p, 1);
	field(&f->p, 8, 0xffff); /* IPv4 src as varlen */
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 302);
	pb_u8(&f->p, 4);
	pb_bytes(&f->p, "\xc6\x12\x00\x05", 4);
	pb_set_end(&f->p, 4); /* 4 + 5 bytes: 3 bytes of zero padding */
	assert_int_equal(feed(f), 1);
	assert_int_equal(f->us.n, 1);
	assert_int_equal(f->us.flows[0].src_addr.b[3], 5);
	assert_int_equal(errors(f), 0);
}

static void simple_tmpl(struct pb *p, uint16_t tid)
{
	pb_set_begin(p, 2);
	pb_u16(p, tid);
	pb_u16(p, 2);
	field(p, 8, 4);
	field(p, 2, 4);
	pb_set_end(p, 4);
}

static void simple_data(struct pb *p, uint16_t tid, uint32_t pkts)
{
	pb_set_begin(p, tid);
	pb_bytes(p, "\xc6\x12\x00\x01", 4);
	pb_u32(p, pkts);
	pb_set_end(p, 4);
}

/* A template withdrawal: in set set_id (2, or 3 for options templates), a
 * record for template tid with field count 0; tid == set_id withdraws
 * every template of that set's kind. */
static void withdraw(struct pb *p, uint16_t set_id, uint16_t tid)
{
	pb_set_begin(p, set_id);
	pb_u16(p, tid);
	pb_u16(p, 0);
	pb_set_end(p, 4);
}

static void test_withdrawal(void **state)
{
	struct nf_fixture *f = *state;

	ipfix_hdr(&f->p, 1, 1);
	simple_tmpl(&f->p, 400);
	simple_tmpl(&f->p, 401);
	simple_tmpl(&f->p, 402);
	simple_data(&f->p, 400, 1);
	simple_data(&f->p, 401, 2);
	simple_data(&f->p, 402, 3);
	assert_int_equal(feed(f), 3);
	assert_true(decode_templates_dirty(f->ctx));
	/* withdraw 400 */
	ipfix_hdr(&f->p, 2, 1);
	withdraw(&f->p, 2, 400);
	simple_data(&f->p, 400, 1);
	simple_data(&f->p, 401, 2);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_TEMPLATE_WITHDRAWALS), 1);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
	assert_true(decode_templates_dirty(f->ctx));
	/* withdraw all (template id 2) */
	ipfix_hdr(&f->p, 3, 1);
	withdraw(&f->p, 2, 2);
	simple_data(&f->p, 401, 2);
	simple_data(&f->p, 402, 3);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 3);
	/* relearn 402: its held set replays */
	ipfix_hdr(&f->p, 4, 1);
	simple_tmpl(&f->p, 402);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_SETS_REPLAYED), 1);
}

static void opt_tmpl(struct pb *p, uint16_t tid)
{
	pb_set_begin(p, 3);
	pb_u16(p, tid);
	pb_u16(p, 4);
	pb_u16(p, 1);
	field(p, 302, 4); /* scope: selectorId */
	field(p, 305, 4);
	field(p, 306, 4);
	field(p, 160, 8);
	pb_set_end(p, 4);
}

/* A data set of template 501 (selector 3, uptimes 1000 and 3000 ms,
 * source 198.18.0.1). */
static void data_501(struct pb *p)
{
	pb_set_begin(p, 501);
	pb_u16(p, 3);
	pb_u32(p, 1000);
	pb_u32(p, 3000);
	pb_bytes(p, "\xc6\x12\x00\x01", 4);
	pb_set_end(p, 4);
}

static void test_options_sampling_and_sysinit(void **state)
{
	struct nf_fixture *f = *state;

	ipfix_hdr(&f->p, 1, 7);
	opt_tmpl(&f->p, 500);
	pb_set_begin(&f->p, 2); /* data template: 302, 21, 22, 8 */
	pb_u16(&f->p, 501);
	pb_u16(&f->p, 4);
	field(&f->p, 302, 2);
	field(&f->p, 22, 4);
	field(&f->p, 21, 4);
	field(&f->p, 8, 4);
	pb_set_end(&f->p, 4);
	data_501(&f->p);
	pb_set_begin(&f->p, 500);
	pb_u32(&f->p, 3); /* selector 3: 1 in (1 + 99) */
	pb_u32(&f->p, 1);
	pb_u32(&f->p, 99);
	pb_u64(&f->p, BASE_NS / 1000000 - 60000);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_OPTIONS_RECORDS), 1);
	assert_int_equal(f->us.flows[0].sampling_rate, 100);
	assert_int_equal(f->us.flows[0].sampler_id, 3);
	assert_int_equal(f->us.flows[0].time_flow_start_ns,
			 BASE_NS - 59000000000ULL);
	assert_int_equal(f->us.flows[0].time_flow_end_ns,
			 BASE_NS - 57000000000ULL);
	/* Options template withdraw-all (id 3) keeps data templates. */
	ipfix_hdr(&f->p, 2, 7);
	withdraw(&f->p, 3, 3);
	data_501(&f->p);
	pb_set_begin(&f->p, 500);
	pb_u32(&f->p, 3);
	pb_u32(&f->p, 1);
	pb_u32(&f->p, 9);
	pb_u64(&f->p, 0);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(f->us.flows[1].sampling_rate, 100);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
}

static void test_bad_sets_and_lengths(void **state)
{
	struct nf_fixture *f = *state;
	size_t n;

	ipfix_hdr(&f->p, 1, 1);
	simple_tmpl(&f->p, 400);
	pb_set_begin(&f->p, 4); /* reserved set id */
	pb_u32(&f->p, 0);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 2); /* template id < 256 */
	pb_u16(&f->p, 17);
	pb_u16(&f->p, 1);
	field(&f->p, 8, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 2); /* enterprise field cut */
	pb_u16(&f->p, 402);
	pb_u16(&f->p, 2);
	field(&f->p, 8, 4);
	pb_u16(&f->p, 0x8001);
	pb_u16(&f->p, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 3); /* scope count > field count */
	pb_u16(&f->p, 403);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 2);
	field(&f->p, 8, 4);
	pb_set_end(&f->p, 4);
	simple_data(&f->p, 400, 1);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_ERR_SET), 1);
	assert_int_equal(st(f, DSTAT_ERR_TEMPLATE), 3);

	/* Header length past the datagram: counted, whole sets decoded. */
	ipfix_hdr(&f->p, 2, 1);
	simple_data(&f->p, 400, 1);
	simple_data(&f->p, 400, 2);
	ipfix_fin(&f->p);
	n = f->p.n;
	f->p.b[3] += 4;
	f->dg.data = f->p.b;
	f->dg.len = n - 2;
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 1);
	assert_int_equal(st(f, DSTAT_ERR_TRUNCATED), 1);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 1);
	/* Header length below 16: rejected. */
	f->p.b[2] = 0;
	f->p.b[3] = 15;
	assert_true(decode_datagram(f->ctx, &f->dg, &f->us.sink) < 0);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 2);
	/* Header length 2 short of the datagram (telegraf issue 14370):
	 * the last set is still decoded, counted. */
	f->p.b[2] = (uint8_t)((n - 2) >> 8);
	f->p.b[3] = (uint8_t)(n - 2);
	f->dg.len = n;
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 2);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 3);
	/* Header length ending right before the last set: that set is not
	 * decoded, and not dropped unseen either. */
	f->p.b[2] = (uint8_t)((n - 12) >> 8);
	f->p.b[3] = (uint8_t)(n - 12);
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 1);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 4);
	/* Zero bytes after the message are padding, not counted. */
	memset(f->p.b + n - 12, 0, 12);
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 1);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 4);
}

static void test_truncation_every_offset(void **state)
{
	struct nf_fixture *f = *state;
	struct pb full;

	ipfix_hdr(&full, 5, 33);
	tmpl_300(&full);
	opt_tmpl(&full, 500);
	pb_set_begin(&full, 300);
	rec_300(&full, 0);
	rec_300(&full, 1);
	pb_set_end(&full, 4);
	ipfix_fin(&full);
	for (size_t cut = 0; cut < full.n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		uint64_t before = errors(f);
		int rc;

		decode_ctx_free(f->ctx);
		f->ctx = decode_ctx_new(&f->cfg);
		before = errors(f);
		memcpy(copy, full.b, cut);
		f->dg.data = copy;
		f->dg.len = cut;
		rc = decode_datagram(f->ctx, &f->dg, &f->us.sink);
		assert_true(rc <= 2);
		/* the header length always says more than there is */
		if (errors(f) <= before)
			fail_msg("cut at %zu not counted", cut);
		free(copy);
	}
}

/* MPLS label stack elements 70, 71 and 72 fill label 1, 2 and 3 in
 * order (GoFlow2's mplsTopLabelStackSection..Section3); the label is the
 * top 20 bits of the 3-byte entry; NetFlow labels carry no TTLs. */
static void test_mpls_label_stack(void **state)
{
	struct nf_fixture *f = *state;

	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 600);
	pb_u16(&f->p, 4);
	field(&f->p, 8, 4);
	field(&f->p, 70, 3);
	field(&f->p, 71, 3);
	field(&f->p, 72, 3);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 600);
	pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
	pb_bytes(&f->p, "\x00\x06\x40", 3); /* label 100 */
	pb_bytes(&f->p, "\x00\x0c\x80", 3); /* label 200 */
	pb_bytes(&f->p, "\x00\x12\xc1", 3); /* label 300, bottom of stack */
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(errors(f), 0);
	assert_int_equal(f->us.flows[0].n_mpls, 3);
	assert_int_equal(f->us.flows[0].mpls_label[0], 100);
	assert_int_equal(f->us.flows[0].mpls_label[1], 200);
	assert_int_equal(f->us.flows[0].mpls_label[2], 300);
	assert_int_equal(f->us.flows[0].n_mpls_ttl, 0);
}

/* dataLinkFrameSection (315) with dataLinkFrameSize (312), interfaces and
 * flowDirection (Juniper inline monitoring): the example frame. */
static void test_frame_section(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t frame[128];
	size_t n = nfb_frame_vlan_udp(frame);
	const struct flow_rec *r;

	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 256);
	pb_u16(&f->p, 5);
	field(&f->p, 10, 4);
	field(&f->p, 14, 4);
	field(&f->p, 61, 1);
	field(&f->p, 312, 2);
	field(&f->p, 315, 0xffff);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 256);
	pb_u32(&f->p, 5);
	pb_u32(&f->p, 7);
	pb_u8(&f->p, 0);
	pb_u16(&f->p, (uint16_t)n);
	pb_u8(&f->p, (uint8_t)n);
	pb_bytes(&f->p, frame, n);
	pb_set_end(&f->p, 4);
	assert_int_equal(n, 118);
	assert_int_equal(feed(f), 1);
	assert_int_equal(errors(f), 0);
	r = &f->us.flows[0];
	nfb_check_vlan_udp(r);
	assert_int_equal(r->in_if, 5);
	assert_int_equal(r->out_if, 7);
	assert_int_equal(r->bytes, 118);
	assert_int_equal(r->packets, 1);
}

/* An IPv6/TCP frame with no frame size: bytes from the IPv6 payload length
 * plus the Ethernet header; the flow label and TCP flags from the frame. */
static void test_frame_section_ipv6_tcp(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t frame[128] = { 0 }, dst6[16];
	size_t n = 0;
	const struct flow_rec *r;

	memcpy(dst6, v6src, 16);
	dst6[15] = 0x99;
	n += nfb_eth(frame, (const uint8_t *)"\x02\0\0\0\0\x02",
		     (const uint8_t *)"\x02\0\0\0\0\x01", 0x86dd);
	n += nfb_ipv6(frame + n, v6src, dst6, 61, 6, 20 + 1380, 0x12345);
	n += nfb_tcp(frame + n, 443, 50000, 0x12);
	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 257);
	pb_u16(&f->p, 2);
	field(&f->p, 10, 4);
	field(&f->p, 315, 0xffff);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 257);
	pb_u32(&f->p, 3);
	pb_u8(&f->p, (uint8_t)n);
	pb_bytes(&f->p, frame, n);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(errors(f), 0);
	r = &f->us.flows[0];
	assert_int_equal(r->etype, 0x86dd);
	assert_memory_equal(r->src_addr.b, v6src, 16);
	assert_memory_equal(r->dst_addr.b, dst6, 16);
	assert_int_equal(r->ip_ttl, 61);
	assert_int_equal(r->ipv6_flow_label, 0x12345);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->src_port, 443);
	assert_int_equal(r->dst_port, 50000);
	assert_int_equal(r->tcp_flags, 0x12);
	assert_int_equal(r->src_mac, 0x020000000001ULL);
	assert_int_equal(r->n_layers, 3);
	assert_int_equal(r->layer_stack[1], FLOW_LAYER_IPV6);
	assert_int_equal(r->layer_stack[2], FLOW_LAYER_TCP);
	assert_int_equal(r->bytes, 14 + 40 + 1400);
	assert_int_equal(r->packets, 1);
	assert_int_equal(r->in_if, 3);
}

/* An MPLS-labelled frame in a fixed-length 315 field, cut at 64 bytes,
 * beside octet and packet counters (which win); and an IPv4 header in
 * ipHeaderPacketSection (313): bytes from its total length. */
static void test_frame_section_mpls_and_ip(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t frame[64] = { 0 }, ip[28];
	size_t n = 0;
	const struct flow_rec *r;

	n += nfb_eth(frame, (const uint8_t *)"\x02\0\0\0\0\x02",
		     (const uint8_t *)"\x02\0\0\0\0\x01", 0x8847);
	memcpy(frame + n, "\x00\x06\x40\x40\x00\x0c\x81\x3f", 8);
	n += 8; /* label 100 TTL 64, label 200 bottom TTL 63 */
	n += nfb_ipv4(frame + n, (const uint8_t *)"\xc6\x12\x00\x01",
		      (const uint8_t *)"\xc6\x13\x00\x02", 9, 17, 1000);
	n += nfb_udp(frame + n, 53, 5353, 980);
	nfb_ipv4(ip, (const uint8_t *)"\xc6\x12\x00\x03",
		 (const uint8_t *)"\xc6\x13\x00\x04", 33, 17, 576);
	nfb_udp(ip + 20, 1000, 2000, 556);

	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 258);
	pb_u16(&f->p, 3);
	field(&f->p, 1, 8);
	field(&f->p, 2, 4);
	field(&f->p, 315, sizeof(frame));
	pb_u16(&f->p, 259);
	pb_u16(&f->p, 1);
	field(&f->p, 313, 0xffff);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 258);
	pb_u64(&f->p, 1500);
	pb_u32(&f->p, 3);
	pb_bytes(&f->p, frame, sizeof(frame));
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 259);
	pb_u8(&f->p, sizeof(ip));
	pb_bytes(&f->p, ip, sizeof(ip));
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 2);
	assert_int_equal(errors(f), 0);
	r = &f->us.flows[0];
	assert_int_equal(r->bytes, 1500);
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->n_mpls, 2);
	assert_int_equal(r->mpls_label[0], 100);
	assert_int_equal(r->mpls_label[1], 200);
	assert_int_equal(r->n_mpls_ttl, 2);
	assert_int_equal(r->mpls_ttl[0], 64);
	assert_int_equal(r->mpls_ttl[1], 63);
	assert_int_equal(r->etype, 0x0800);
	assert_int_equal(r->src_addr.b[3], 1);
	assert_int_equal(r->dst_port, 5353);
	assert_int_equal(r->n_layers, 4);
	assert_int_equal(r->layer_stack[1], FLOW_LAYER_MPLS);
	assert_int_equal(r->layer_size[1], 8);
	r = &f->us.flows[1];
	assert_int_equal(r->bytes, 576);
	assert_int_equal(r->packets, 1);
	assert_int_equal(r->etype, 0x0800);
	assert_int_equal(r->ip_ttl, 33);
	assert_int_equal(r->src_port, 1000);
	assert_int_equal(r->n_layers, 2);
	assert_int_equal(r->src_mac, 0);
}

/* A YAF-style RFC 5103 biflow: total counters both ways (the reverse ones
 * under PEN 29305): the reverse flow carries reverseOctetTotalCount. */
static void test_rfc5103_biflow_totals(void **state)
{
	struct nf_fixture *f = *state;
	const struct flow_rec *r;

	ipfix_hdr(&f->p, 9, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 310);
	pb_u16(&f->p, 8);
	field(&f->p, 8, 4);
	field(&f->p, 12, 4);
	field(&f->p, 7, 2);
	field(&f->p, 11, 2);
	field(&f->p, 85, 8);
	field(&f->p, 86, 8);
	efield(&f->p, 85, 8, 29305);
	efield(&f->p, 86, 8, 29305);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 310);
	pb_bytes(&f->p, "\xc6\x12\x00\x01\xc6\x13\x00\x02", 8);
	pb_u16(&f->p, 50123);
	pb_u16(&f->p, 80);
	pb_u64(&f->p, 81);
	pb_u64(&f->p, 1);
	pb_u64(&f->p, 14000);
	pb_u64(&f->p, 12);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 2);
	assert_int_equal(errors(f), 0);
	assert_int_equal(f->us.flows[0].bytes, 81);
	assert_int_equal(f->us.flows[0].packets, 1);
	r = &f->us.flows[1];
	assert_int_equal(r->bytes, 14000);
	assert_int_equal(r->packets, 12);
	assert_int_equal(r->src_addr.b[3], 2);
	assert_int_equal(r->src_port, 80);
	assert_int_equal(r->dst_port, 50123);
	assert_int_equal(st(f, DSTAT_REVERSE_FLOWS), 1);
}

/* A biflow's reverse flow swaps the VLANs (per direction, as addresses
 * and ports) and carries reverseTcpControlBits (6 under PEN 29305); a
 * record without it gives the reverse flow no TCP flags, not the forward
 * ones. */
static void biflow_vlan_flags(struct nf_fixture *f, bool rev_flags)
{
	ipfix_hdr(&f->p, 10, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, rev_flags ? 320 : 321);
	pb_u16(&f->p, rev_flags ? 10 : 9);
	field(&f->p, 8, 4);
	field(&f->p, 12, 4);
	field(&f->p, 6, 1);
	field(&f->p, 58, 2);
	field(&f->p, 59, 2);
	field(&f->p, 1, 8);
	field(&f->p, 2, 8);
	efield(&f->p, 1, 8, 29305);
	efield(&f->p, 2, 8, 29305);
	if (rev_flags)
		efield(&f->p, 6, 1, 29305);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, rev_flags ? 320 : 321);
	pb_bytes(&f->p, "\xc6\x12\x00\x01\xc6\x13\x00\x02", 8);
	pb_u8(&f->p, 0x1b); /* FIN PSH ACK SYN */
	pb_u16(&f->p, 10);
	pb_u16(&f->p, 20);
	pb_u64(&f->p, 81);
	pb_u64(&f->p, 1);
	pb_u64(&f->p, 14000);
	pb_u64(&f->p, 12);
	if (rev_flags)
		pb_u8(&f->p, 0x12); /* SYN ACK */
	pb_set_end(&f->p, 4);
}

static void test_biflow_reverse_vlan_tcp_flags(void **state)
{
	struct nf_fixture *f = *state;
	const struct flow_rec *r;

	for (int rev_flags = 1; rev_flags >= 0; rev_flags--) {
		f->us.n = 0;
		biflow_vlan_flags(f, rev_flags);
		assert_int_equal(feed(f), 2);
		assert_int_equal(errors(f), 0);
		r = &f->us.flows[0];
		assert_int_equal(r->tcp_flags, 0x1b);
		assert_int_equal(r->src_vlan, 10);
		assert_int_equal(r->dst_vlan, 20);
		assert_int_equal(r->bytes, 81);
		r = &f->us.flows[1];
		assert_int_equal(r->src_addr.b[3], 2);
		assert_int_equal(r->src_vlan, 20);
		assert_int_equal(r->dst_vlan, 10);
		assert_int_equal(r->tcp_flags, rev_flags ? 0x12 : 0);
		assert_int_equal(r->bytes, 14000);
		assert_int_equal(r->packets, 12);
	}
}

/* Cisco ACI: 4 bytes of filler after the last whole (12-byte) record of
 * a data set; zeros after the last set inside the message length. Both
 * padding (padding_bytes), not error_bad_set. A set running past the
 * message stays an error. */
static void test_padding_not_error(void **state)
{
	struct nf_fixture *f = *state;

	ipfix_hdr(&f->p, 1, 1);
	simple_tmpl(&f->p, 400);
	pb_set_begin(&f->p, 400);
	pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
	pb_u32(&f->p, 5);
	pb_bytes(&f->p, "\xc6\x12\x00\x02", 4);
	pb_u32(&f->p, 6);
	pb_u32(&f->p, 0xdeadbeef); /* filler shorter than a record */
	pb_set_end(&f->p, 4);
	memset(f->p.b + f->p.n, 0, 40);
	f->p.n += 40;
	assert_int_equal(feed(f), 2);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_PADDING_BYTES), 4 + 40);
	assert_int_equal(f->us.flows[1].packets, 6);

	ipfix_hdr(&f->p, 2, 1);
	simple_data(&f->p, 400, 1);
	pb_u16(&f->p, 400);
	pb_u16(&f->p, 200); /* runs past the message */
	pb_u32(&f->p, 0);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_ERR_LENGTH), 1);
}

/* Cisco ASR 9000: the sampler is an options record scoped by selectorId
 * (302) with selectorAlgorithm (304) 3, random n-out-of-N, samplingSize
 * (309) 1 and samplingPopulation (310) 256; data records carry the
 * selectorId: rate 256. Another selector gives samplingProbability (311,
 * float64): rate 1/p, rounded. */
static void test_random_n_of_n_sampling(void **state)
{
	struct nf_fixture *f = *state;
	double p = 1.0 / 3.0;
	uint64_t pbits;

	memcpy(&pbits, &p, sizeof(pbits));
	ipfix_hdr(&f->p, 1, 4);
	pb_set_begin(&f->p, 3);
	pb_u16(&f->p, 700);
	pb_u16(&f->p, 4);
	pb_u16(&f->p, 1);
	field(&f->p, 302, 4);
	field(&f->p, 304, 2);
	field(&f->p, 309, 4);
	field(&f->p, 310, 4);
	pb_u16(&f->p, 701);
	pb_u16(&f->p, 2);
	pb_u16(&f->p, 1);
	field(&f->p, 302, 4);
	field(&f->p, 311, 8);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 702);
	pb_u16(&f->p, 3);
	field(&f->p, 8, 4);
	field(&f->p, 1, 4);
	field(&f->p, 302, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 700);
	pb_u32(&f->p, 9);
	pb_u16(&f->p, 3);
	pb_u32(&f->p, 1);
	pb_u32(&f->p, 256);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 701);
	pb_u32(&f->p, 10);
	pb_u64(&f->p, pbits);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 702);
	for (uint32_t sel = 9; sel <= 11; sel++) {
		pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
		pb_u32(&f->p, 1000);
		pb_u32(&f->p, sel);
	}
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 3);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_OPTIONS_RECORDS), 2);
	assert_int_equal(f->us.flows[0].sampler_id, 9);
	assert_int_equal(f->us.flows[0].sampling_rate, 256);
	assert_int_equal(f->us.flows[1].sampler_id, 10);
	assert_int_equal(f->us.flows[1].sampling_rate, 3);
	/* Selector 11 is unknown: the domain's latest rate, as GoFlow2. */
	assert_int_equal(f->us.flows[2].sampling_rate, 3);
}

/* selectorAlgorithm (304) picks which PSAMP elements give the rate: an
 * options template carrying all of 305/306, 309/310 and 311 yields
 * (interval + space) / interval for systematic count-based (1),
 * population / size for random n-out-of-N (3) and 1 / probability for
 * uniform probabilistic (4); systematic time-based (2) has no packet
 * rate. Without 304, 305/306 win as before. */
static void psamp_algo_record(struct pb *p, uint32_t sel, int algo, double prob)
{
	uint64_t pbits;

	memcpy(&pbits, &prob, sizeof(pbits));
	pb_u32(p, sel);
	if (algo >= 0)
		pb_u16(p, (uint16_t)algo);
	pb_u32(p, 1);  /* 305 interval */
	pb_u32(p, 4);  /* 306 space: 1 in 5 */
	pb_u32(p, 1);  /* 309 size */
	pb_u32(p, 50); /* 310 population: 1 in 50 */
	pb_u64(p, pbits);
}

static void psamp_tmpl(struct pb *p, uint16_t tid, bool algo)
{
	pb_u16(p, tid);
	pb_u16(p, algo ? 7 : 6);
	pb_u16(p, 1);
	field(p, 302, 4);
	if (algo)
		field(p, 304, 2);
	field(p, 305, 4);
	field(p, 306, 4);
	field(p, 309, 4);
	field(p, 310, 4);
	field(p, 311, 8);
}

static void test_selector_algorithm(void **state)
{
	struct nf_fixture *f = *state;
	static const struct {
		uint32_t domain, sel;
		int algo; /* -1: no 304 in the record */
		uint64_t rate;
	} c[] = {
		{ 4, 20, 1, 5 },  { 4, 21, 3, 50 }, { 4, 22, 4, 4 },
		{ 4, 24, -1, 5 }, { 5, 23, 2, 0 },  { 6, 25, 7, 0 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint16_t otid = c[i].algo >= 0 ? 710 : 711;

		f->us.n = 0;
		ipfix_hdr(&f->p, (uint32_t)i + 1, c[i].domain);
		pb_set_begin(&f->p, 3);
		psamp_tmpl(&f->p, otid, c[i].algo >= 0);
		pb_set_end(&f->p, 4);
		pb_set_begin(&f->p, 2);
		pb_u16(&f->p, 712);
		pb_u16(&f->p, 3);
		field(&f->p, 8, 4);
		field(&f->p, 1, 4);
		field(&f->p, 302, 4);
		pb_set_end(&f->p, 4);
		pb_set_begin(&f->p, otid);
		psamp_algo_record(&f->p, c[i].sel, c[i].algo, 0.25);
		pb_set_end(&f->p, 4);
		pb_set_begin(&f->p, 712);
		pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
		pb_u32(&f->p, 1000);
		pb_u32(&f->p, c[i].sel);
		pb_set_end(&f->p, 4);
		assert_int_equal(feed(f), 1);
		assert_int_equal(errors(f), 0);
		assert_int_equal(f->us.flows[0].sampler_id, c[i].sel);
		assert_int_equal(f->us.flows[0].sampling_rate, c[i].rate);
	}
}

/* A sink with emit_batch (as the daemon's pipeline with --enrich): the
 * flows it gets, and how they came. */
struct batch_sink {
	struct unit_sink us; /* first: its sink is the one decoded into */
	size_t batches, biggest;
};

static void batch_emit(struct flow_sink *s, const struct flow_rec *recs,
		       size_t n)
{
	struct batch_sink *b = (struct batch_sink *)s;

	assert_true(n > 0);
	b->batches++;
	if (n > b->biggest)
		b->biggest = n;
	for (size_t i = 0; i < n; i++)
		b->us.sink.emit(&b->us.sink, &recs[i]);
}

/* Records with and without MPLS labels and reverse counters, more than a
 * batch of them: a sink with emit_batch gets the same flows, byte for
 * byte (MPLS arrays of reused slots cleared, reverse flows in place), in
 * the same order, as one with emit alone. */
static void test_emit_batch_same_flows(void **state)
{
	struct nf_fixture *f = *state;
	struct decode_ctx *ctx = decode_ctx_new(&f->cfg);
	struct batch_sink b;

	assert_non_null(ctx);
	memset(&b, 0, sizeof(b));
	unit_sink_init(&b.us);
	b.us.sink.emit_batch = batch_emit;
	ipfix_hdr(&f->p, 1, 1);
	pb_set_begin(&f->p, 2);
	pb_u16(&f->p, 700);
	pb_u16(&f->p, 7);
	field(&f->p, 8, 4);
	field(&f->p, 70, 3);
	field(&f->p, 71, 3);
	field(&f->p, 1, 8);
	field(&f->p, 2, 8);
	efield(&f->p, 1, 8, 29305);
	efield(&f->p, 2, 8, 29305);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 700);
	for (uint8_t i = 0; i < 70; i++) {
		pb_bytes(&f->p, "\xc6\x12\x00", 3);
		pb_u8(&f->p, i);
		if (i % 3 == 0) {
			pb_bytes(&f->p, "\x00\x06\x40", 3); /* label 100 */
			pb_bytes(&f->p, "\x00\x0c\x81", 3); /* 200, bottom */
		} else {
			pb_bytes(&f->p, "\0\0\0\0\0\0", 6);
		}
		pb_u64(&f->p, 1000 + i);
		pb_u64(&f->p, 10 + i);
		pb_u64(&f->p, i % 2 ? 0 : 500 + i); /* reverse flow or not */
		pb_u64(&f->p, i % 2 ? 0 : 5);
	}
	pb_set_end(&f->p, 4);
	ipfix_fin(&f->p);
	assert_int_equal(nfb_feed(f, f->ctx), 105);
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	assert_int_equal(decode_datagram(ctx, &f->dg, &b.us.sink), 105);
	assert_int_equal(errors(f), 0);
	assert_int_equal(f->us.n, 105);
	assert_int_equal(b.us.n, 105);
	assert_true(b.batches >= 4 && b.biggest >= 2);
	for (size_t i = 0; i < 105; i++)
		assert_memory_equal(&f->us.flows[i], &b.us.flows[i],
				    sizeof(struct flow_rec));
	assert_int_equal(f->us.flows[0].mpls_label[0], 100);
	assert_int_equal(f->us.flows[1].mpls_label[1], 200); /* reverse */
	assert_int_equal(f->us.flows[2].mpls_label[0], 0);   /* record 1 */
	assert_int_equal(f->us.flows[1].bytes, 500);	     /* reverse of 0 */
	decode_ctx_free(ctx);
}

/* Fixed-layout templates store plain fields directly (nf_compile.c's
 * OP_PUT*); a template with a variable-length field walks every field
 * through the handlers. Both must decode the same elements, of every
 * length, into the same flows. */
static void test_direct_stores_as_handlers(void **state)
{
	static const uint16_t ies[] = { 4,  5,	6,  7,	 11,  9,  13, 10, 14,
					16, 17, 31, 176, 177, 52, 54, 88, 59 };
	enum { NIE = sizeof(ies) / sizeof(ies[0]), NREC = 8 };
	static const uint16_t lens[] = { 1, 2, 4, 8 };
	struct nf_fixture *f = *state;
	uint32_t rnd = 12345;

	for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
		uint16_t len = lens[li];
		uint8_t vals[NREC][NIE][8];

		for (size_t r = 0; r < NREC; r++)
			for (size_t i = 0; i < NIE; i++)
				for (size_t b = 0; b < 8; b++) {
					rnd = rnd * 1103515245u + 12345u;
					/* some zeros, some all-ones */
					vals[r][i][b] =
						r == 0	 ? 0
						: r == 1 ? 0xff
							 : (uint8_t)(rnd >> 16);
				}
		f->us.n = 0;
		ipfix_hdr(&f->p, (uint32_t)li, 1);
		pb_set_begin(&f->p, 2);
		for (uint16_t tid = 400; tid <= 401; tid++) {
			pb_u16(&f->p, tid);
			pb_u16(&f->p, NIE + 1 + (tid == 401));
			field(&f->p, 8, 4);
			for (size_t i = 0; i < NIE; i++)
				field(&f->p, ies[i], len);
			if (tid == 401)
				field(&f->p, 96, 0xffff); /* varlen name */
		}
		pb_set_end(&f->p, 4);
		for (uint16_t tid = 400; tid <= 401; tid++) {
			pb_set_begin(&f->p, tid);
			for (size_t r = 0; r < NREC; r++) {
				pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
				for (size_t i = 0; i < NIE; i++)
					pb_bytes(&f->p, vals[r][i], len);
				if (tid == 401) {
					pb_u8(&f->p, 2);
					pb_bytes(&f->p, "ab", 2);
				}
			}
			pb_set_end(&f->p, 1);
		}
		assert_int_equal(feed(f), 2 * NREC);
		assert_int_equal(errors(f), 0);
		for (size_t r = 0; r < NREC; r++)
			assert_memory_equal(&f->us.flows[r],
					    &f->us.flows[NREC + r],
					    sizeof(struct flow_rec));
		if (len <= 2) /* a port of the last record, as sent */
			assert_int_equal(f->us.flows[NREC - 1].src_port,
					 len == 1
						 ? vals[NREC - 1][3][0]
						 : (uint32_t)vals[NREC - 1][3][0]
								   << 8 |
							   vals[NREC - 1][3][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_template_data_times_enterprise),
		T(test_varlen),
		T(test_short_records_and_padding),
		T(test_withdrawal),
		T(test_options_sampling_and_sysinit),
		T(test_bad_sets_and_lengths),
		T(test_truncation_every_offset),
		T(test_mpls_label_stack),
		T(test_emit_batch_same_flows),
		T(test_direct_stores_as_handlers),
		T(test_frame_section),
		T(test_frame_section_ipv6_tcp),
		T(test_frame_section_mpls_and_ip),
		T(test_rfc5103_biflow_totals),
		T(test_biflow_reverse_vlan_tcp_flags),
		T(test_padding_not_error),
		T(test_random_n_of_n_sampling),
		T(test_selector_algorithm),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
