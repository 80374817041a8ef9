// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the inserter's FlowMessage reader (user/insert/pbdec.c):
 * bare vs length-delimited framing, strict vs lenient validation, malformed
 * and truncated input at every length, arena bounds, callback cancellation,
 * the enrichment fields. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "insert/pbdec.h"

static const uint8_t V4[4] = { 198, 18, 0, 1 };
static const uint8_t V6[16] = { 0x20, 0x01, 0x00, 0x02, [15] = 9 };

/* Packs a FlowMessage with sequence number seq; returns its length. */
static size_t pack_flow(uint8_t *out, uint32_t seq, size_t n_as_path)
{
	static uint32_t path[4096];
	Flowpb__FlowMessage m = FLOWPB__FLOW_MESSAGE__INIT;

	for (size_t i = 0; i < n_as_path && i < 4096; i++)
		path[i] = 65000 + (uint32_t)i;
	m.type = FLOWPB__FLOW_MESSAGE__FLOW_TYPE__NETFLOW_V9;
	m.sequence_num = seq;
	m.time_received_ns = 1700000000000000000ULL;
	m.bytes = 1500;
	m.packets = 3;
	m.src_addr.data = (uint8_t *)V4;
	m.src_addr.len = 4;
	m.dst_addr.data = (uint8_t *)V6;
	m.dst_addr.len = 16;
	m.as_path = path;
	m.n_as_path = n_as_path;
	return flowpb__flow_message__pack(&m, out);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Appends a length-delimited flow at p; returns the bytes written. */
static size_t put_delimited(uint8_t *p, uint32_t seq)
{
	uint8_t tmp[512];
	size_t len = pack_flow(tmp, seq, 2), n = put_varint(p, len);

	memcpy(p + n, tmp, len);
	return n + len;
}

struct seen {
	uint32_t seqs[256];
	size_t n;
	int stop_after;
};

static int collect(void *ctx, const Flowpb__FlowMessage *m)
{
	struct seen *s = ctx;

	if (s->n < 256)
		s->seqs[s->n] = m->sequence_num;
	s->n++;
	if (s->stop_after && (int)s->n >= s->stop_after)
		return 1;
	return 0;
}

static int setup(void **state)
{
	struct pbdec *d = calloc(1, sizeof(*d));

	if (!d || pbdec_init(d, 0))
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	pbdec_fini(*state);
	pbdec_fini(*state); /* idempotent */
	free(*state);
	return 0;
}

static void test_bare(void **state)
{
	struct pbdec *d = *state;
	uint8_t buf[512];
	size_t len = pack_flow(buf, 77, 2), n;
	enum pbdec_framing fr;
	const char *why = NULL;
	struct seen s = { 0 };

	assert_int_equal(pbdec_classify(d, buf, len, &fr, &n, &why), 0);
	assert_int_equal(fr, PBDEC_SINGLE);
	assert_int_equal(n, 1);
	assert_int_equal(pbdec_decode(d, buf, len, collect, &s, &why), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seqs[0], 77);
}

static void test_delimited(void **state)
{
	struct pbdec *d = *state;
	uint8_t buf[64 * 600];
	size_t len = 0, n;
	enum pbdec_framing fr;
	const char *why = NULL;
	struct seen s = { 0 };

	/* One flow, length-delimited (collector with --kafka-batch 1, GoFlow2). */
	len = put_delimited(buf, 5);
	assert_int_equal(pbdec_classify(d, buf, len, &fr, &n, &why), 0);
	assert_int_equal(fr, PBDEC_DELIMITED);
	assert_int_equal(n, 1);
	assert_int_equal(pbdec_decode(d, buf, len, collect, &s, &why), 1);
	assert_int_equal(s.seqs[0], 5);

	/* 64 flows. */
	len = 0;
	for (uint32_t i = 0; i < 64; i++)
		len += put_delimited(buf + len, 1000 + i);
	memset(&s, 0, sizeof(s));
	assert_int_equal(pbdec_decode(d, buf, len, collect, &s, &why), 64);
	assert_int_equal(s.n, 64);
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(s.seqs[i], 1000 + i);
}

static void test_bad_input(void **state)
{
	struct pbdec *d = *state;
	static const uint8_t garbage[] = { 0xff, 0xfe, 0xfd, 0x00, 0x01 };
	static const uint8_t long_varint[] = { 0x08, 0x80, 0x80, 0x80,
					       0x80, 0x80, 0x80, 0x80,
					       0x80, 0x80, 0x80, 0x01 };
	static const uint8_t past_end[] = { 0x32, 0x05, 0x01, 0x02 };
	static const uint8_t group[] = { 0x0b, 0x01 };
	static const uint8_t field0[] = { 0x00, 0x01 };
	static const uint8_t bad_addr[] = { 0x32, 0x03, 1, 2,
					    3 }; /* src_addr of 3 bytes */
	static const uint8_t wrong_type[] = {
		0x20 | 2, 0x01, 0x00
	}; /* sequence_num as bytes */
	const uint8_t *cases[] = { garbage, long_varint, past_end,  group,
				   field0,  bad_addr,	 wrong_type };
	size_t lens[] = { sizeof(garbage),   sizeof(long_varint),
			  sizeof(past_end),  sizeof(group),
			  sizeof(field0),    sizeof(bad_addr),
			  sizeof(wrong_type) };
	const char *why = NULL;
	struct seen s = { 0 };

	assert_int_equal(pbdec_decode(d, NULL, 0, collect, &s, &why), -EBADMSG);
	assert_non_null(why);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		assert_int_equal(pbdec_decode(d, cases[i], lens[i], collect, &s,
					      &why),
				 -EBADMSG);
		assert_non_null(why);
	}
	assert_int_equal(s.n, 0);
}

