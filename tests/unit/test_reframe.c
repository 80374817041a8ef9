// SPDX-License-Identifier: Apache-2.0
/*
 * relay/reframe: one Kafka message of FlowMessages through decode ->
 * prepare -> encode. With the plain encoder as the transform, a batch and
 * a bare flow come out as they went in, byte for byte; prepare sees the
 * records in chunks in order; a long delimited output is cut at frame
 * boundaries; an encoder failure stops the message. The framing decision
 * agrees with the inserter's (insert/pbdec.h pbdec_classify) on random
 * messages built to be ambiguous: bare flows, batches, and byte strings
 * made of valid, unknown and malformed fields.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "encode/encode.h"
#include "insert/pbdec.h"
#include "relay/reframe.h"

struct ctx {
	size_t prepared, chunks;
	uint32_t next_seq; /* records must reach prepare in order */
	bool in_order;
	int fail_at; /* encode fails on this flow (-1: never) */
	size_t encoded;
};

static void prepare(void *vc, const struct flow_rec *recs, size_t n)
{
	struct ctx *c = vc;

	assert_true(n >= 1 && n <= REFRAME_CHUNK);
	for (size_t i = 0; i < n; i++)
		if (recs[i].sequence_num != c->next_seq++)
			c->in_order = false;
	c->prepared += n;
	c->chunks++;
}

static ssize_t encode(void *vc, const struct flow_rec *rec, size_t i,
		      uint8_t *buf, size_t cap)
{
	struct ctx *c = vc;

	(void)i;
	assert_true(cap >= REFRAME_ROOM);
	if (c->fail_at >= 0 && c->encoded == (size_t)c->fail_at)
		return -ENOSPC;
	c->encoded++;
	return encode_pb(rec, buf, cap);
}

static void mk(struct flow_rec *r, uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->type = FLOW_TYPE_IPFIX;
	r->sequence_num = seq;
	r->bytes = 1000 + seq;
	r->packets = 3;
	r->src_addr = unit_addr("198.18.0.1");
	r->dst_addr = unit_addr("2001:2::1");
	r->src_port = 1024 + seq;
	r->n_as_path = 2;
	r->as_path[0] = 65000;
	r->as_path[1] = seq;
}

/* n flows, delimited, into buf; returns the length. */
static size_t batch(uint8_t *buf, size_t cap, unsigned n)
{
	struct flow_rec r;
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		ssize_t w;

		mk(&r, i);
		w = encode_pb(&r, buf + len, cap - len);
		assert_true(w > 0);
		len += (size_t)w;
	}
	return len;
}

static struct reframe *rf_new(size_t max_msg)
{
	struct reframe *r = malloc(sizeof(*r));

	assert_non_null(r);
	assert_int_equal(reframe_init(r, max_msg), 0);
	return r;
}

static void rf_free(struct reframe *r)
{
	reframe_fini(r);
	free(r);
}

static void test_batch_identity(void **state)
{
	static uint8_t in[1 << 20];
	struct reframe *r = rf_new(0);
	struct ctx c = { .in_order = true, .fail_at = -1 };
	struct reframe_ops ops = { prepare, encode, &c };
	struct reframe_info info;
	size_t len = batch(in, sizeof(in), 1000);

	(void)state;
	assert_int_equal(reframe_message(r, in, len, &ops, &info), 0);
	assert_int_equal(info.framing, REFRAME_DELIMITED);
	assert_int_equal(info.flows, 1000);
	assert_int_equal(info.reshaped, 0);
	assert_int_equal(r->start, 0);
	assert_int_equal(r->n_cuts, 1);
	assert_int_equal(r->cuts[0], len);
	assert_memory_equal(r->buf, in, len);
	assert_true(c.in_order);
	assert_int_equal(c.prepared, 1000);
	assert_int_equal(c.chunks, (1000 + REFRAME_CHUNK - 1) / REFRAME_CHUNK);
	rf_free(r);
}

