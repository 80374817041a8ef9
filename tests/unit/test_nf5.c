// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the NetFlow v5 decoder (user/decode/nf5.c): field mapping,
 * uptime wrap-around, sampling interval, count/length checks, truncation,
 * bytes past count x 48 counted as padding. */
#include "unit.h"

#include <stdlib.h>

#include "common/bytes.h"
#include "decode/decode.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Builds a v5 packet with n records; returns its length. */
static size_t build_v5(uint8_t *b, unsigned n, uint32_t uptime, uint32_t first,
		       uint32_t last)
{
	memset(b, 0, 24 + 48 * n);
	put16(b, 5);
	put16(b + 2, (uint16_t)n);
	put32(b + 4, uptime);
	put32(b + 8, 1700000000);
	put32(b + 12, 500);
	put32(b + 16, 4242);
	b[20] = 1;
	b[21] = 2;
	put16(b + 22, (uint16_t)(0x4000 | 100)); /* mode 1, interval 100 */
	for (unsigned i = 0; i < n; i++) {
		uint8_t *r = b + 24 + 48 * i;

		put32(r, 0xc6120001 + i); /* 198.18.0.1 */
		put32(r + 4, 0xc6130002); /* 198.19.0.2 */
		put32(r + 8, 0xc6120003);
		put16(r + 12, 7);
		put16(r + 14, 8);
		put32(r + 16, 10);
		put32(r + 20, 1500);
		put32(r + 24, first);
		put32(r + 28, last);
		put16(r + 32, 1234);
		put16(r + 34, 443);
		r[37] = 0x1b;
		r[38] = 6;
		r[39] = 0x20;
		put16(r + 40, 64500);
		put16(r + 42, 64501);
		r[44] = 24;
		r[45] = 16;
	}
	return 24 + 48 * n;
}

struct fixture {
	struct decode_ctx *ctx;
	struct unit_sink us;
	struct datagram dg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct decode_config cfg;

	decode_config_defaults(&cfg);
	cfg.max_templates = 64;
	cfg.max_exporters = 16;
	f->ctx = decode_ctx_new(&cfg);
	assert_non_null(f->ctx);
	unit_sink_init(&f->us);
	f->dg.exporter.len = 4;
	memcpy(f->dg.exporter.b, (uint8_t[]){ 198, 18, 1, 1 }, 4);
	f->dg.exporter_port = 40000;
	f->dg.time_received_ns = 1700000001000000000ULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	decode_ctx_free(f->ctx);
	free(f);
	return 0;
}

static uint64_t stat_of(struct fixture *f, enum dstat s)
{
	struct exporter_stats *es =
		dstats_get((struct dstats_table *)decode_stats(f->ctx),
			   &f->dg.exporter);
	return es->c[s];
}

static void test_fields(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48 * 2];
	const struct flow_rec *r;
	uint64_t base = 1700000000ULL * 1000000000ULL + 500;

	f->dg.data = b;
	f->dg.len = build_v5(b, 2, 100000, 90000, 99000);
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 2);
	assert_int_equal(f->us.n, 2);
	r = &f->us.flows[1];
	assert_int_equal(r->type, FLOW_TYPE_NETFLOW_V5);
	assert_int_equal(r->time_received_ns, f->dg.time_received_ns);
	assert_int_equal(r->sequence_num, 4242);
	assert_int_equal(r->sampling_rate, 100);
	assert_int_equal(r->sampler_address.len, 4);
	assert_memory_equal(r->sampler_address.b, f->dg.exporter.b, 4);
	assert_int_equal(r->sampler_port, 40000);
	assert_int_equal(r->src_addr.len, 4);
	assert_memory_equal(r->src_addr.b, ((uint8_t[]){ 198, 18, 0, 2 }), 4);
	assert_memory_equal(r->dst_addr.b, ((uint8_t[]){ 198, 19, 0, 2 }), 4);
	assert_memory_equal(r->next_hop.b, ((uint8_t[]){ 198, 18, 0, 3 }), 4);
	assert_int_equal(r->next_hop.len, 4);
	assert_int_equal(r->in_if, 7);
	assert_int_equal(r->out_if, 8);
	assert_int_equal(r->packets, 10);
	assert_int_equal(r->bytes, 1500);
	assert_int_equal(r->src_port, 1234);
	assert_int_equal(r->dst_port, 443);
	assert_int_equal(r->tcp_flags, 0x1b);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->ip_tos, 0x20);
	assert_int_equal(r->src_as, 64500);
	assert_int_equal(r->dst_as, 64501);
	assert_int_equal(r->src_net, 24);
	assert_int_equal(r->dst_net, 16);
	assert_int_equal(r->etype, 0x800);
	assert_int_equal(r->time_flow_start_ns, base - 10000ULL * 1000000);
	assert_int_equal(r->time_flow_end_ns, base - 1000ULL * 1000000);
	assert_int_equal(stat_of(f, DSTAT_NF5_PACKETS), 1);
	assert_int_equal(stat_of(f, DSTAT_FLOWS), 2);
}