/* Every truncation of a 3-flow batch is refused or read as whole flows,
 * never past the end (ASan watches the exact-size copy). */
static void test_truncations(void **state)
{
	struct pbdec *d = *state;
	uint8_t buf[2048];
	size_t len = 0;

	for (uint32_t i = 0; i < 3; i++)
		len += put_delimited(buf + len, i + 1);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		const char *why = NULL;
		struct seen s = { 0 };
		int rc;

		assert_non_null(copy);
		memcpy(copy, buf, cut);
		rc = pbdec_decode(d, copy, cut, collect, &s, &why);
		if (rc < 0) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_equal(s.n, 0);
		} else {
			assert_int_equal((size_t)rc, s.n);
		}
		free(copy);
	}
}

static void test_unknown_field_lenient(void **state)
{
	struct pbdec *d = *state;
	uint8_t buf[600];
	size_t len = pack_flow(buf, 9, 0), n;
	enum pbdec_framing fr;
	const char *why = NULL;
	struct seen s = { 0 };

	/* Field 2000 (varint) and a fixed32 field 2001: a newer producer. */
	len += put_varint(buf + len, 2000u << 3);
	len += put_varint(buf + len, 42);
	len += put_varint(buf + len, 2001u << 3 | 5);
	memcpy(buf + len, "\1\2\3\4", 4);
	len += 4;
	assert_int_equal(pbdec_classify(d, buf, len, &fr, &n, &why), 0);
	assert_int_equal(fr, PBDEC_SINGLE);
	assert_int_equal(pbdec_decode(d, buf, len, collect, &s, &why), 1);
	assert_int_equal(s.seqs[0], 9);
}

static void test_too_large_for_arena(void **state)
{
	struct pbdec small;
	uint8_t *buf = malloc(64 * 1024);
	size_t len, n;
	enum pbdec_framing fr;
	const char *why = NULL;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(pbdec_init(&small, 4096), 0);
	len = pack_flow(buf, 1, 4000); /* 4000 AS path entries */
	assert_int_equal(pbdec_classify(&small, buf, len, &fr, &n, &why),
			 -EBADMSG);
	/* The default arena takes it. */
	assert_int_equal(pbdec_classify(*state, buf, len, &fr, &n, &why), 0);
	pbdec_fini(&small);
	free(buf);
}

static void test_cancel(void **state)
{
	struct pbdec *d = *state;
	uint8_t buf[4096];
	size_t len = 0;
	const char *why = NULL;
	struct seen s = { .stop_after = 2 };

	for (uint32_t i = 0; i < 5; i++)
		len += put_delimited(buf + len, i);
	assert_int_equal(pbdec_decode(d, buf, len, collect, &s, &why),
			 -ECANCELED);
	assert_int_equal(s.n, 2);
	assert_non_null(why);
}

