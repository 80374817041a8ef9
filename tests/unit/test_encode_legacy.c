// SPDX-License-Identifier: Apache-2.0
/*
 * encode_pb_legacy (--schema goflow-v3): the same flows encoded in both
 * schemas decode (protobuf-c) to the same values, times in seconds in the
 * light one; raw wire keys follow GoFlow v3 numbering (TimeReceived 2,
 * TimeFlowStart 38, SrcAddr 6 ...); zero fields are absent; the varint
 * prefix frames the body; -ENOSPC on short buffers; bad address lengths and
 * unknown types are not trusted; schema parsing and dispatch.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "encode/encode.h"
#include "flow.pb-c.h"
#include "flow_legacy.pb-c.h"

static void fill(struct flow_rec *r, unsigned seed)
{
	memset(r, 0, sizeof(*r));
	r->type = 1 + seed % 4;
	r->time_received_ns = 1700000000123456789ULL + seed * 1000000007ULL;
	r->sequence_num = 4000000001u + seed;
	r->sampling_rate = seed % 3 ? 1024 : (1ULL << 40);
	r->sampler_address =
		(struct flow_addr){ .len = 4,
				    .b = { 198, 18, 0, (uint8_t)seed } };
	r->time_flow_start_ns = 1699999990000000001ULL + seed;
	r->time_flow_end_ns = 1699999999999999999ULL + seed;
	r->bytes = 0xffffffffffffffffULL - seed;
	r->packets = 123456789012ULL + seed;
	if (seed % 2) {
		r->src_addr = (struct flow_addr){
			.len = 16,
			.b = { 0x20, 0x01, 0, 2, [15] = (uint8_t)seed }
		};
		r->dst_addr = (struct flow_addr){ .len = 16,
						  .b = { 0x20, 0x01, 0, 2, 0,
							 1, [15] = 1 } };
		r->etype = 0x86dd;
	} else {
		r->src_addr = (struct flow_addr){ .len = 4,
						  .b = { 198, 18, 1,
							 (uint8_t)seed } };
		r->dst_addr = (struct flow_addr){ .len = 4,
						  .b = { 198, 19, 255, 254 } };
		r->etype = 0x0800;
	}
	r->proto = seed % 2 ? 17 : 6;
	r->src_port = 443 + seed;
	r->dst_port = 65535;
	r->in_if = 11;
	r->out_if = 4000000000u;
	r->ip_tos = 0xb8;
	r->forwarding_status = 64;
	r->ip_ttl = 63;
	r->tcp_flags = 0x1b;
	r->icmp_type = 8;
	r->icmp_code = 1;
	r->ipv6_flow_label = 0xfffff;
	r->src_as = 64512 + seed;
	r->dst_as = 4200000000u;
	/* Fields the light schema does not have. */
	r->src_mac = 0x0a1b2c3d4e5fULL;
	r->ip_flags = 2;
	r->next_hop = (struct flow_addr){ .len = 4, .b = { 198, 18, 9, 9 } };
	r->n_as_path = 2;
	r->as_path[0] = 1;
	r->as_path[1] = 2;
}

/* Strips the varint length prefix; checks it frames the buffer exactly. */
static const uint8_t *body_of(const uint8_t *buf, ssize_t n, size_t *len)
{
	size_t v = 0, off = 0;
	unsigned shift = 0;

	assert_true(n > 0);
	do {
		assert_true(off < (size_t)n && shift < 14);
		v |= (size_t)(buf[off] & 0x7f) << shift;
		shift += 7;
	} while (buf[off++] & 0x80);
	assert_int_equal(off + v, (size_t)n);
	*len = v;
	return buf + off;
}

static void bin_eq(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.data, b.data, a.len);
}

