// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the NetFlow v9 decoder (user/decode/nf9.c, nf_fields.c):
 * templates and data in one packet and across packets, held data sets,
 * options sampling per sampler id, uptime-relative times across the wrap,
 * padding, bad flowsets and templates, truncation at every offset; vendor
 * cases: sampled frames (104), the counter rule (FortiOS), ASA biflows,
 * filler and zero fill counted as padding, H3C's variable-length VRFname,
 * held sets counted when lost, per-interface sampling. */
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

#include "decode/decode.h"
#include "nf_build.h"

#define UPTIME 1000u
#define SECS 1700000000u
#define BASE_NS (SECS * 1000000000ULL)

static void v9_hdr(struct pb *p, uint32_t seq, uint32_t srcid)
{
	p->n = 0;
	pb_u16(p, 9);
	pb_u16(p, 0); /* count: unreliable, not used */
	pb_u32(p, UPTIME);
	pb_u32(p, SECS);
	pb_u32(p, seq);
	pb_u32(p, srcid);
}

/* Template 256: a 20-field IPv4 flow template. Record length 64. */
static const uint16_t t256[][2] = {
	{ 8, 4 },  { 12, 4 }, { 15, 4 }, { 7, 2 },  { 11, 2 },
	{ 4, 1 },  { 6, 1 },  { 5, 1 },	 { 1, 4 },  { 2, 4 },
	{ 10, 2 }, { 14, 2 }, { 22, 4 }, { 21, 4 }, { 16, 4 },
	{ 17, 4 }, { 9, 1 },  { 13, 1 }, { 56, 6 }, { 58, 2 },
};
#define T256_LEN 59

static void tmpl_256(struct pb *p)
{
	pb_set_begin(p, 0);
	pb_u16(p, 256);
	pb_u16(p, 20);
	for (int i = 0; i < 20; i++) {
		pb_u16(p, t256[i][0]);
		pb_u16(p, t256[i][1]);
	}
	pb_set_end(p, 4);
}

static void rec_256(struct pb *p, uint8_t i, uint32_t first, uint32_t last)
{
	pb_bytes(p, ((uint8_t[]){ 198, 18, 0, i }), 4);
	pb_bytes(p, ((uint8_t[]){ 198, 19, 0, 2 }), 4);
	pb_bytes(p, ((uint8_t[]){ 198, 18, 0, 254 }), 4);
	pb_u16(p, 1000 + i);
	pb_u16(p, 53);
	pb_u8(p, 17);
	pb_u8(p, 0x12);
	pb_u8(p, 0xb8);
	pb_u32(p, 100 * i + 100);
	pb_u32(p, i + 1);
	pb_u16(p, 3);
	pb_u16(p, 4);
	pb_u32(p, first);
	pb_u32(p, last);
	pb_u32(p, 65000);
	pb_u32(p, 4200000000u);
	pb_u8(p, 24);
	pb_u8(p, 16);
	pb_bytes(p, ((uint8_t[]){ 0, 0x11, 0x22, 0x33, 0x44, 0x55 }), 6);
	pb_u16(p, 42);
}

static void data_256(struct pb *p, int n)
{
	pb_set_begin(p, 256);
	for (int i = 0; i < n; i++)
		rec_256(p, (uint8_t)i, UPTIME - 500, UPTIME - 100);
	pb_set_end(p, 4);
}

static int setup(void **state)
{
	struct decode_config cfg;

	decode_config_defaults(&cfg);
	cfg.max_templates = 64;
	cfg.max_exporters = 16;
	return nfb_setup(state, &cfg, (uint8_t[]){ 198, 18, 1, 1 }, 4, 2055,
			 BASE_NS + 5);
}

static int teardown(void **state)
{
	return nfb_teardown(state);
}

