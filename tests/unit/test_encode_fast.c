// SPDX-License-Identifier: Apache-2.0
/*
 * The generated protobuf encoders (encode_pb, encode_pb_legacy) against
 * protobuf-c's packer (encode_pbc_flow, encode_pbc_legacy): the same bytes
 * for 200,000 random records per schema, full, mixed and sparse (each
 * field zero, small, random,
 * at a varint boundary or at its maximum; enums above INT32_MAX; address
 * lengths 0, 4, 16 and invalid; repeated counts from 0 up to 255, clamped),
 * for hand-made edge records, and for every buffer size around the frame's
 * length (-ENOSPC alike). And: every field of proto/flow.proto and
 * proto/flow_legacy.proto, as protobuf-c's descriptor lists them, is one
 * the generated encoder writes.
 */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "encode/encode.h"
#include "encode/encode_pbc.h"
#include "flow.pb-c.h"
#include "flow.pb-enc.h"
#include "flow_legacy.pb-c.h"
#include "flow_legacy.pb-enc.h"

#define N_RANDOM 200000

typedef ssize_t (*enc_fn)(const struct flow_rec *, uint8_t *, size_t);

struct schema {
	const char *name;
	enc_fn fast, ref;
};

static const struct schema schemas[] = {
	{ "goflow2", encode_pb, encode_pbc_flow },
	{ "goflow-v3", encode_pb_legacy, encode_pbc_legacy },
};

/* xorshift64: deterministic pseudo-random records. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* A value of the given width: zero, one, the maximum, a varint boundary
 * (2^7k and 2^7k - 1), a random magnitude or fully random. */
static uint64_t rnd_val(uint64_t *s, unsigned width)
{
	uint64_t max = width == 64 ? ~0ULL : (1ULL << width) - 1;
	unsigned k;

	switch (rnd(s) % 8) {
	case 0:
	case 1:
		return 0;
	case 2:
		return 1;
	case 3:
		return max;
	case 4:
		k = 7 * (unsigned)(1 + rnd(s) % 9);
		return k >= width ? max : (1ULL << k) - (rnd(s) & 1);
	case 5:
		k = (unsigned)(rnd(s) % (width + 1));
		return k == 64 ? rnd(s) : rnd(s) & ((1ULL << k) - 1);
	default:
		return rnd(s) & max;
	}
}

static void rnd_addr(uint64_t *s, struct flow_addr *a)
{
	static const uint8_t lens[] = { 0, 4, 16, 4, 16, 4, 16, 5, 15, 17, 255 };

	a->len = lens[rnd(s) % sizeof(lens)];
	for (unsigned i = 0; i < 16; i++)
		a->b[i] = (uint8_t)rnd(s);
}

/* A repeated field's count: empty, within the array, full, or beyond it
 * (up to 255, which the encoders clamp). */
static uint8_t rnd_count(uint64_t *s, unsigned max)
{
	switch (rnd(s) % 5) {
	case 0:
		return 0;
	case 1:
		return (uint8_t)max;
	case 2:
		return (uint8_t)(max + 1 + rnd(s) % (256 - max - 1));
	default:
		return (uint8_t)(1 + rnd(s) % max);
	}
}

/* Every member of struct flow_rec, scalars by width. (clang-format 14
 * reflows these X-lists differently on each pass: kept as written.) */
// clang-format off
#define U32_MEMBERS(X)                                                        \
	X(type) X(sequence_num) X(etype) X(proto) X(src_port) X(dst_port)     \
	X(in_if) X(out_if) X(src_vlan) X(dst_vlan) X(vlan_id) X(ip_tos)       \
	X(forwarding_status) X(ip_ttl) X(ip_flags) X(tcp_flags) X(icmp_type)  \
	X(icmp_code) X(ipv6_flow_label) X(fragment_id) X(fragment_offset)     \
	X(src_as) X(dst_as) X(next_hop_as) X(src_net) X(dst_net)              \
	X(observation_domain_id) X(observation_point_id)                      \
	X(ipv6_routing_header_seg_left) X(sampler_id) X(sampler_port)
#define U64_MEMBERS(X)                                                        \
	X(time_received_ns) X(sampling_rate) X(time_flow_start_ns)            \
	X(time_flow_end_ns) X(bytes) X(packets) X(src_mac) X(dst_mac)
#define ADDR_MEMBERS(X)                                                       \
	X(sampler_address) X(src_addr) X(dst_addr) X(next_hop) X(bgp_next_hop)
// clang-format on

/* Record shapes: every field set (nothing zero, addresses valid, arrays
 * non-empty), mixed, and sparse (most fields zero, as in a NetFlow v5
 * flow). */
enum shape { SHAPE_FULL, SHAPE_MIXED, SHAPE_SPARSE, SHAPE__N };