static void test_both_schemas_same_flows(void **state)
{
	(void)state;
	for (unsigned seed = 0; seed < 64; seed++) {
		struct flow_rec r;
		uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
		ssize_t na, nb;
		size_t la, lb;
		const uint8_t *ba, *bb;
		Flowpb__FlowMessage *m2;
		Flowprotob__FlowMessage *m3;

		fill(&r, seed);
		na = encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, &r,
					a, sizeof(a));
		nb = encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW_V3, &r,
					b, sizeof(b));
		ba = body_of(a, na, &la);
		bb = body_of(b, nb, &lb);
		m2 = flowpb__flow_message__unpack(NULL, la, ba);
		m3 = flowprotob__flow_message__unpack(NULL, lb, bb);
		assert_non_null(m2);
		assert_non_null(m3);

		assert_int_equal(m3->type, m2->type);
		assert_int_equal(m3->timereceived,
				 m2->time_received_ns / 1000000000ULL);
		assert_int_equal(m3->timereceived,
				 r.time_received_ns / 1000000000ULL);
		assert_int_equal(m3->timeflowstart,
				 m2->time_flow_start_ns / 1000000000ULL);
		assert_int_equal(m3->timeflowend,
				 m2->time_flow_end_ns / 1000000000ULL);
		assert_int_equal(m3->sequencenum, m2->sequence_num);
		assert_int_equal(m3->samplingrate, m2->sampling_rate);
		bin_eq(m3->sampleraddress, m2->sampler_address);
		bin_eq(m3->srcaddr, m2->src_addr);
		bin_eq(m3->dstaddr, m2->dst_addr);
		assert_int_equal(m3->bytes, m2->bytes);
		assert_int_equal(m3->packets, m2->packets);
		assert_int_equal(m3->etype, m2->etype);
		assert_int_equal(m3->proto, m2->proto);
		assert_int_equal(m3->srcport, m2->src_port);
		assert_int_equal(m3->dstport, m2->dst_port);
		assert_int_equal(m3->inif, m2->in_if);
		assert_int_equal(m3->outif, m2->out_if);
		assert_int_equal(m3->iptos, m2->ip_tos);
		assert_int_equal(m3->forwardingstatus, m2->forwarding_status);
		assert_int_equal(m3->ipttl, m2->ip_ttl);
		assert_int_equal(m3->tcpflags, m2->tcp_flags);
		assert_int_equal(m3->icmptype, m2->icmp_type);
		assert_int_equal(m3->icmpcode, m2->icmp_code);
		assert_int_equal(m3->ipv6flowlabel, m2->ipv6_flow_label);
		assert_int_equal(m3->srcas, m2->src_as);
		assert_int_equal(m3->dstas, m2->dst_as);
		assert_int_equal(m3->flowdirection, 0);
		/* Nothing the light schema lacks leaks in as an unknown field. */
		assert_int_equal(m3->base.n_unknown_fields, 0);
		/* And the full one carries what the light one drops. */
		assert_int_equal(m2->ip_flags, 2);
		assert_int_equal(m2->n_as_path, 2);

		flowpb__flow_message__free_unpacked(m2, NULL);
		flowprotob__flow_message__free_unpacked(m3, NULL);
	}
}

/* Finds field number fnum's varint value at the top level of a message. */
static int wire_varint(const uint8_t *p, size_t len, unsigned fnum,
		       uint64_t *out)
{
	size_t off = 0;

	while (off < len) {
		uint64_t key = 0, v = 0;
		unsigned shift = 0;

		do {
			key |= (uint64_t)(p[off] & 0x7f) << shift;
			shift += 7;
		} while (p[off++] & 0x80 && off < len);
		if ((key & 7) == 0) {
			shift = 0;
			do {
				v |= (uint64_t)(p[off] & 0x7f) << shift;
				shift += 7;
			} while (p[off++] & 0x80 && off < len);
			if ((key >> 3) == fnum) {
				*out = v;
				return 0;
			}
		} else if ((key & 7) == 2) {
			shift = 0;
			do {
				v |= (uint64_t)(p[off] & 0x7f) << shift;
				shift += 7;
			} while (p[off++] & 0x80 && off < len);
			off += v;
		} else {
			fail_msg("unexpected wire type %u",
				 (unsigned)(key & 7));
		}
	}
	return -1;
}

static void test_wire_numbering(void **state)
{
	struct flow_rec r;
	uint8_t b[ENCODE_MAX_LEN];
	ssize_t n;
	size_t len;
	const uint8_t *body;
	uint64_t v;

	(void)state;
	fill(&r, 2);
	n = encode_pb_legacy(&r, b, sizeof(b));
	body = body_of(b, n, &len);
	assert_int_equal(wire_varint(body, len, 2, &v), 0); /* TimeReceived */
	assert_int_equal(v, r.time_received_ns / 1000000000ULL);
	assert_int_equal(wire_varint(body, len, 38, &v), 0); /* TimeFlowStart */
	assert_int_equal(v, 1699999990ULL);
	assert_int_equal(wire_varint(body, len, 5, &v), 0); /* TimeFlowEnd */
	assert_int_equal(v, 1700000000ULL); /* 1699999999.999999999 + 2 ns */
	assert_int_equal(wire_varint(body, len, 30, &v), 0); /* Etype */
	assert_int_equal(v, 0x0800);
	assert_int_equal(wire_varint(body, len, 14, &v), 0); /* SrcAS */
	assert_int_equal(v, 64514);
	/* GoFlow2's ns fields are not there. */
	assert_int_equal(wire_varint(body, len, 110, &v), -1);
	assert_int_equal(wire_varint(body, len, 111, &v), -1);
	/* SrcAddr is field 6 with 4 bytes: key 0x32, length 4. */
	{
		static const uint8_t want[] = { 0x32, 4, 198, 18, 1, 2 };
		int found = 0;

		for (size_t i = 0; i + sizeof(want) <= len; i++)
			found |= !memcmp(body + i, want, sizeof(want));
		assert_true(found);
	}
}