static int feed(struct nf_fixture *f)
{
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

static void check_rec(const struct flow_rec *r, uint8_t i)
{
	assert_int_equal(r->type, FLOW_TYPE_NETFLOW_V9);
	assert_int_equal(r->sequence_num, 77);
	assert_int_equal(r->observation_domain_id, 9);
	assert_int_equal(r->sampler_port, 2055);
	assert_int_equal(r->sampler_address.len, 4);
	assert_int_equal(r->src_addr.len, 4);
	assert_memory_equal(r->src_addr.b, ((uint8_t[]){ 198, 18, 0, i }), 4);
	assert_memory_equal(r->dst_addr.b, ((uint8_t[]){ 198, 19, 0, 2 }), 4);
	assert_int_equal(r->next_hop.len, 4);
	assert_int_equal(r->src_port, 1000 + i);
	assert_int_equal(r->dst_port, 53);
	assert_int_equal(r->proto, 17);
	assert_int_equal(r->tcp_flags, 0x12);
	assert_int_equal(r->ip_tos, 0xb8);
	assert_int_equal(r->bytes, 100 * i + 100);
	assert_int_equal(r->packets, i + 1);
	assert_int_equal(r->in_if, 3);
	assert_int_equal(r->out_if, 4);
	assert_int_equal(r->src_as, 65000);
	assert_int_equal(r->dst_as, 4200000000u);
	assert_int_equal(r->src_net, 24);
	assert_int_equal(r->dst_net, 16);
	assert_int_equal(r->src_mac, 0x1122334455ULL);
	assert_int_equal(r->vlan_id, 42);
	assert_int_equal(r->src_vlan, 42);
	assert_int_equal(r->etype, 0x800);
}

static void test_template_and_data_one_packet(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	data_256(&f->p, 3);
	assert_int_equal(feed(f), 3);
	assert_int_equal(f->us.n, 3);
	for (uint8_t i = 0; i < 3; i++)
		check_rec(&f->us.flows[i], i);
	assert_int_equal(f->us.flows[0].time_received_ns, BASE_NS + 5);
	assert_int_equal(f->us.flows[0].time_flow_start_ns,
			 BASE_NS - 500000000ULL);
	assert_int_equal(f->us.flows[0].time_flow_end_ns,
			 BASE_NS - 100000000ULL);
	assert_int_equal(st(f, DSTAT_TEMPLATES), 1);
	assert_int_equal(st(f, DSTAT_NF9_PACKETS), 1);
	assert_int_equal(st(f, DSTAT_FLOWS), 3);
	assert_int_equal(errors(f), 0);
	assert_true(decode_templates_dirty(f->ctx));
	assert_false(decode_templates_dirty(f->ctx));
	/* The same template again is no change. */
	assert_int_equal(feed(f), 3);
	assert_false(decode_templates_dirty(f->ctx));
}

static void test_across_packets_and_other_domain(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	assert_int_equal(feed(f), 0);
	v9_hdr(&f->p, 77, 9);
	data_256(&f->p, 2);
	assert_int_equal(feed(f), 2);
	check_rec(&f->us.flows[1], 1);
	/* Another source id does not share the template: held. */
	v9_hdr(&f->p, 78, 10);
	data_256(&f->p, 2);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
	/* Nor does another exporter address. */
	f->dg.exporter.b[3] = 2;
	v9_hdr(&f->p, 78, 9);
	data_256(&f->p, 1);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
}

struct seen_tmpls {
	unsigned n;
	struct decode_template t[4];
	struct decode_field f[4][32];
};

static void keep_tmpl(const struct decode_template *t, void *arg)
{
	struct seen_tmpls *s = arg;

	assert_true(s->n < 4 && t->nfields <= 32);
	s->t[s->n] = *t;
	memcpy(s->f[s->n], t->fields, t->nfields * sizeof(*t->fields));
	s->t[s->n].fields = s->f[s->n];
	s->n++;
}

/* decode_templates_foreach lists what was learnt, with its last-seen time
 * moving on when the template is announced again. */
static void test_templates_foreach(void **state)
{
	struct nf_fixture *f = *state;
	struct seen_tmpls s = { 0 };

	decode_templates_foreach(f->ctx, keep_tmpl, &s);
	assert_int_equal(s.n, 0);
	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	assert_int_equal(feed(f), 0);
	decode_templates_foreach(f->ctx, keep_tmpl, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.t[0].exporter.len, 4);
	assert_memory_equal(s.t[0].exporter.b, ((uint8_t[]){ 198, 18, 1, 1 }),
			    4);
	assert_int_equal(s.t[0].version, 9);
	assert_int_equal(s.t[0].domain, 9);
	assert_int_equal(s.t[0].id, 256);
	assert_false(s.t[0].options);
	assert_int_equal(s.t[0].nfields, 20);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(s.t[0].fields[i].pen, 0);
		assert_int_equal(s.t[0].fields[i].ie, t256[i][0]);
		assert_int_equal(s.t[0].fields[i].len, t256[i][1]);
	}
	assert_int_equal(s.t[0].seen_ns, BASE_NS + 5);

	f->dg.time_received_ns += 1000;
	v9_hdr(&f->p, 78, 9);
	tmpl_256(&f->p);
	assert_int_equal(feed(f), 0);
	s.n = 0;
	decode_templates_foreach(f->ctx, keep_tmpl, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.t[0].seen_ns, BASE_NS + 1005);
}