static void test_single_identity(void **state)
{
	uint8_t in[ENCODE_MAX_LEN];
	struct reframe *r = rf_new(0);
	struct ctx c = { .in_order = true, .fail_at = -1 };
	struct reframe_ops ops = { prepare, encode, &c };
	struct reframe_info info;
	size_t len = batch(in, sizeof(in), 1);

	(void)state;
	/* the bare flow is the frame without its prefix (1 byte here) */
	assert_int_equal(reframe_message(r, in + 1, len - 1, &ops, &info), 0);
	assert_int_equal(info.framing, REFRAME_SINGLE);
	assert_int_equal(info.flows, 1);
	assert_int_equal(r->start, 1);
	assert_int_equal(r->n_cuts, 1);
	assert_int_equal(r->cuts[0] - r->start, len - 1);
	assert_memory_equal(r->buf + r->start, in + 1, len - 1);
	rf_free(r);
}

static void test_cut_at_frames(void **state)
{
	static uint8_t in[1 << 16];
	struct reframe *r = rf_new(1000);
	struct ctx c = { .in_order = true, .fail_at = -1 };
	struct reframe_ops ops = { prepare, encode, &c };
	struct reframe_info info;
	size_t len = batch(in, sizeof(in), 200), start = 0, flows = 0;

	(void)state;
	assert_int_equal(reframe_message(r, in, len, &ops, &info), 0);
	assert_true(r->n_cuts > 1);
	assert_int_equal(r->cuts[r->n_cuts - 1], len);
	assert_memory_equal(r->buf, in, len);
	for (size_t i = 0; i < r->n_cuts; i++) {
		struct reframe *again = rf_new(0);
		struct ctx c2 = { .in_order = true, .fail_at = -1 };
		struct reframe_ops o2 = { prepare, encode, &c2 };
		struct reframe_info i2;

		/* each piece fits and is a batch of its own */
		assert_true(r->cuts[i] - start <= 1000);
		c2.next_seq = (uint32_t)flows;
		assert_int_equal(reframe_message(again, r->buf + start,
						 r->cuts[i] - start, &o2, &i2),
				 0);
		assert_int_equal(i2.framing, REFRAME_DELIMITED);
		assert_true(c2.in_order);
		flows += i2.flows;
		start = r->cuts[i];
		rf_free(again);
	}
	assert_int_equal(flows, 200);
	rf_free(r);
}

static void test_failures(void **state)
{
	static uint8_t in[1 << 16];
	struct reframe *r = rf_new(0);
	struct ctx c = { .in_order = true, .fail_at = 70 };
	struct reframe_ops ops = { prepare, encode, &c };
	struct reframe_info info;
	size_t len = batch(in, sizeof(in), 100);

	(void)state;
	assert_int_equal(reframe_message(r, in, len, &ops, &info), -ENOSPC);
	c.fail_at = -1;
	assert_int_equal(reframe_message(r, in, 0, &ops, &info), -EBADMSG);
	assert_non_null(info.why);
	assert_int_equal(reframe_message(r, (const uint8_t *)"\xff\xff\xff", 3,
					 &ops, &info),
			 -EBADMSG);
	/* a batch whose last frame is torn is no batch, nor a flow */
	assert_int_equal(reframe_message(r, in, len - 1, &ops, &info),
			 -EBADMSG);
	rf_free(r);
}

static void test_empty_flows_left_out(void **state)
{
	uint8_t in[ENCODE_MAX_LEN * 2];
	struct reframe *r = rf_new(0);
	struct ctx c = { .in_order = true, .fail_at = -1 };
	struct reframe_ops ops = { prepare, encode, &c };
	struct reframe_info info;
	size_t len = batch(in, sizeof(in), 1);

	(void)state;
	/* a batch: one flow, then one holding only an unknown field */
	memcpy(in + len, "\x02\x28\x08", 3);
	assert_int_equal(reframe_message(r, in, len + 3, &ops, &info), 0);
	assert_int_equal(info.framing, REFRAME_DELIMITED);
	assert_int_equal(info.flows, 2);
	assert_int_equal(info.empty, 1);
	assert_int_equal(r->n_cuts, 1);
	assert_int_equal(r->cuts[0], len);
	assert_memory_equal(r->buf, in, len);
	/* a bare flow of unknown fields: no message at all */
	assert_int_equal(reframe_message(r, (const uint8_t *)"\x28\x08", 2,
					 &ops, &info),
			 0);
	assert_int_equal(info.framing, REFRAME_SINGLE);
	assert_int_equal(info.empty, 1);
	assert_int_equal(r->n_cuts, 0);
	rf_free(r);
}

/* Appends one random field: known or unknown, right or wrong wire type,
 * sometimes malformed. Returns the new length. */
