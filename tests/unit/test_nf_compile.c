// SPDX-License-Identifier: Apache-2.0
/* Unit tests for NetFlow v9/IPFIX template compilation
 * (user/decode/nf_compile.c): field handlers and length checks, template
 * shape checks, the steps of fixed-layout and variable-length templates,
 * and learning into an nf_state store (new, identical, changed, unusable,
 * evicting). */
#include "unit.h"

#include <errno.h>

#include "decode/nf_compile.h"
#include "decode/nf_state.h"

#define F(ie_, len_)                                                           \
	{                                                                      \
		.pen = 0, .ie = (ie_), .len = (len_)                           \
	}

static void test_op(void **state)
{
	struct nf_field f;
	uint8_t arg;
	bool bad;

	(void)state;
	f = (struct nf_field)F(1, 4);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_COUNTER);
	assert_int_equal(arg, CTR_DELTA);
	assert_false(bad);
	/* An integer longer than 8 bytes cannot be held. */
	f = (struct nf_field)F(2, 9);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	assert_true(bad);
	/* Addresses need their exact length. */
	f = (struct nf_field)F(8, 4);
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad), OP_SRC4);
	f = (struct nf_field)F(8, 16);
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad), OP_NONE);
	assert_true(bad);
	f = (struct nf_field)F(27, 16);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_SRC6);
	/* Zero-length fields are ignored, and counted as bad. */
	f = (struct nf_field)F(4, 0);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	assert_true(bad);
	/* MPLS labels carry their stack index. */
	f = (struct nf_field)F(72, 3);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad),
			 OP_MPLS_LABEL);
	assert_int_equal(arg, 2);
	/* Enterprise elements (but RFC 5103's reverse counters, below) and v9
	 * scope fields are skipped, not bad. */
	f = (struct nf_field){ .pen = 35632, .ie = 1, .len = 8 };
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	assert_false(bad);
	f = (struct nf_field)F(1, 4);
	assert_int_equal(nf_compile_op(9, true, &f, &arg, &bad), OP_NONE);
	assert_false(bad);
	assert_int_equal(nf_compile_op(10, true, &f, &arg, &bad), OP_COUNTER);
	/* IPFIX-only elements. */
	f = (struct nf_field)F(160, 8);
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad), OP_NONE);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_SYSINIT);
	/* An IPFIX variable-length field is checked when decoded. */
	f = (struct nf_field)F(2, NF_VARLEN);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_COUNTER);
	assert_int_equal(arg, CTR_PKTS | CTR_DELTA);
	assert_false(bad);
	/* Counters: each kind and direction its own slot. */
	f = (struct nf_field)F(23, 4);
	nf_compile_op(9, false, &f, &arg, &bad);
	assert_int_equal(arg, CTR_POST);
	f = (struct nf_field)F(86, 8);
	nf_compile_op(9, false, &f, &arg, &bad);
	assert_int_equal(arg, CTR_PKTS | CTR_TOTAL);
	f = (struct nf_field)F(232, 4); /* ASA responderOctets */
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad), OP_COUNTER);
	assert_int_equal(arg, CTR_REV | CTR_PEER);
	f = (struct nf_field)F(298, 4); /* initiatorPackets */
	nf_compile_op(9, false, &f, &arg, &bad);
	assert_int_equal(arg, CTR_PKTS | CTR_PEER);
	/* RFC 5103 reverse counters; other PEN 29305 elements skipped. */
	f = (struct nf_field){ .pen = NF_PEN_RFC5103, .ie = 85, .len = 8 };
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_COUNTER);
	assert_int_equal(arg, CTR_REV | CTR_TOTAL);
	f.ie = 8;
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	f.ie = 231;
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	f.pen = 9;
	f.ie = 1;
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad), OP_NONE);
	/* Sampled packet sections take any length, in both versions. */
	f = (struct nf_field)F(315, 128);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad),
			 OP_L2_SECTION);
	assert_false(bad);
	f = (struct nf_field)F(104, 200);
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad),
			 OP_L2_SECTION);
	f = (struct nf_field)F(313, NF_VARLEN);
	assert_int_equal(nf_compile_op(10, false, &f, &arg, &bad),
			 OP_IP_SECTION);
	f = (struct nf_field)F(312, 2);
	assert_int_equal(nf_compile_op(9, false, &f, &arg, &bad),
			 OP_FRAME_SIZE);
}

static void test_check(void **state)
{
	const struct nf_field zero[] = { F(1, 0), F(2, 0) };
	const struct nf_field big[] = { F(1, 65000), F(2, 1000) };
	const struct nf_field ok[] = { F(1, 4), F(2, 4) };
	const struct nf_field vl[] = { F(1, NF_VARLEN) };
	const char *why = NULL;

	(void)state;
	assert_int_equal(nf_compile_check(10, 0, ok, 2, &why), 0);
	assert_int_equal(nf_compile_check(10, 0, ok, 0, &why), -EINVAL);
	assert_string_equal(why, "field count out of range");
	assert_int_equal(nf_compile_check(10, 3, ok, 2, &why), -EINVAL);
	assert_int_equal(nf_compile_check(10, 0, ok, NF_MAX_FIELDS + 1, &why),
			 -EINVAL);
	assert_int_equal(nf_compile_check(9, 0, zero, 2, &why), -EINVAL);
	assert_string_equal(why, "record length 0");
	assert_int_equal(nf_compile_check(9, 0, big, 2, &why), -EINVAL);
	assert_string_equal(why, "record longer than any set");
	/* A variable-length field takes at least one byte, in IPFIX and, as
	 * GoFlow2 accepts it, in NetFlow v9 (H3C's VRFname 236). */
	assert_int_equal(nf_compile_check(10, 0, vl, 1, &why), 0);
	assert_int_equal(nf_compile_check(9, 0, vl, 1, &why), 0);
}