/* Uptime wrapped between flow start and export. */
static void test_uptime_wrap(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	pb_set_begin(&f->p, 256);
	rec_256(&f->p, 0, 0xffffffffu - 999, UPTIME - 1); /* 2000 ms ago */
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(f->us.flows[0].time_flow_start_ns,
			 BASE_NS - 2000ULL * 1000000);
	assert_int_equal(f->us.flows[0].time_flow_end_ns, BASE_NS - 1000000ULL);
}

static void test_held_then_replayed(void **state)
{
	struct nf_fixture *f = *state;
	struct unit_sink ref;
	struct decode_ctx *c2 = decode_ctx_new(&f->cfg);

	/* Reference: template first, in another context. */
	unit_sink_init(&ref);
	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	assert_int_equal(decode_datagram(c2, &f->dg, &ref.sink), 0);
	v9_hdr(&f->p, 77, 9);
	data_256(&f->p, 3);
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	assert_int_equal(decode_datagram(c2, &f->dg, &ref.sink), 3);
	decode_ctx_free(c2);

	/* Data first: held; template later (other seq, time): replayed with
	 * the data packet's own header. */
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
	v9_hdr(&f->p, 99, 9);
	tmpl_256(&f->p);
	f->dg.time_received_ns += 1000;
	assert_int_equal(feed(f), 3);
	assert_int_equal(st(f, DSTAT_SETS_REPLAYED), 1);
	assert_int_equal(f->us.n, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&f->us.flows[i], &ref.flows[i],
				    sizeof(struct flow_rec));
	/* Replayed once only. */
	assert_int_equal(feed(f), 0);
}

/* A packet with: data for an unknown template, a bad reserved flowset, then
 * template and data: only the missing template's set is lost (held). */
static void test_missing_template_costs_only_its_set(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	pb_set_begin(&f->p, 300);
	pb_u32(&f->p, 1);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 7);
	pb_u32(&f->p, 0);
	pb_set_end(&f->p, 4);
	tmpl_256(&f->p);
	data_256(&f->p, 2);
	assert_int_equal(feed(f), 2);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
	assert_int_equal(st(f, DSTAT_ERR_SET), 1);
}

static void options_tmpl(struct pb *p, uint16_t tid)
{
	pb_set_begin(p, 1);
	pb_u16(p, tid);
	pb_u16(p, 4);  /* scope: system */
	pb_u16(p, 12); /* 3 options fields */
	pb_u16(p, 1);
	pb_u16(p, 4);
	pb_u16(p, 48); /* sampler id */
	pb_u16(p, 1);
	pb_u16(p, 49); /* sampler mode */
	pb_u16(p, 1);
	pb_u16(p, 34); /* sampling interval */
	pb_u16(p, 4);
	pb_set_end(p, 4);
}

static void options_rec(struct pb *p, uint8_t sid, uint32_t rate)
{
	pb_u32(p, 0);
	pb_u8(p, sid);
	pb_u8(p, 2);
	pb_u32(p, rate);
}

static void test_options_sampling_per_sampler(void **state)
{
	struct nf_fixture *f = *state;

	/* Data template 257: src addr + sampler id (48) + bytes. */
	v9_hdr(&f->p, 1, 9);
	options_tmpl(&f->p, 260);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 257);
	pb_u16(&f->p, 3);
	pb_u16(&f->p, 8);
	pb_u16(&f->p, 4);
	pb_u16(&f->p, 48);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 1);
	pb_u16(&f->p, 4);
	pb_set_end(&f->p, 4);
	/* Data before the options data in the same packet still gets the
	 * rates (options data is applied first). */
	pb_set_begin(&f->p, 257);
	for (uint8_t sid = 1; sid <= 3; sid++) {
		pb_bytes(&f->p, ((uint8_t[]){ 198, 18, 0, sid }), 4);
		pb_u8(&f->p, sid);
		pb_u32(&f->p, 1000);
	}
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 260);
	options_rec(&f->p, 1, 100);
	options_rec(&f->p, 2, 2000);
	pb_set_end(&f->p, 4);
	tmpl_256(&f->p);
	data_256(&f->p, 1);
	assert_int_equal(feed(f), 4);
	assert_int_equal(st(f, DSTAT_OPTIONS_RECORDS), 2);
	assert_int_equal(st(f, DSTAT_OPTIONS_TEMPLATES), 1);
	assert_int_equal(f->us.flows[0].sampling_rate, 100);
	assert_int_equal(f->us.flows[0].sampler_id, 1);
	assert_int_equal(f->us.flows[1].sampling_rate, 2000);
	assert_int_equal(f->us.flows[1].sampler_id, 2);
	/* Sampler 3 unknown, and no sampler id: the domain's (latest) rate. */
	assert_int_equal(f->us.flows[2].sampling_rate, 2000);
	assert_int_equal(f->us.flows[3].sampling_rate, 2000);
	assert_int_equal(f->us.flows[0].bytes, 1000);
	/* Another domain knows no rate. */
	f->us.n = 0;
	v9_hdr(&f->p, 2, 10);
	tmpl_256(&f->p);
	data_256(&f->p, 1);
	assert_int_equal(feed(f), 1);
	assert_int_equal(f->us.flows[0].sampling_rate, 0);
}