static void rnd_rec(uint64_t *s, struct flow_rec *r, enum shape shape)
{
	/* Every byte random first (padding too), so a member this function
	 * forgot would still vary; then each member gets a telling value. */
	for (size_t i = 0; i < sizeof(*r); i++)
		((uint8_t *)r)[i] = (uint8_t)rnd(s);
#define SET32(m) r->m = (uint32_t)rnd_val(s, 32);
#define SET64(m) r->m = rnd_val(s, 64);
#define SETA(m) rnd_addr(s, &r->m);
	U32_MEMBERS(SET32)
	U64_MEMBERS(SET64)
	ADDR_MEMBERS(SETA)
	/* The enum's own values most of the time (the legacy schema maps the
	 * rest to FLOWUNKNOWN). */
	if (rnd(s) % 2)
		r->type = (uint32_t)(rnd(s) % 6);
	r->n_communities = rnd_count(s, FLOW_MAX_COMMUNITIES);
	r->n_as_path = rnd_count(s, FLOW_MAX_AS_PATH);
	r->n_mpls = rnd_count(s, FLOW_MAX_MPLS);
	r->n_mpls_ttl = rnd_count(s, FLOW_MAX_MPLS);
	r->n_mpls_ip = rnd_count(s, FLOW_MAX_MPLS);
	r->n_layers = rnd_count(s, FLOW_MAX_LAYERS);
	r->n_srv6 = rnd_count(s, FLOW_MAX_SRV6);
	for (unsigned i = 0; i < FLOW_MAX_COMMUNITIES; i++)
		r->bgp_communities[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < FLOW_MAX_AS_PATH; i++)
		r->as_path[i] = (uint32_t)rnd_val(s, 32);
	for (unsigned i = 0; i < FLOW_MAX_MPLS; i++) {
		r->mpls_ttl[i] = (uint32_t)rnd_val(s, 32);
		r->mpls_label[i] = (uint32_t)rnd_val(s, 32);
		rnd_addr(s, &r->mpls_ip[i]);
	}
	for (unsigned i = 0; i < FLOW_MAX_LAYERS; i++) {
		r->layer_stack[i] =
			(uint32_t)(rnd(s) % 2 ? rnd(s) % 14 : rnd_val(s, 32));
		r->layer_size[i] = (uint32_t)rnd_val(s, 32);
	}

	switch (shape) {
	case SHAPE_FULL:
#define NONZERO(m) r->m |= !r->m;
#define VALID(m) r->m.len = rnd(s) % 2 ? 4 : 16;
		U32_MEMBERS(NONZERO)
		U64_MEMBERS(NONZERO)
		ADDR_MEMBERS(VALID)
		r->n_communities |= !r->n_communities;
		r->n_as_path |= !r->n_as_path;
		r->n_mpls |= !r->n_mpls;
		r->n_mpls_ttl |= !r->n_mpls_ttl;
		r->n_mpls_ip |= !r->n_mpls_ip;
		r->n_layers |= !r->n_layers;
		r->n_srv6 |= !r->n_srv6;
		break;
	case SHAPE_SPARSE:
#define SPARSE(m) r->m = rnd(s) % 8 ? 0 : r->m;
#define SPARSE_A(m) r->m.len = rnd(s) % 8 ? 0 : r->m.len;
		U32_MEMBERS(SPARSE)
		U64_MEMBERS(SPARSE)
		ADDR_MEMBERS(SPARSE_A)
		SPARSE(n_communities)
		SPARSE(n_as_path)
		SPARSE(n_mpls)
		SPARSE(n_mpls_ttl)
		SPARSE(n_mpls_ip)
		SPARSE(n_layers)
		SPARSE(n_srv6)
		break;
	default:
		break;
	}
}

/* Every scalar at its maximum, every address 16 bytes, every array full:
 * the longest body either schema can have. */
static void rec_max(struct flow_rec *r)
{
	memset(r, 0xff, sizeof(*r));
#define LEN16(m) r->m.len = 16;
	ADDR_MEMBERS(LEN16)
	for (unsigned i = 0; i < FLOW_MAX_MPLS; i++)
		r->mpls_ip[i].len = 16;
}

/* Encodes rec with both encoders of sc into full-size buffers and asserts
 * the same result; returns the frame length. */
static size_t assert_same(const struct schema *sc, const struct flow_rec *r)
{
	static uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	ssize_t na = sc->fast(r, a, sizeof(a));
	ssize_t nb = sc->ref(r, b, sizeof(b));

	if (na != nb || na <= 0 || memcmp(a, b, (size_t)na)) {
		fprintf(stderr, "%s: fast %zd bytes, protobuf-c %zd bytes\n",
			sc->name, na, nb);
		for (ssize_t i = 0; i < na && i < nb; i++)
			if (a[i] != b[i]) {
				fprintf(stderr,
					"first difference at byte %zd: "
					"%02x != %02x\n",
					i, a[i], b[i]);
				break;
			}
		fail();
	}
	return (size_t)na;
}