struct enriched {
	char country[8], tenant[64], if_name[32], exporter[32];
	uint64_t speed;
	size_t n;
};

static int collect_enriched(void *ctx, const Flowpb__FlowMessage *m)
{
	struct enriched *e = ctx;

	snprintf(e->country, sizeof(e->country), "%s", m->src_country);
	snprintf(e->tenant, sizeof(e->tenant), "%s", m->dst_net_tenant);
	snprintf(e->if_name, sizeof(e->if_name), "%s", m->in_if_name);
	snprintf(e->exporter, sizeof(e->exporter), "%s", m->exporter_name);
	e->speed = m->out_if_speed;
	e->n++;
	return 0;
}

/* A flow whose one string field number num holds p[0..n). */
static size_t flow_with_string(uint8_t *buf, uint32_t num, const void *p,
			       size_t n)
{
	size_t len = pack_flow(buf, 3, 0);

	len += put_varint(buf + len, (uint64_t)num << 3 | 2);
	len += put_varint(buf + len, n);
	memcpy(buf + len, p, n);
	return len + n;
}

static void test_enrichment_fields(void **state)
{
	struct pbdec *d = *state;
	Flowpb__FlowMessage m = FLOWPB__FLOW_MESSAGE__INIT;
	uint8_t buf[1024];
	size_t len, n;
	enum pbdec_framing fr;
	const char *why = NULL;
	struct enriched e = { 0 };
	m.type = FLOWPB__FLOW_MESSAGE__FLOW_TYPE__IPFIX;
	m.sequence_num = 1;
	m.src_country = "FR";
	m.dst_net_tenant = "Caf\xc3\xa9 \xf0\x9f\x98\x80"; /* é, U+1F600 */
	m.in_if_name = "et-0/0/1";
	m.out_if_speed = 400000000000ULL;
	m.exporter_name = "edge1";
	len = flowpb__flow_message__pack(&m, buf);
	/* Known fields: the strict reading accepts them. */
	assert_int_equal(pbdec_classify(d, buf, len, &fr, &n, &why), 0);
	assert_int_equal(fr, PBDEC_SINGLE);
	assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e, &why),
			 1);
	assert_string_equal(e.country, "FR");
	assert_string_equal(e.tenant, m.dst_net_tenant);
	assert_string_equal(e.if_name, "et-0/0/1");
	assert_string_equal(e.exporter, "edge1");
	assert_true(e.speed == 400000000000ULL);

	/* Every string field number is known; an empty one is fine. */
	for (uint32_t num = 1010; num <= 1045; num++) {
		int str = (num <= 1023) || (num >= 1030 && num <= 1033) ||
			  num >= 1040;

		if (!str)
			continue;
		len = flow_with_string(buf, num, "x\xc3\xa9", 3);
		assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e,
					      &why),
				 1);
		len = flow_with_string(buf, num, "", 0);
		assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e,
					      &why),
				 1);
	}
	/* Bytes that are not UTF-8 pass: the COPY writer replaces them
	 * (a bad ifAlias must not cost the flows of its Kafka message). */
	len = flow_with_string(buf, 1040, "a\xff\xc0\xaf", 4);
	assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e, &why),
			 1);
	assert_string_equal(e.exporter, "a\xff\xc0\xaf");
	/* A string field sent as a varint, a speed sent as bytes. */
	len = pack_flow(buf, 3, 0);
	len += put_varint(buf + len, 1010u << 3);
	len += put_varint(buf + len, 7);
	assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e, &why),
			 -EBADMSG);
	len = flow_with_string(buf, 1034, "ab", 2);
	assert_int_equal(pbdec_decode(d, buf, len, collect_enriched, &e, &why),
			 -EBADMSG);
	/* An unknown string field (a newer producer) is not checked: lenient. */
	len = flow_with_string(buf, 1099, "\xff", 1);
	assert_int_equal(pbdec_classify(d, buf, len, &fr, &n, &why), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delimited, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_field_lenient,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_for_arena, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrichment_fields, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