static size_t rnd_field(uint64_t *s, uint8_t *p, size_t len, size_t cap)
{
	static const uint8_t nums[] = { 1,  2,	3,   4,	  5,   6,  7,
					8,  9,	10,  11,  14,  20, 39,
					80, 82, 101, 103, 105, 127 };
	uint8_t num = nums[unit_rnd(s) % sizeof(nums)];
	unsigned wt = (unsigned)(unit_rnd(s) % 8 < 5 ? (unit_rnd(s) % 2) * 2
						     : unit_rnd(s) % 6);
	size_t n;

	if (len + 24 > cap)
		return len;
	p[len++] = (uint8_t)(num << 3 | wt);
	switch (wt) {
	case 0:
		p[len++] = (uint8_t)(unit_rnd(s) % 8);
		break;
	case 2:
		n = (size_t[]){ 0, 1, 4, 16, 3 }[unit_rnd(s) % 5];
		p[len++] = (uint8_t)n;
		for (size_t i = 0; i < n; i++)
			p[len++] = (uint8_t)(unit_rnd(s) % 8);
		break;
	case 1:
	case 5:
		for (unsigned i = 0; i < (wt == 1 ? 8u : 4u); i++)
			p[len++] = (uint8_t)unit_rnd(s);
		break;
	default:
		break;
	}
	return len;
}

/* A random message: a bare run of fields, or frames of such runs. */
static size_t rnd_msg(uint64_t *s, uint8_t *p, size_t cap)
{
	size_t len = 0;

	if (unit_rnd(s) % 2) {
		unsigned k = 1 + (unsigned)(unit_rnd(s) % 4);

		for (unsigned i = 0; i < k; i++)
			len = rnd_field(s, p, len, cap);
		return len;
	}
	for (unsigned f = 0, nf = 1 + (unsigned)(unit_rnd(s) % 3); f < nf;
	     f++) {
		uint8_t body[128];
		size_t bl = 0;

		for (unsigned i = 0, k = (unsigned)(unit_rnd(s) % 4); i < k;
		     i++)
			bl = rnd_field(s, body, bl, sizeof(body));
		if (len + bl + 1 > cap)
			break;
		p[len++] = (uint8_t)bl;
		memcpy(p + len, body, bl);
		len += bl;
	}
	return len;
}

static void nop_prepare(void *vc, const struct flow_rec *recs, size_t n)
{
	(void)vc;
	(void)recs;
	(void)n;
}

static ssize_t plain_encode(void *vc, const struct flow_rec *rec, size_t i,
			    uint8_t *buf, size_t cap)
{
	(void)vc;
	(void)i;
	return encode_pb(rec, buf, cap);
}

static void test_framing_as_the_inserter(void **state)
{
	struct reframe *r = rf_new(0);
	struct reframe_ops ops = { nop_prepare, plain_encode, NULL };
	unsigned n_ok = 0, n_single = 0, n_delim = 0;
	uint64_t s = 12345;
	struct pbdec d;

	(void)state;
	assert_int_equal(pbdec_init(&d, 0), 0);
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t m[512];
		size_t len = rnd_msg(&s, m, sizeof(m)), n;
		struct reframe_info info;
		enum pbdec_framing fr;
		const char *why;
		int a, b;

		a = pbdec_classify(&d, m, len, &fr, &n, &why);
		b = reframe_message(r, m, len, &ops, &info);
		if (a != b || (a == 0 && ((int)fr != (int)info.framing ||
					  n != info.flows)))
			fail_msg(
				"message %u (%zu bytes): pbdec %d/%d/%zu, "
				"reframe %d/%d/%zu",
				i, len, a, a ? 0 : (int)fr, a ? 0 : n, b,
				(int)info.framing, info.flows);
		if (!a) {
			n_ok++;
			n_single += fr == PBDEC_SINGLE;
			n_delim += fr == PBDEC_DELIMITED;
		}
	}
	/* the generator reaches every outcome */
	assert_true(n_single > 1000 && n_delim > 1000 && n_ok < 190000);
	pbdec_fini(&d);
	rf_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_identity),
		cmocka_unit_test(test_single_identity),
		cmocka_unit_test(test_cut_at_frames),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_empty_flows_left_out),
		cmocka_unit_test(test_framing_as_the_inserter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