/* Options data ahead of its options template in the same packet: the
 * template is learnt in the first pass, so its data must still be applied
 * (sampling rate for the flows) and counted, never dropped unseen. */
static void test_options_data_before_its_template(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 1, 9);
	pb_set_begin(&f->p, 260);
	options_rec(&f->p, 0, 512);
	pb_set_end(&f->p, 4);
	options_tmpl(&f->p, 260);
	tmpl_256(&f->p);
	data_256(&f->p, 1);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_OPTIONS_RECORDS), 1);
	assert_int_equal(f->us.flows[0].sampling_rate, 512);
	assert_int_equal(errors(f), 0);
}

static void test_padding_and_several_flowsets(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	pb_set_begin(&f->p, 256);
	rec_256(&f->p, 0, 1, 2);
	pb_u8(&f->p, 0); /* one byte of padding, then to 4 */
	pb_set_end(&f->p, 4);
	data_256(&f->p, 2);
	pb_u16(&f->p, 0); /* trailing 2 bytes after the last flowset */
	assert_int_equal(feed(f), 3);
	assert_int_equal(errors(f), 0);
}

/* Bytes after the last whole record, shorter than a record, are padding
 * even when not zero (nProbe and MikroTik leave such filler): counted in
 * padding_bytes, not as an error; the whole records before them kept. */
static void test_filler_after_last_record(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	pb_set_begin(&f->p, 256);
	rec_256(&f->p, 0, 1, 2);
	pb_bytes(&f->p, "\xc6\x12\x00\x07\xc6\x13", 6); /* filler */
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	/* 65-byte record, 6 bytes of filler, 1 of alignment */
	assert_int_equal(st(f, DSTAT_PADDING_BYTES), 7);
	assert_int_equal(errors(f), 0);
}

/* PAN-OS 8.1: one flowset, then the rest of the packet zero-filled; the
 * zeros would read as flowset 0 of length 0. Padding, not error_bad_set.
 * Non-zero bytes after the last flowset stay an error. */
static void test_zero_fill_after_last_flowset(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	tmpl_256(&f->p);
	data_256(&f->p, 2);
	memset(f->p.b + f->p.n, 0, 600);
	f->p.n += 600;
	assert_int_equal(feed(f), 2);
	assert_int_equal(errors(f), 0);
	/* the set's 2 bytes of alignment, then the zero fill */
	assert_int_equal(st(f, DSTAT_PADDING_BYTES), 2 + 600);

	v9_hdr(&f->p, 78, 9);
	data_256(&f->p, 1);
	pb_u32(&f->p, 0);
	pb_u32(&f->p, 7);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_ERR_SET), 1);
	assert_int_equal(errors(f), 1);
}

static void test_bad_templates(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 77, 9);
	/* field count 0 */
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 300);
	pb_u16(&f->p, 0);
	pb_set_end(&f->p, 4);
	/* record length 0: every field length 0 */
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 301);
	pb_u16(&f->p, 2);
	pb_u32(&f->p, 0x00080000);
	pb_u32(&f->p, 0x000c0000);
	pb_set_end(&f->p, 4);
	/* 50 fields announced, 1 present */
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 302);
	pb_u16(&f->p, 50);
	pb_u32(&f->p, 0x00080004);
	pb_set_end(&f->p, 4);
	/* options template lengths not multiples of 4 */
	pb_set_begin(&f->p, 1);
	pb_u16(&f->p, 303);
	pb_u16(&f->p, 3);
	pb_u16(&f->p, 4);
	pb_u32(&f->p, 0);
	pb_u32(&f->p, 0);
	pb_set_end(&f->p, 4);
	/* flowset length < 4 ends the walk: the good sets come first. */
	tmpl_256(&f->p);
	data_256(&f->p, 1);
	pb_u16(&f->p, 256);
	pb_u16(&f->p, 2);
	pb_u32(&f->p, 0);
	assert_int_equal(feed(f), 1);
	assert_int_equal(st(f, DSTAT_ERR_TEMPLATE), 4);
	assert_int_equal(st(f, DSTAT_ERR_SET), 1);
	assert_int_equal(st(f, DSTAT_TEMPLATES), 1);
	/* data for the rejected templates is held, never decoded */
	v9_hdr(&f->p, 78, 9);
	pb_set_begin(&f->p, 301);
	pb_u32(&f->p, 0);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 0);
}

