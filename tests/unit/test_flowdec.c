// SPDX-License-Identifier: Apache-2.0
/*
 * relay/flowdec: FlowMessage bytes to struct flow_rec. Random records of
 * every shape encode_pb can write (addresses absent, IPv4 or IPv6, arrays
 * empty to full, scalars at varint boundaries, enrichment fields or not)
 * decode to exactly the record they came from, strict and not reshaped,
 * and encode back to the same bytes with the fast and the protobuf-c
 * encoders; every truncation of a message is either refused or decoded
 * without reading past it; and each rule on hostile input (wire types,
 * address lengths, unknown fields and flow types, what the record cannot
 * hold) has its case.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "encode/encode.h"
#include "encode/encode_pbc.h"
#include "relay/flowdec.h"

#define N_RANDOM 50000

/* Zero, one, the maximum, around a varint boundary, or random. */
static uint64_t rnd_val(uint64_t *s, unsigned width)
{
	uint64_t max = width == 64 ? ~0ULL : (1ULL << width) - 1;
	unsigned k;

	switch (unit_rnd(s) % 6) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return max;
	case 3:
		k = 7 * (unsigned)(1 + unit_rnd(s) % 9);
		return k >= width ? max : (1ULL << k) - (unit_rnd(s) & 1);
	default:
		return unit_rnd(s) & max;
	}
}

/* A valid address (0, 4 or 16 bytes), bytes past len zero as decoding
 * leaves them. */
static void rnd_addr(uint64_t *s, struct flow_addr *a)
{
	static const uint8_t lens[] = { 0, 4, 16 };

	memset(a, 0, sizeof(*a));
	a->len = lens[unit_rnd(s) % 3];
	for (unsigned i = 0; i < a->len; i++)
		a->b[i] = (uint8_t)unit_rnd(s);
}

/* A record as decoding would leave it: zeroed, then every member set,
 * counts within the arrays and entries past them zero. */
static void rnd_rec(uint64_t *s, struct flow_rec *r, bool sparse)
{
	memset(r, 0, sizeof(*r));
#define V32 (sparse && unit_rnd(s) % 4 ? 0 : (uint32_t)rnd_val(s, 32))
#define V64 (sparse && unit_rnd(s) % 4 ? 0 : rnd_val(s, 64))
	r->type = unit_rnd(s) % 4 ? (uint32_t)(unit_rnd(s) % 5) : V32;
	r->time_received_ns = V64;
	r->sequence_num = V32;
	r->sampling_rate = V64;
	rnd_addr(s, &r->sampler_address);
	r->time_flow_start_ns = V64;
	r->time_flow_end_ns = V64;
	r->bytes = V64;
	r->packets = V64;
	rnd_addr(s, &r->src_addr);
	rnd_addr(s, &r->dst_addr);
	r->etype = V32;
	r->proto = V32;
	r->src_port = V32;
	r->dst_port = V32;
	r->in_if = V32;
	r->out_if = V32;
	r->src_mac = V64;
	r->dst_mac = V64;
	r->src_vlan = V32;
	r->dst_vlan = V32;
	r->vlan_id = V32;
	r->ip_tos = V32;
	r->forwarding_status = V32;
	r->ip_ttl = V32;
	r->ip_flags = V32;
	r->tcp_flags = V32;
	r->icmp_type = V32;
	r->icmp_code = V32;
	r->ipv6_flow_label = V32;
	r->fragment_id = V32;
	r->fragment_offset = V32;
	r->src_as = V32;
	r->dst_as = V32;
	rnd_addr(s, &r->next_hop);
	r->next_hop_as = V32;
	r->src_net = V32;
	r->dst_net = V32;
	rnd_addr(s, &r->bgp_next_hop);
	r->observation_domain_id = V32;
	r->observation_point_id = V32;
	r->ipv6_routing_header_seg_left = V32;
	r->sampler_id = V32;
	r->sampler_port = V32;
	r->n_communities = (uint8_t)(unit_rnd(s) % (FLOW_MAX_COMMUNITIES + 1));
	r->n_as_path = (uint8_t)(unit_rnd(s) % (FLOW_MAX_AS_PATH + 1));
	r->n_mpls = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 1));
	r->n_mpls_ttl = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 1));
	r->n_mpls_ip = (uint8_t)(unit_rnd(s) % (FLOW_MAX_MPLS + 1));
	r->n_layers = (uint8_t)(unit_rnd(s) % (FLOW_MAX_LAYERS + 1));
	r->n_srv6 = (uint8_t)(unit_rnd(s) % (FLOW_MAX_SRV6 + 1));
	for (unsigned i = 0; i < r->n_communities; i++)
		r->bgp_communities[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < r->n_as_path; i++)
		r->as_path[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < r->n_mpls; i++)
		r->mpls_label[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < r->n_mpls_ttl; i++)
		r->mpls_ttl[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < r->n_mpls_ip; i++)
		rnd_addr(s, &r->mpls_ip[i]);
	for (unsigned i = 0; i < r->n_layers; i++) {
		/* enums: negative ones (10-byte varints) included */
		r->layer_stack[i] = (uint32_t)(unit_rnd(s) % 3
						       ? unit_rnd(s) % 14
						       : rnd_val(s, 32));
		r->layer_size[i] = (uint32_t)rnd_val(s, 32);
	}
	for (unsigned i = 0; i < r->n_srv6; i++)
		for (unsigned j = 0; j < 16; j++)
			r->srv6_addr[i][j] = (uint8_t)unit_rnd(s);
}