/* SysUptime wrapped past 2^32 after the flow started. */
static void test_uptime_wrap(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48];
	uint64_t base = 1700000000ULL * 1000000000ULL + 500;

	f->dg.data = b;
	f->dg.len = build_v5(b, 1, 5000, 0xfffff000u, 1000);
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 1);
	/* first = uptime - (5000 + 4096) ms, last = uptime - 4000 ms */
	assert_int_equal(f->us.flows[0].time_flow_start_ns,
			 base - 9096ULL * 1000000);
	assert_int_equal(f->us.flows[0].time_flow_end_ns,
			 base - 4000ULL * 1000000);
}

/* A stamp slightly after SysUptime (clock skew) lands after the export. */
static void test_stamp_after_uptime(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48];
	uint64_t base = 1700000000ULL * 1000000000ULL + 500;

	f->dg.data = b;
	f->dg.len = build_v5(b, 1, 5000, 4000, 5010);
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 1);
	assert_int_equal(f->us.flows[0].time_flow_end_ns,
			 base + 10ULL * 1000000);
}

static void test_count_mismatch(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48 * 3];
	size_t len = build_v5(b, 3, 1, 1, 1);

	/* count says 3, only 2 records present: 2 flows, counted. */
	f->dg.data = b;
	f->dg.len = len - 48;
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 2);
	assert_int_equal(stat_of(f, DSTAT_ERR_TRUNCATED), 1);
	/* count 0 is rejected */
	put16(b + 2, 0);
	f->dg.len = len;
	assert_true(decode_datagram(f->ctx, &f->dg, &f->us.sink) < 0);
	assert_int_equal(stat_of(f, DSTAT_ERR_LENGTH), 1);
}

/* A datagram longer than its count x 48 (a third record's room, zeros or
 * not): the count's records, the rest counted as padding, no error. */
static void test_longer_than_count(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48 * 3];
	size_t len = build_v5(b, 3, 1, 1, 1);
	uint64_t errs = 0;

	put16(b + 2, 2);
	f->dg.data = b;
	f->dg.len = len;
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 2);
	assert_int_equal(stat_of(f, DSTAT_PADDING_BYTES), 48);
	f->dg.len = len - 40;
	assert_int_equal(decode_datagram(f->ctx, &f->dg, &f->us.sink), 2);
	assert_int_equal(stat_of(f, DSTAT_PADDING_BYTES), 48 + 8);
	for (int s = DSTAT_ERR_FIRST; s < DSTAT__COUNT; s++)
		errs += stat_of(f, (enum dstat)s);
	assert_int_equal(errs, 0);
}

static void test_truncation_every_offset(void **state)
{
	struct fixture *f = *state;
	uint8_t b[24 + 48 * 2];
	size_t len = build_v5(b, 2, 100, 50, 60);

	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		int rc;

		memcpy(copy, b, cut);
		f->dg.data = copy;
		f->dg.len = cut;
		f->us.n = 0;
		rc = decode_datagram(f->ctx, &f->dg, &f->us.sink);
		assert_true(rc == (int)((cut >= 24 ? cut - 24 : 0) / 48) ||
			    (rc < 0 && cut < 72));
		free(copy);
	}
	assert_int_equal(stat_of(f, DSTAT_PACKETS), len);
	/* every cut was short of the whole packet: each counted as an error */
	assert_int_equal(stat_of(f, DSTAT_ERR_TRUNCATED), len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uptime_wrap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stamp_after_uptime, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_count_mismatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_longer_than_count, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncation_every_offset,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