/* Address with a wrong length: ignored, counted once at template time. */
static void test_bad_field_length_counted_once(void **state)
{
	struct nf_fixture *f = *state;

	for (int k = 0; k < 3; k++) {
		v9_hdr(&f->p, 77, 9);
		pb_set_begin(&f->p, 0);
		pb_u16(&f->p, 256);
		pb_u16(&f->p, 2);
		pb_u32(&f->p, 0x00080006); /* IPv4 src, 6 bytes */
		pb_u32(&f->p, 0x00010002); /* bytes, 2 bytes */
		pb_set_end(&f->p, 4);
		pb_set_begin(&f->p, 256);
		pb_bytes(&f->p, "\xc6\x12\x00\x01\x00\x00\x01\x02", 8);
		pb_set_end(&f->p, 4);
		assert_int_equal(feed(f), 1);
	}
	assert_int_equal(st(f, DSTAT_ERR_TEMPLATE), 1);
	assert_int_equal(f->us.flows[2].src_addr.len, 0);
	assert_int_equal(f->us.flows[2].bytes, 0x102);
	assert_int_equal(f->us.flows[2].etype, 0);
}

static void test_truncation_every_offset(void **state)
{
	struct nf_fixture *f = *state;
	struct pb full;
	size_t bounds[8], nb = 0;

	v9_hdr(&full, 77, 9);
	bounds[nb++] = full.n;
	tmpl_256(&full);
	bounds[nb++] = full.n;
	options_tmpl(&full, 260);
	bounds[nb++] = full.n;
	data_256(&full, 3);
	bounds[nb++] = full.n;
	for (size_t cut = 0; cut < full.n; cut++) {
		struct decode_ctx *c = decode_ctx_new(&f->cfg);
		uint8_t *copy = malloc(cut ? cut : 1);
		uint64_t before;
		bool boundary = false;
		int rc;

		decode_ctx_free(f->ctx);
		f->ctx = c;
		memcpy(copy, full.b, cut);
		f->dg.data = copy;
		f->dg.len = cut;
		before = errors(f);
		rc = decode_datagram(f->ctx, &f->dg, &f->us.sink);
		for (size_t i = 0; i < nb; i++)
			boundary |= cut == bounds[i];
		assert_true(rc <= 3);
		/* A cut 1-3 bytes into a set header reading 00 00 looks like
		 * padding; any other cut short of a boundary is counted. */
		for (size_t i = 0; i < nb; i++)
			if (cut > bounds[i] && cut - bounds[i] < 4 &&
			    !full.b[bounds[i]] &&
			    (cut - bounds[i] < 2 || !full.b[bounds[i] + 1]))
				boundary = true;
		if (!boundary && errors(f) <= before)
			fail_msg("cut at %zu not counted", cut);
		free(copy);
	}
}

/* layer2packetSectionData (104) in a fixed 128-byte field (the frame cut
 * or padded to it): decoded by the sFlow packet parser; no frame size and
 * no counters, so bytes is what its headers say and packets 1. */
static void test_layer2_section(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t frame[128];
	const struct flow_rec *r;

	nfb_frame_vlan_udp(frame);
	v9_hdr(&f->p, 1, 9);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 270);
	pb_u16(&f->p, 3);
	field(&f->p, 10, 2);
	field(&f->p, 14, 2);
	field(&f->p, 104, sizeof(frame));
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 270);
	pb_u16(&f->p, 11);
	pb_u16(&f->p, 12);
	pb_bytes(&f->p, frame, sizeof(frame));
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 1);
	assert_int_equal(errors(f), 0);
	r = &f->us.flows[0];
	nfb_check_vlan_udp(r);
	assert_int_equal(r->in_if, 11);
	assert_int_equal(r->out_if, 12);
	assert_int_equal(r->bytes, 118);
	assert_int_equal(r->packets, 1);
	assert_int_equal(r->type, FLOW_TYPE_NETFLOW_V9);
}