/* The body of a varint-length-prefixed frame. */
static const uint8_t *body_of(const uint8_t *frame, size_t n, size_t *len)
{
	const uint8_t *p = frame;
	uint64_t v;

	assert_true(flowdec_varint(&p, frame + n, &v));
	assert_int_equal(v, frame + n - p);
	*len = (size_t)v;
	return p;
}

static void assert_round_trip(const struct flow_rec *r,
			      const struct flow_enriched *e)
{
	uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	struct flow_rec got;
	unsigned flags = 0;
	const uint8_t *body;
	size_t blen;
	ssize_t na, nb;

	na = encode_flow_enriched(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, r, e, a,
				  sizeof(a));
	assert_true(na > 0);
	body = body_of(a, (size_t)na, &blen);
	assert_int_equal(flowdec_flow(body, blen, &got, &flags), 0);
	/* a flow type past IPFIX (negative ones too) is the only oddity */
	assert_int_equal(flags,
			 r->type > FLOW_TYPE_IPFIX ? FLOWDEC_LENIENT : 0);
	assert_memory_equal(&got, r, sizeof(got));
	nb = encode_pb(&got, b, sizeof(b));
	if (!e) {
		assert_int_equal(nb, na);
		assert_memory_equal(a, b, (size_t)na);
	}
	/* the reference encoder agrees */
	assert_int_equal(encode_pbc_flow(&got, a, sizeof(a)), nb);
	assert_memory_equal(a, b, (size_t)nb);
}

static void test_random_round_trip(void **state)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	struct flow_rec r;

	(void)state;
	for (unsigned i = 0; i < N_RANDOM; i++) {
		rnd_rec(&s, &r, i % 3 == 0);
		assert_round_trip(&r, NULL);
	}
}

static void test_enriched_input_decodes_to_record(void **state)
{
	struct flow_enriched e = {
		.src_country = unit_fstr("FR"),
		.dst_as_name = unit_fstr("Example AS"),
		.src_net_tenant = unit_fstr("acme"),
		.in_if_name = unit_fstr("et-0/0/1"),
		.in_if_speed = 100000000000ULL,
		.out_if_speed = 1,
		.exporter_tenant = unit_fstr("t"),
	};
	uint64_t s = 42;
	struct flow_rec r;

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		rnd_rec(&s, &r, false);
		assert_round_trip(&r, &e);
	}
}

static void test_truncations(void **state)
{
	uint8_t a[ENCODE_MAX_LEN];
	uint64_t s = 7;
	struct flow_rec r, got;

	(void)state;
	for (unsigned i = 0; i < 200; i++) {
		ssize_t n;
		const uint8_t *body;
		size_t blen;

		rnd_rec(&s, &r, false);
		n = encode_pb(&r, a, sizeof(a));
		body = body_of(a, (size_t)n, &blen);
		for (size_t k = 0; k < blen; k++) {
			/* on the heap, exactly k bytes: ASan sees any overread */
			uint8_t *cut = malloc(k ? k : 1);
			unsigned flags = 0;
			int rc;

			memcpy(cut, body, k);
			rc = flowdec_flow(cut, k, &got, &flags);
			assert_true(rc == 0 || rc == -EBADMSG);
			free(cut);
		}
	}
}

static int dec(const uint8_t *p, size_t n, struct flow_rec *r, unsigned *f)
{
	*f = 0;
	return flowdec_flow(p, n, r, f);
}