static void test_fixed_plan(void **state)
{
	/* src4, unknown element, packets, a source address of the wrong
	 * length, bytes: only the used fields get steps, at their offsets. */
	const struct nf_field f[] = { F(8, 4), F(999, 2), F(2, 4), F(12, 6),
				      F(1, 8) };
	struct nf_plan p;
	uint16_t badie;

	(void)state;
	assert_int_equal(nf_compile(&p, 10, false, 0, f, 5, &badie), 1);
	assert_int_equal(badie, 12);
	assert_false(p.varlen);
	assert_false(p.options);
	assert_int_equal(p.nfields, 5);
	assert_ptr_equal(p.fields, f);
	assert_int_equal(p.min_len, 4 + 2 + 4 + 6 + 8);
	assert_int_equal(p.nsteps, 3);
	assert_int_equal(p.steps[0].op, OP_SRC4);
	assert_int_equal(p.steps[0].off, 0);
	assert_int_equal(p.steps[0].len, 4);
	assert_int_equal(p.steps[1].op, OP_COUNTER);
	assert_int_equal(p.steps[1].arg, CTR_PKTS | CTR_DELTA);
	assert_int_equal(p.steps[1].off, 6);
	assert_int_equal(p.steps[2].op, OP_COUNTER);
	assert_int_equal(p.steps[2].arg, CTR_DELTA);
	assert_int_equal(p.steps[2].off, 16);
	assert_int_equal(p.steps[2].len, 8);
}

static void test_varlen_plan(void **state)
{
	/* One step per field, unused ones with op 0; a variable-length
	 * field counts one byte towards the minimum record length. */
	const struct nf_field f[] = { F(149, 4), F(999, NF_VARLEN), F(1, 8) };
	struct nf_plan p;
	uint16_t badie;

	(void)state;
	assert_int_equal(nf_compile(&p, 10, true, 1, f, 3, &badie), 0);
	assert_true(p.varlen);
	assert_true(p.options);
	assert_int_equal(p.nscope, 1);
	assert_int_equal(p.min_len, 4 + 1 + 8);
	assert_int_equal(p.nsteps, 3);
	assert_int_equal(p.steps[0].op, OP_OBS_DOMAIN);
	assert_int_equal(p.steps[1].op, OP_NONE);
	assert_int_equal(p.steps[1].len, NF_VARLEN);
	assert_int_equal(p.steps[2].op, OP_COUNTER);
}

static struct nf_state *new_store(size_t max_templates)
{
	const struct nf_state_bounds b = { .max_templates = max_templates };

	return nf_state_new(&b);
}

static void key(struct nf_key *k, uint16_t tid)
{
	memset(k, 0, sizeof(*k));
	k->alen = 4;
	memcpy(k->addr, "\xc6\x12\x00\x01", 4);
	k->ver = 10;
	k->tid = tid;
	k->domain = 1;
}

static void test_learn(void **state)
{
	const struct nf_field a[] = { F(8, 4), F(2, 4) };
	const struct nf_field b[] = { F(8, 4), F(2, 4), F(1, 4) };
	const struct nf_field bad[] = { F(1, 0) };
	struct nf_state *nf = new_store(2);
	struct exporter_stats es;
	struct nf_tmpl *t;
	struct nf_key k;

	(void)state;
	assert_non_null(nf);
	memset(&es, 0, sizeof(es));
	key(&k, 256);
	assert_int_equal(nf_compile_learn(nf, &es, &k, false, 0, a, 2), 1);
	assert_true(nf_state_dirty(nf));
	/* A refresh with the same fields changes nothing. */
	assert_int_equal(nf_compile_learn(nf, &es, &k, false, 0, a, 2), 0);
	assert_false(nf_state_dirty(nf));
	/* Different fields replace it. */
	assert_int_equal(nf_compile_learn(nf, &es, &k, false, 0, b, 3), 1);
	t = nf_state_tmpl_find(nf, &k);
	assert_non_null(t);
	assert_int_equal(t->nfields, 3);
	assert_int_equal(t->nsteps, 3);
	assert_int_equal(t->min_len, 12);
	assert_int_equal(t->steps[2].op, OP_COUNTER);
	assert_int_equal(t->steps[2].off, 8);
	/* Unusable templates are counted and leave the store alone. */
	assert_int_equal(nf_compile_learn(nf, &es, &k, false, 0, bad, 1),
			 -EINVAL);
	assert_int_equal(es.c[DSTAT_ERR_TEMPLATE], 1);
	assert_non_null(nf_state_tmpl_find(nf, &k));
	/* A third template evicts the least recently used of two. */
	key(&k, 257);
	assert_int_equal(nf_compile_learn(nf, &es, &k, false, 0, a, 2), 1);
	assert_int_equal(es.c[DSTAT_TEMPLATES_EVICTED], 0);
	key(&k, 258);
	assert_int_equal(nf_compile_learn(nf, &es, &k, true, 1, a, 2), 1);
	assert_int_equal(es.c[DSTAT_TEMPLATES_EVICTED], 1);
	key(&k, 256);
	assert_null(nf_state_tmpl_find(nf, &k));
	key(&k, 258);
	t = nf_state_tmpl_find(nf, &k);
	assert_non_null(t);
	assert_true(t->options);
	nf_state_free(nf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_op),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_fixed_plan),
		cmocka_unit_test(test_varlen_plan),
		cmocka_unit_test(test_learn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