/* Fortigate FortiOS 5.2: IN_BYTES (1) = 152 then OUT_BYTES (23) = 0 in one
 * record; an egress record IN 0, OUT 32; the last field must not win.
 * Totals (85/86) count only in a record without delta counters. */
static void test_counter_rule(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 1, 9);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 280);
	pb_u16(&f->p, 5);
	field(&f->p, 8, 4);
	field(&f->p, 1, 4);
	field(&f->p, 2, 4);
	field(&f->p, 23, 4);
	field(&f->p, 24, 4);
	pb_u16(&f->p, 281); /* delta and total */
	pb_u16(&f->p, 4);
	field(&f->p, 1, 4);
	field(&f->p, 2, 4);
	field(&f->p, 85, 8);
	field(&f->p, 86, 8);
	pb_u16(&f->p, 282); /* total only */
	pb_u16(&f->p, 2);
	field(&f->p, 85, 8);
	field(&f->p, 86, 8);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 280);
	pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
	pb_u32(&f->p, 152); /* IN_BYTES */
	pb_u32(&f->p, 3);
	pb_u32(&f->p, 0); /* OUT_BYTES */
	pb_u32(&f->p, 0);
	pb_bytes(&f->p, "\xc6\x12\x00\x02", 4);
	pb_u32(&f->p, 0);
	pb_u32(&f->p, 0);
	pb_u32(&f->p, 32);
	pb_u32(&f->p, 1);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 281);
	pb_u32(&f->p, 0);
	pb_u32(&f->p, 0);
	pb_u64(&f->p, 65);
	pb_u64(&f->p, 2);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 282);
	pb_u64(&f->p, 65);
	pb_u64(&f->p, 2);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 4);
	assert_int_equal(errors(f), 0);
	assert_int_equal(f->us.flows[0].bytes, 152);
	assert_int_equal(f->us.flows[0].packets, 3);
	assert_int_equal(f->us.flows[1].bytes, 32);
	assert_int_equal(f->us.flows[1].packets, 1);
	assert_int_equal(f->us.flows[2].bytes, 0);
	assert_int_equal(f->us.flows[2].packets, 0);
	assert_int_equal(f->us.flows[3].bytes, 65);
	assert_int_equal(f->us.flows[3].packets, 2);
}

/* Cisco ASA NSEL: only initiator/responder counters (231/232, 298/299).
 * The forward flow carries the initiator's; the responder's make a second
 * flow dst -> src (addresses, ports, interfaces, MACs, AS, masks swapped),
 * unless --biflow forward. A responder count of 0 makes no reverse flow. */