static void test_zero_record_is_empty(void **state)
{
	struct flow_rec r;
	uint8_t b[16];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(encode_pb_legacy(&r, b, sizeof(b)), 1);
	assert_int_equal(b[0], 0);
	/* Below one second rounds down to absent. */
	r.time_received_ns = 999999999ULL;
	assert_int_equal(encode_pb_legacy(&r, b, sizeof(b)), 1);
}

static void test_untrusted_values(void **state)
{
	struct flow_rec r;
	uint8_t b[ENCODE_MAX_LEN];
	ssize_t n;
	size_t len;
	const uint8_t *body;
	Flowprotob__FlowMessage *m;

	(void)state;
	fill(&r, 3);
	r.src_addr.len = 7; /* neither 4 nor 16: absent */
	r.dst_addr.len = 255;
	r.type = 77; /* not a FlowType */
	n = encode_pb_legacy(&r, b, sizeof(b));
	body = body_of(b, n, &len);
	m = flowprotob__flow_message__unpack(NULL, len, body);
	assert_non_null(m);
	assert_int_equal(m->srcaddr.len, 0);
	assert_int_equal(m->dstaddr.len, 0);
	assert_int_equal(m->type, 0);
	flowprotob__flow_message__free_unpacked(m, NULL);
}

static void test_short_buffers(void **state)
{
	struct flow_rec r;
	uint8_t full[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	ssize_t n;

	(void)state;
	fill(&r, 5);
	n = encode_pb_legacy(&r, full, sizeof(full));
	assert_true(n > 100 && n < 300);
	for (size_t cap = 0; cap < (size_t)n; cap++) {
		uint8_t *p = malloc(cap ? cap : 1);

		assert_non_null(p);
		assert_int_equal(encode_pb_legacy(&r, p, cap), -ENOSPC);
		free(p);
	}
	/* Exactly enough, in a heap buffer so ASan sees any overrun. */
	{
		uint8_t *p = malloc((size_t)n);

		assert_non_null(p);
		assert_int_equal(encode_pb_legacy(&r, p, (size_t)n), n);
		assert_memory_equal(p, full, (size_t)n);
		free(p);
	}
	memset(b, 0, sizeof(b));
	assert_int_equal(encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW_V3,
					    &r, b, sizeof(b)),
			 n);
	assert_memory_equal(b, full, (size_t)n);
}

static void test_schema_parse_and_dispatch(void **state)
{
	enum out_schema s = OUT_SCHEMA_GOFLOW_V3;
	struct flow_rec r;
	uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	ssize_t na, nb;

	(void)state;
	assert_int_equal(encode_schema_parse("goflow2", &s), 0);
	assert_int_equal(s, OUT_SCHEMA_GOFLOW2);
	assert_int_equal(encode_schema_parse("goflow-v3", &s), 0);
	assert_int_equal(s, OUT_SCHEMA_GOFLOW_V3);
	assert_int_equal(encode_schema_parse("legacy", &s), 0);
	assert_int_equal(s, OUT_SCHEMA_GOFLOW_V3);
	assert_int_equal(encode_schema_parse("goflow3", &s), -EINVAL);
	assert_int_equal(encode_schema_parse("", &s), -EINVAL);
	assert_int_equal(encode_schema_parse(NULL, &s), -EINVAL);

	fill(&r, 1);
	/* JSON is the same under both schemas; pb GOFLOW2 is encode_pb. */
	na = encode_flow_schema(OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW_V3, &r, a,
				sizeof(a));
	nb = encode_json(&r, b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	na = encode_flow_schema(OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2, &r, a,
				sizeof(a));
	nb = encode_pb(&r, b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_schemas_same_flows),
		cmocka_unit_test(test_wire_numbering),
		cmocka_unit_test(test_zero_record_is_empty),
		cmocka_unit_test(test_untrusted_values),
		cmocka_unit_test(test_short_buffers),
		cmocka_unit_test(test_schema_parse_and_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