/* Both encoders agree for every cap from 0 to past the frame's length:
 * -ENOSPC below it, the same bytes at and above it. */
static void assert_same_caps(const struct schema *sc, const struct flow_rec *r)
{
	static uint8_t a[ENCODE_MAX_LEN], b[ENCODE_MAX_LEN];
	size_t n = assert_same(sc, r);

	for (size_t cap = 0; cap <= n + 3; cap++) {
		ssize_t na = sc->fast(r, a, cap);
		ssize_t nb = sc->ref(r, b, cap);

		assert_int_equal(na, nb);
		if (cap < n) {
			assert_int_equal(na, -ENOSPC);
		} else {
			assert_int_equal(na, (ssize_t)n);
			assert_memory_equal(a, b, n);
		}
	}
}

static void test_random_records(void **state)
{
	static struct flow_rec r;

	(void)state;
	for (size_t k = 0; k < sizeof(schemas) / sizeof(schemas[0]); k++) {
		uint64_t seed = 0x9e3779b97f4a7c15ULL + k;
		size_t longest = 0, shortest = ENCODE_MAX_LEN, n;

		for (unsigned it = 0; it < N_RANDOM; it++) {
			rnd_rec(&seed, &r, (enum shape)(it % SHAPE__N));
			n = it % 1000 ? assert_same(&schemas[k], &r)
				      : (assert_same_caps(&schemas[k], &r), 0);
			if (n > longest)
				longest = n;
			if (n && n < shortest)
				shortest = n;
		}
		printf("%s: %u random records byte-identical, frames %zu..%zu "
		       "bytes\n",
		       schemas[k].name, N_RANDOM, shortest, longest);
		/* Both prefix lengths were exercised. */
		assert_true(shortest < 128 && longest >= 130);
	}
}

static void test_edge_records(void **state)
{
	static struct flow_rec r;

	(void)state;
	for (size_t k = 0; k < sizeof(schemas) / sizeof(schemas[0]); k++) {
		const struct schema *sc = &schemas[k];

		memset(&r, 0, sizeof(r));
		assert_int_equal(assert_same(sc, &r), 1); /* empty body */
		assert_same_caps(sc, &r);

		rec_max(&r);
		assert_same_caps(sc, &r);
		/* Invalid address lengths and empty arrays. */
		r.src_addr.len = 5;
		r.dst_addr.len = 0;
		r.n_layers = 0;
		r.n_mpls_ip = 255;
		r.mpls_ip[3].len = 200;
		assert_same_caps(sc, &r);

		/* Each field alone, at 1 and at its maximum. */
		for (size_t off = 0;
		     off < offsetof(struct flow_rec, n_communities); off += 4) {
			memset(&r, 0, sizeof(r));
			memset((uint8_t *)&r + off, 0xff, 4);
			assert_same(sc, &r);
			memset(&r, 0, sizeof(r));
			((uint8_t *)&r)[off] = 1;
			assert_same(sc, &r);
		}
	}
}

/* The frame is longest when everything is at its maximum: that must stay
 * within the worst case each generated encoder declares. */
static void test_worst_case(void **state)
{
	static uint8_t a[ENCODE_MAX_LEN];
	static struct flow_rec r;
	ssize_t n;

	(void)state;
	rec_max(&r);
	n = encode_pb(&r, a, sizeof(a));
	assert_true(n > 0 && (size_t)n <= ENCODE_PBGEN_FLOW_WORST + 2);
	n = encode_pb_legacy(&r, a, sizeof(a));
	assert_true(n > 0 && (size_t)n <= ENCODE_PBGEN_LEGACY_WORST + 2);
}

/* Every field protobuf-c's descriptor (the proto's) lists is one the fast
 * encoder writes, and the other way round. */
static void assert_fields(const ProtobufCMessageDescriptor *d,
			  const uint32_t *fields, size_t n_fields)
{
	for (unsigned i = 0; i < d->n_fields; i++) {
		bool found = false;

		for (size_t j = 0; j < n_fields && !found; j++)
			found = fields[j] == d->fields[i].id;
		if (!found) {
			fprintf(stderr,
				"%s: field %s = %u is not written by the fast "
				"encoder (regenerate it: scripts/gen/"
				"gen-pb-encoder.py)\n",
				d->name, d->fields[i].name, d->fields[i].id);
			fail();
		}
	}
	assert_int_equal(n_fields, d->n_fields);
}

static void test_field_coverage(void **state)
{
	(void)state;
	assert_fields(&flowpb__flow_message__descriptor,
		      encode_pbgen_flow_fields, encode_pbgen_flow_n_fields);
	assert_fields(&flowprotob__flow_message__descriptor,
		      encode_pbgen_legacy_fields, encode_pbgen_legacy_n_fields);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_coverage),
		cmocka_unit_test(test_edge_records),
		cmocka_unit_test(test_worst_case),
		cmocka_unit_test(test_random_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