static void asa_packet(struct pb *p, uint32_t resp_bytes, uint32_t resp_pkts)
{
	v9_hdr(p, 1, 9);
	pb_set_begin(p, 0);
	pb_u16(p, 290);
	pb_u16(p, 15);
	field(p, 8, 4);
	field(p, 12, 4);
	field(p, 7, 2);
	field(p, 11, 2);
	field(p, 4, 1);
	field(p, 10, 2);
	field(p, 14, 2);
	field(p, 56, 6);
	field(p, 80, 6);
	field(p, 16, 4);
	field(p, 17, 4);
	field(p, 9, 1);
	field(p, 13, 1);
	field(p, 231, 4);
	field(p, 232, 4);
	pb_set_end(p, 4);
	pb_set_begin(p, 0);
	pb_u16(p, 291);
	pb_u16(p, 4);
	field(p, 8, 4);
	field(p, 12, 4);
	field(p, 298, 4);
	field(p, 299, 4);
	pb_set_end(p, 4);
	pb_set_begin(p, 290);
	pb_bytes(p, "\xc6\x12\x00\x01\xc6\x13\x00\x02", 8);
	pb_u16(p, 40000);
	pb_u16(p, 443);
	pb_u8(p, 6);
	pb_u16(p, 1);
	pb_u16(p, 2);
	pb_bytes(p, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	pb_u32(p, 64500);
	pb_u32(p, 64501);
	pb_u8(p, 24);
	pb_u8(p, 16);
	pb_u32(p, 81);
	pb_u32(p, resp_bytes);
	pb_set_end(p, 4);
	pb_set_begin(p, 291);
	pb_bytes(p, "\xc6\x12\x00\x03\xc6\x13\x00\x04", 8);
	pb_u32(p, 1);
	pb_u32(p, resp_pkts);
	pb_set_end(p, 4);
}

static void test_asa_biflow(void **state)
{
	struct nf_fixture *f = *state;
	struct decode_config cfg = f->cfg;
	struct decode_ctx *fwd;
	const struct flow_rec *r;

	asa_packet(&f->p, 14000, 10);
	assert_int_equal(feed(f), 4);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_REVERSE_FLOWS), 2);
	r = &f->us.flows[0];
	assert_int_equal(r->bytes, 81);
	assert_int_equal(r->packets, 0);
	assert_int_equal(r->src_addr.b[3], 1);
	assert_int_equal(r->src_port, 40000);
	r = &f->us.flows[1];
	assert_int_equal(r->bytes, 14000);
	assert_int_equal(r->packets, 0);
	assert_int_equal(r->src_addr.b[3], 2);
	assert_int_equal(r->dst_addr.b[3], 1);
	assert_int_equal(r->src_port, 443);
	assert_int_equal(r->dst_port, 40000);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->in_if, 2);
	assert_int_equal(r->out_if, 1);
	assert_int_equal(r->src_mac, 0x020000000002ULL);
	assert_int_equal(r->dst_mac, 0x020000000001ULL);
	assert_int_equal(r->src_as, 64501);
	assert_int_equal(r->dst_as, 64500);
	assert_int_equal(r->src_net, 16);
	assert_int_equal(r->dst_net, 24);
	assert_int_equal(r->time_flow_start_ns,
			 f->us.flows[0].time_flow_start_ns);
	assert_int_equal(r->sequence_num, f->us.flows[0].sequence_num);
	r = &f->us.flows[2];
	assert_int_equal(r->packets, 1);
	assert_int_equal(r->src_addr.b[3], 3);
	r = &f->us.flows[3];
	assert_int_equal(r->packets, 10);
	assert_int_equal(r->src_addr.b[3], 4);

	/* No responder counts: no reverse flow. */
	f->us.n = 0;
	asa_packet(&f->p, 0, 0);
	assert_int_equal(feed(f), 2);
	assert_int_equal(st(f, DSTAT_REVERSE_FLOWS), 2);

	/* --biflow forward: GoFlow2's behaviour, the forward flow only. */
	cfg.biflow = DECODE_BIFLOW_FORWARD;
	fwd = decode_ctx_new(&cfg);
	assert_non_null(fwd);
	f->us.n = 0;
	asa_packet(&f->p, 14000, 10);
	assert_int_equal(nfb_feed(f, fwd), 2);
	assert_int_equal(f->us.flows[0].bytes, 81);
	assert_int_equal(f->us.flows[1].packets, 1);
	assert_int_equal(nfb_stat(fwd, &f->dg.exporter, DSTAT_REVERSE_FLOWS),
			 0);
	decode_ctx_free(fwd);
}

/* H3C: VRFname (236) with field length 65535 in a v9 template, in IPFIX's
 * variable-length encoding (1-byte and 255 + 2-byte length forms). */
static void test_h3c_varlen(void **state)
{
	struct nf_fixture *f = *state;
	uint8_t name[300];

	memset(name, 'v', sizeof(name));
	v9_hdr(&f->p, 1, 9);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 300);
	pb_u16(&f->p, 4);
	field(&f->p, 8, 4);
	field(&f->p, 12, 4);
	field(&f->p, 236, 0xffff);
	field(&f->p, 1, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 300);
	pb_bytes(&f->p, "\xc6\x12\x00\x01\xc6\x13\x00\x01", 8);
	pb_u8(&f->p, 5);
	pb_bytes(&f->p, "vpn-a", 5);
	pb_u32(&f->p, 500);
	pb_bytes(&f->p, "\xc6\x12\x00\x02\xc6\x13\x00\x02", 8);
	pb_u8(&f->p, 255);
	pb_u16(&f->p, sizeof(name));
	pb_bytes(&f->p, name, sizeof(name));
	pb_u32(&f->p, 600);
	pb_bytes(&f->p, "\xc6\x12\x00\x03\xc6\x13\x00\x03", 8);
	pb_u8(&f->p, 0);
	pb_u32(&f->p, 700);
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 3);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_TEMPLATES), 1);
	assert_int_equal(f->us.flows[0].bytes, 500);
	assert_int_equal(f->us.flows[1].bytes, 600);
	assert_int_equal(f->us.flows[1].src_addr.b[3], 2);
	assert_int_equal(f->us.flows[2].bytes, 700);
	assert_int_equal(f->us.flows[2].dst_addr.b[3], 3);
}

/* A held data set whose template never comes is counted when it expires,
 * and so is every set still held when the input ends (decode_drop_held):
 * never a silent loss. */