static void test_hostile_rules(void **state)
{
	struct flow_rec r;
	unsigned f;

	(void)state;
	/* empty: a valid, empty message */
	assert_int_equal(dec((const uint8_t *)"", 0, &r, &f), 0);
	assert_int_equal(f, 0);
	/* field 0, groups, a varint of 11 bytes */
	assert_int_equal(dec((const uint8_t[]){ 0x00, 0x01 }, 2, &r, &f),
			 -EBADMSG);
	assert_int_equal(dec((const uint8_t[]){ 0x0b, 0x0c }, 2, &r, &f),
			 -EBADMSG);
	assert_int_equal(dec((const uint8_t[]){ 0x20, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0x01 },
			     12, &r, &f),
			 -EBADMSG);
	/* a 10-byte varint past 64 bits, with and without bytes after it */
	assert_int_equal(dec((const uint8_t[]){ 0x18, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff,
						0x02 },
			     11, &r, &f),
			 -EBADMSG);
	assert_int_equal(dec((const uint8_t[]){ 0x18, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff,
						0x02, 0x20, 0x01 },
			     13, &r, &f),
			 -EBADMSG);
	/* the largest one: 2^64 - 1 */
	assert_int_equal(dec((const uint8_t[]){ 0x18, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff,
						0x01, 0x20, 0x01 },
			     13, &r, &f),
			 0);
	assert_true(r.sampling_rate == UINT64_MAX && r.sequence_num == 1);
	/* a known varint field as bytes, an address as a varint */
	assert_int_equal(dec((const uint8_t[]){ 0x22, 0x01, 0x01 }, 3, &r, &f),
			 -EBADMSG);
	assert_int_equal(dec((const uint8_t[]){ 0x30, 0x01 }, 2, &r, &f),
			 -EBADMSG);
	/* an address of 5 bytes; a length past the end */
	assert_int_equal(dec((const uint8_t[]){ 0x32, 0x05, 1, 2, 3, 4, 5 }, 7,
			     &r, &f),
			 -EBADMSG);
	assert_int_equal(dec((const uint8_t[]){ 0x32, 0x04, 1, 2, 3 }, 5, &r,
			     &f),
			 -EBADMSG);
	/* a known field as fixed32 */
	assert_int_equal(dec((const uint8_t[]){ 0x25, 1, 2, 3, 4 }, 5, &r, &f),
			 -EBADMSG);
	/* unknown fields of every wire type: lenient, skipped */
	assert_int_equal(dec((const uint8_t[]){ 0xb8, 0x3e, 0x05, /* 999 */
						0x41, 1,    2,	  3, 4,
						5,    6,    7,	  8,	/* 8 */
						0x15, 1,    2,	  3, 4, /* 2 */
						0x2a, 0x01, 0x00,	/* 5 */
						0x20, 0x07 },
			     22, &r, &f),
			 0);
	assert_int_equal(f, FLOWDEC_LENIENT);
	assert_int_equal(r.sequence_num, 7);
	/* a flow type past IPFIX: lenient, kept */
	assert_int_equal(dec((const uint8_t[]){ 0x08, 0x09 }, 2, &r, &f), 0);
	assert_int_equal(f, FLOWDEC_LENIENT);
	assert_int_equal(r.type, 9);
	/* a uint32 field holding 2^33: cut to 32 bits, reshaped */
	assert_int_equal(dec((const uint8_t[]){ 0x20, 0x80, 0x80, 0x80, 0x80,
						0x20 },
			     6, &r, &f),
			 0);
	assert_int_equal(f, FLOWDEC_RESHAPED);
	/* an SRv6 address of 4 bytes: dropped, reshaped */
	assert_int_equal(dec((const uint8_t[]){ 0xca, 0x06, 0x04, 1, 2, 3, 4 },
			     7, &r, &f),
			 0);
	assert_int_equal(f, FLOWDEC_RESHAPED);
	assert_int_equal(r.n_srv6, 0);
	/* layer_stack of 2, layer_size of 1 (unpacked): 2 layers, reshaped */
	assert_int_equal(dec((const uint8_t[]){ 0xb8, 0x06, 0x01, 0xb8, 0x06,
						0x03, 0xc0, 0x06, 0x14 },
			     9, &r, &f),
			 0);
	assert_int_equal(f, FLOWDEC_RESHAPED);
	assert_int_equal(r.n_layers, 2);
	assert_int_equal(r.layer_stack[1], 3);
	assert_int_equal(r.layer_size[0], 20);
	assert_int_equal(r.layer_size[1], 0);
	/* enrichment fields of another wire type are refused, as the
	 * inserter's decoder refuses them (and any known field's) */
	assert_int_equal(dec((const uint8_t[]){ 0x90, 0x3f, 0x01 }, 3, &r, &f),
			 -EBADMSG); /* 1010 as a varint */
	assert_int_equal(dec((const uint8_t[]){ 0xd2, 0x40, 0x01, 0x07 }, 4, &r,
			     &f),
			 -EBADMSG); /* 1034 (a speed) length-delimited */
	assert_int_equal(dec((const uint8_t[]){ 0x95, 0x3f, 1, 2, 3, 4 }, 6, &r,
			     &f),
			 -EBADMSG); /* 1010 as a fixed32 */
	assert_int_equal(dec((const uint8_t[]){ 0x92, 0x3f, 0x02, 'F', 'R' }, 5,
			     &r, &f),
			 0);
	assert_int_equal(f, 0);
}

static void test_as_path_over_the_record(void **state)
{
	uint8_t m[3 + 40];
	struct flow_rec r;
	unsigned f = 0;

	(void)state;
	m[0] = 0xb2; /* 102, packed */
	m[1] = 0x06;
	m[2] = 40;
	for (unsigned i = 0; i < 40; i++)
		m[3 + i] = (uint8_t)(i + 1);
	assert_int_equal(flowdec_flow(m, sizeof(m), &r, &f), 0);
	assert_int_equal(f, FLOWDEC_RESHAPED);
	assert_int_equal(r.n_as_path, FLOW_MAX_AS_PATH);
	assert_int_equal(r.as_path[31], 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_round_trip),
		cmocka_unit_test(test_enriched_input_decodes_to_record),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_hostile_rules),
		cmocka_unit_test(test_as_path_over_the_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