static void test_held_set_expiry_counted(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 1, 9);
	data_256(&f->p, 1);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 1);
	decode_expire(f->ctx,
		      f->dg.time_received_ns + f->cfg.held_max_age_ns + 1);
	assert_int_equal(st(f, DSTAT_ERR_HELD_EXPIRED), 1);
	v9_hdr(&f->p, 2, 9);
	data_256(&f->p, 1);
	data_256(&f->p, 2);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_HELD), 3);
	decode_drop_held(f->ctx);
	assert_int_equal(st(f, DSTAT_ERR_HELD_EXPIRED), 3);
	/* Nothing is left to replay. */
	v9_hdr(&f->p, 3, 9);
	tmpl_256(&f->p);
	assert_int_equal(feed(f), 0);
	assert_int_equal(st(f, DSTAT_SETS_REPLAYED), 0);
}

/* Per-interface sampling in v9 options (scope type 2, interface): the rate
 * applies to flows of that input interface only, not the whole domain. */
static void test_interface_scoped_sampling(void **state)
{
	struct nf_fixture *f = *state;

	v9_hdr(&f->p, 1, 9);
	pb_set_begin(&f->p, 1);
	pb_u16(&f->p, 261);
	pb_u16(&f->p, 4); /* scope: interface, 4 bytes */
	pb_u16(&f->p, 8); /* 2 options fields */
	pb_u16(&f->p, 2);
	pb_u16(&f->p, 4);
	pb_u16(&f->p, 34); /* sampling interval */
	pb_u16(&f->p, 4);
	pb_u16(&f->p, 35); /* sampling algorithm */
	pb_u16(&f->p, 1);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 261);
	pb_u32(&f->p, 3);
	pb_u32(&f->p, 100);
	pb_u8(&f->p, 2);
	pb_u32(&f->p, 5);
	pb_u32(&f->p, 1000);
	pb_u8(&f->p, 2);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 0);
	pb_u16(&f->p, 262);
	pb_u16(&f->p, 2);
	field(&f->p, 8, 4);
	field(&f->p, 10, 4);
	pb_set_end(&f->p, 4);
	pb_set_begin(&f->p, 262);
	for (uint32_t ifx = 3; ifx <= 7; ifx += 2) {
		pb_bytes(&f->p, "\xc6\x12\x00\x01", 4);
		pb_u32(&f->p, ifx);
	}
	pb_set_end(&f->p, 4);
	assert_int_equal(feed(f), 3);
	assert_int_equal(errors(f), 0);
	assert_int_equal(st(f, DSTAT_OPTIONS_RECORDS), 2);
	assert_int_equal(f->us.flows[0].in_if, 3);
	assert_int_equal(f->us.flows[0].sampling_rate, 100);
	assert_int_equal(f->us.flows[1].in_if, 5);
	assert_int_equal(f->us.flows[1].sampling_rate, 1000);
	assert_int_equal(f->us.flows[2].in_if, 7);
	assert_int_equal(f->us.flows[2].sampling_rate, 0);

	/* The per-interface rates survive a templates file. */
	{
		struct decode_ctx *c2 = decode_ctx_new(&f->cfg);
		struct pb data;

		assert_non_null(c2);
		snprintf(f->path, sizeof(f->path), "/tmp/xf-nf9-if-%d.bin",
			 (int)getpid());
		assert_int_equal(decode_templates_save(&f->ctx, 1, f->path), 0);
		assert_int_equal(decode_templates_load(c2, f->path), 0);
		v9_hdr(&data, 2, 9);
		pb_set_begin(&data, 262);
		pb_bytes(&data, "\xc6\x12\x00\x01", 4);
		pb_u32(&data, 5);
		pb_set_end(&data, 4);
		f->p = data;
		f->us.n = 0;
		assert_int_equal(nfb_feed(f, c2), 1);
		assert_int_equal(f->us.flows[0].sampling_rate, 1000);
		decode_ctx_free(c2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_template_and_data_one_packet),
		T(test_across_packets_and_other_domain),
		T(test_templates_foreach),
		T(test_uptime_wrap),
		T(test_held_then_replayed),
		T(test_missing_template_costs_only_its_set),
		T(test_options_sampling_per_sampler),
		T(test_options_data_before_its_template),
		T(test_padding_and_several_flowsets),
		T(test_filler_after_last_record),
		T(test_zero_fill_after_last_flowset),
		T(test_bad_templates),
		T(test_bad_field_length_counted_once),
		T(test_truncation_every_offset),
		T(test_layer2_section),
		T(test_counter_rule),
		T(test_asa_biflow),
		T(test_h3c_varlen),
		T(test_held_set_expiry_counted),
		T(test_interface_scoped_sampling),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
