// SPDX-License-Identifier: Apache-2.0
/*
 * The generated protobuf encoders (encode_pb_enriched,
 * encode_pb_legacy_enriched, and their plain forms) against protobuf-c's
 * packer (encode_pbc_flow_enriched, encode_pbc_legacy_enriched): the same
 * bytes for 200,000 random records per schema, full, mixed and sparse (each
 * field zero, small, random, at a varint boundary or at its maximum; enums
 * above INT32_MAX; address lengths 0, 4, 16 and invalid; repeated counts
 * from 0 up to 255, clamped), three in four of them with a random
 * enrichment (strings NULL, "", short, a few KB long, of every byte value
 * but NUL; speeds and AS numbers 0, maximal or random, has_*_as either
 * way), for hand-made edge records, and for every buffer size around the
 * frame's length (-ENOSPC alike, and nothing written past cap: a guard
 * region after the buffer stays intact). And: every field of
 * proto/flow.proto and proto/flow_legacy.proto, as protobuf-c's descriptor
 * lists them, is one the generated encoder writes, and does write when the
 * record and its enrichment are full.
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
/* Room for the longest enriched frame the tests make (24 strings of at
 * most STR_MAX bytes) and a guard region after it. */
#define STR_MAX 4096
#define BUF_LEN (32 * (STR_MAX + 8) + ENCODE_MAX_LEN)
#define GUARD 64

typedef ssize_t (*enc_fn)(const struct flow_rec *, uint8_t *, size_t);
typedef ssize_t (*enr_fn)(const struct flow_rec *, const struct flow_enriched *,
			  uint8_t *, size_t);

struct schema {
	const char *name;
	enc_fn fast, ref;     /* the plain forms */
	enr_fn fast_e, ref_e; /* the enriched forms */
};

static const struct schema schemas[] = {
	{ "goflow2", encode_pb, encode_pbc_flow, encode_pb_enriched,
	  encode_pbc_flow_enriched },
	{ "goflow-v3", encode_pb_legacy, encode_pbc_legacy,
	  encode_pb_legacy_enriched, encode_pbc_legacy_enriched },
};

/* Every string member of struct flow_enriched. */
// clang-format off
#define ENR_STRINGS(X)                                                        \
	X(src_country) X(dst_country) X(src_as_name) X(dst_as_name)           \
	X(src_net_name) X(dst_net_name) X(src_net_role) X(dst_net_role)       \
	X(src_net_site) X(dst_net_site) X(src_net_region) X(dst_net_region)   \
	X(src_net_tenant) X(dst_net_tenant) X(in_if_name) X(out_if_name)      \
	X(in_if_description) X(out_if_description) X(exporter_name)           \
	X(exporter_group) X(exporter_role) X(exporter_site)                   \
	X(exporter_region) X(exporter_tenant)
// clang-format on
#define COUNT(m) +1
enum { N_ENR_STR = 0 ENR_STRINGS(COUNT) };

/* Storage for the strings of one random enrichment. */
struct enr_store {
	char s[N_ENR_STR][STR_MAX + 1];
};

/* A value of the given width: zero, one, the maximum, a varint boundary
 * (2^7k and 2^7k - 1), a random magnitude or fully random. */
static uint64_t rnd_val(uint64_t *s, unsigned width)
{
	uint64_t max = width == 64 ? ~0ULL : (1ULL << width) - 1;
	unsigned k;

	switch (unit_rnd(s) % 8) {
	case 0:
	case 1:
		return 0;
	case 2:
		return 1;
	case 3:
		return max;
	case 4:
		k = 7 * (unsigned)(1 + unit_rnd(s) % 9);
		return k >= width ? max : (1ULL << k) - (unit_rnd(s) & 1);
	case 5:
		k = (unsigned)(unit_rnd(s) % (width + 1));
		return k == 64 ? unit_rnd(s) : unit_rnd(s) & ((1ULL << k) - 1);
	default:
		return unit_rnd(s) & max;
	}
}

static void rnd_addr(uint64_t *s, struct flow_addr *a)
{
	static const uint8_t lens[] = { 0, 4, 16, 4, 16, 4, 16, 5, 15, 17, 255 };

	a->len = lens[unit_rnd(s) % sizeof(lens)];
	for (unsigned i = 0; i < 16; i++)
		a->b[i] = (uint8_t)unit_rnd(s);
}

/* A repeated field's count: empty, within the array, full, or beyond it
 * (up to 255, which the encoders clamp). */
static uint8_t rnd_count(uint64_t *s, unsigned max)
{
	switch (unit_rnd(s) % 5) {
	case 0:
		return 0;
	case 1:
		return (uint8_t)max;
	case 2:
		return (uint8_t)(max + 1 + unit_rnd(s) % (256 - max - 1));
	default:
		return (uint8_t)(1 + unit_rnd(s) % max);
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
		((uint8_t *)r)[i] = (uint8_t)unit_rnd(s);
#define SET32(m) r->m = (uint32_t)rnd_val(s, 32);
#define SET64(m) r->m = rnd_val(s, 64);
#define SETA(m) rnd_addr(s, &r->m);
	U32_MEMBERS(SET32)
	U64_MEMBERS(SET64)
	ADDR_MEMBERS(SETA)
	/* The enum's own values most of the time (the legacy schema maps the
	 * rest to FLOWUNKNOWN). */
	if (unit_rnd(s) % 2)
		r->type = (uint32_t)(unit_rnd(s) % 6);
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
		r->layer_stack[i] = (uint32_t)(unit_rnd(s) % 2
						       ? unit_rnd(s) % 14
						       : rnd_val(s, 32));
		r->layer_size[i] = (uint32_t)rnd_val(s, 32);
	}

	switch (shape) {
	case SHAPE_FULL:
#define NONZERO(m) r->m |= !r->m;
#define VALID(m) r->m.len = unit_rnd(s) % 2 ? 4 : 16;
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
#define SPARSE(m) r->m = unit_rnd(s) % 8 ? 0 : r->m;
#define SPARSE_A(m) r->m.len = unit_rnd(s) % 8 ? 0 : r->m.len;
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

/* A random string into buf: NULL, "", short text, bytes of every value but
 * NUL, or up to STR_MAX bytes long. */
static const char *rnd_str(uint64_t *s, char *buf)
{
	size_t len;

	switch (unit_rnd(s) % 10) {
	case 0:
	case 1:
	case 2:
		return NULL;
	case 3:
		buf[0] = 0;
		return buf;
	case 4:
	case 5:
	case 6: /* what tables usually hold */
		len = 1 + unit_rnd(s) % 24;
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(' ' + unit_rnd(s) % 95);
		break;
	case 7:
	case 8: /* anything but NUL, around the 1- to 2-byte varint length */
		len = 1 + unit_rnd(s) % 300;
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(1 + unit_rnd(s) % 255);
		break;
	default: /* long, mostly at the small end */
		len = 1 + unit_rnd(s) % (unit_rnd(s) % 4 ? 600 : STR_MAX);
		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(1 + unit_rnd(s) % 255);
		break;
	}
	buf[len] = 0;
	return buf;
}

/* A random enrichment, strings in st. */
static void rnd_enr(uint64_t *s, struct flow_enriched *e, struct enr_store *st)
{
	unsigned k = 0;

	memset(e, 0, sizeof(*e));
#define SETS(m) e->m = unit_fstr(rnd_str(s, st->s[k++]));
	ENR_STRINGS(SETS)
	e->in_if_speed = rnd_val(s, 64);
	e->out_if_speed = rnd_val(s, 64);
	e->src_as = (uint32_t)rnd_val(s, 32);
	e->dst_as = (uint32_t)rnd_val(s, 32);
	e->has_src_as = unit_rnd(s) % 2;
	e->has_dst_as = unit_rnd(s) % 2;
}

/* Every string long (of every byte value but NUL, cycling), every speed and
 * AS number maximal. */
static void enr_max(struct flow_enriched *e, struct enr_store *st, size_t len)
{
	unsigned k = 0;

	for (unsigned i = 0; i < N_ENR_STR; i++) {
		for (size_t j = 0; j < len; j++)
			st->s[i][j] = (char)(1 + (i + j) % 255);
		st->s[i][len] = 0;
	}
	memset(e, 0, sizeof(*e));
#define SETMAX(m) e->m = unit_fstr(st->s[k++]);
	ENR_STRINGS(SETMAX)
	e->in_if_speed = e->out_if_speed = ~0ULL;
	e->src_as = e->dst_as = ~0u;
	e->has_src_as = e->has_dst_as = 1;
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

/* Encodes rec (with e, or plain when e is NULL) with both encoders of sc
 * into cap bytes of buffers followed by a guard region; asserts the same
 * result and the guard intact. Returns the result; the bytes are in *out. */
static ssize_t encode_both(const struct schema *sc, const struct flow_rec *r,
			   const struct flow_enriched *e, size_t cap,
			   const uint8_t **out)
{
	static uint8_t a[BUF_LEN + GUARD], b[BUF_LEN + GUARD];
	static const uint8_t guard[GUARD] = { [0 ... GUARD - 1] = 0xa5 };
	ssize_t na, nb;

	assert_true(cap <= BUF_LEN);
	memcpy(a + cap, guard, GUARD);
	memcpy(b + cap, guard, GUARD);
	na = e ? sc->fast_e(r, e, a, cap) : sc->fast(r, a, cap);
	nb = e ? sc->ref_e(r, e, b, cap) : sc->ref(r, b, cap);
	if (memcmp(a + cap, guard, GUARD) || memcmp(b + cap, guard, GUARD)) {
		fprintf(stderr, "%s: wrote past cap %zu (fast %zd, ref %zd)\n",
			sc->name, cap, na, nb);
		fail();
	}
	if (na != nb || (na > 0 && memcmp(a, b, (size_t)na))) {
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
	*out = a;
	return na;
}

/* Encodes rec (and e) with both encoders of sc into full-size buffers and
 * asserts the same result; returns the frame length. */
static size_t assert_same_e(const struct schema *sc, const struct flow_rec *r,
			    const struct flow_enriched *e)
{
	const uint8_t *out;
	ssize_t n = encode_both(sc, r, e, BUF_LEN, &out);

	assert_true(n > 0);
	/* enr NULL through the enriched form is the plain form. */
	if (!e) {
		static uint8_t c[BUF_LEN];

		assert_int_equal(sc->fast_e(r, NULL, c, sizeof(c)), n);
		assert_memory_equal(c, out, (size_t)n);
	}
	return (size_t)n;
}

static size_t assert_same(const struct schema *sc, const struct flow_rec *r)
{
	return assert_same_e(sc, r, NULL);
}

/* Both encoders agree at every cap (from 0 to past the frame's length when
 * the frame is short, else around both ends and at random sizes between):
 * -ENOSPC below it, the same bytes at and above it, nothing written past
 * cap. */
static void assert_same_caps_e(const struct schema *sc,
			       const struct flow_rec *r,
			       const struct flow_enriched *e)
{
	size_t n = assert_same_e(sc, r, e);
	uint64_t seed = n;

	for (size_t cap = 0; cap <= n + 3; cap++) {
		const uint8_t *out;
		ssize_t got;

		if (n > 1200 && cap > 600 && cap + 600 < n) {
			/* long frame: a random cap in the middle, then on */
			cap += unit_rnd(&seed) % 64;
			if (cap + 600 >= n)
				continue;
		}
		got = encode_both(sc, r, e, cap, &out);
		if (cap < n)
			assert_int_equal(got, -ENOSPC);
		else
			assert_int_equal(got, (ssize_t)n);
	}
}

static void assert_same_caps(const struct schema *sc, const struct flow_rec *r)
{
	assert_same_caps_e(sc, r, NULL);
}

static void test_random_records(void **state)
{
	static struct flow_rec r;
	static struct enr_store st;
	struct flow_enriched e;

	(void)state;
	for (size_t k = 0; k < sizeof(schemas) / sizeof(schemas[0]); k++) {
		uint64_t seed = 0x9e3779b97f4a7c15ULL + k;
		size_t longest = 0, shortest = BUF_LEN, n, n_enr = 0;

		for (unsigned it = 0; it < N_RANDOM; it++) {
			/* Three in four enriched. */
			const struct flow_enriched *ep = it % 4 ? &e : NULL;

			rnd_rec(&seed, &r, (enum shape)(it % SHAPE__N));
			if (ep) {
				rnd_enr(&seed, &e, &st);
				n_enr++;
			}
			n = it % 1000
				    ? assert_same_e(&schemas[k], &r, ep)
				    : (assert_same_caps_e(&schemas[k], &r, ep),
				       0);
			if (n > longest)
				longest = n;
			if (n && n < shortest)
				shortest = n;
		}
		printf("%s: %u random records (%zu enriched) byte-identical, "
		       "frames %zu..%zu bytes\n",
		       schemas[k].name, N_RANDOM, n_enr, shortest, longest);
		/* Both prefix lengths were exercised, and for the enriched
		 * schema a 3-byte one too. */
		assert_true(shortest < 128 && longest >= 130);
		if (k == 0)
			assert_true(longest >= 16384);
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

/* Enrichment edges: an empty one is no enrichment; strings of every length
 * around the varint steps (127/128 bytes, 16383/16384 in total) and of
 * every byte value but NUL; AS numbers from the enrichment, 0 included,
 * replace the record's only when has_*_as says so. */
static void test_edge_enriched(void **state)
{
	static const size_t lens[] = { 1,   2,	 127, 128,    255,
				       600, 681, 682, STR_MAX };
	static struct flow_rec r;
	static struct enr_store st;
	static uint8_t plain[BUF_LEN], got[BUF_LEN];
	struct flow_enriched e;
	ssize_t n;

	(void)state;
	for (size_t k = 0; k < sizeof(schemas) / sizeof(schemas[0]); k++) {
		const struct schema *sc = &schemas[k];

		/* No strings, no speeds, no AS: the plain bytes. */
		rec_max(&r);
		memset(&e, 0, sizeof(e));
		n = sc->fast(&r, plain, sizeof(plain));
		assert_int_equal(sc->fast_e(&r, &e, got, sizeof(got)), n);
		assert_memory_equal(plain, got, (size_t)n);
		assert_same_caps_e(sc, &r, &e);
		/* Empty strings are absent too. */
		enr_max(&e, &st, 0);
		e.has_src_as = e.has_dst_as = 0;
		e.in_if_speed = e.out_if_speed = 0;
		assert_int_equal(sc->fast_e(&r, &e, got, sizeof(got)), n);
		assert_memory_equal(plain, got, (size_t)n);

		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			enr_max(&e, &st, lens[i]);
			assert_same_caps_e(sc, &r, &e);
			memset(&r, 0, sizeof(r));
			assert_same_caps_e(sc, &r, &e);
			rec_max(&r);
		}

		/* has_*_as with 0: the field disappears although the record
		 * has one; without has_*_as the record's stands. */
		rec_max(&r);
		memset(&e, 0, sizeof(e));
		e.has_src_as = 1;
		e.dst_as = 65001;
		assert_same_caps_e(sc, &r, &e);
		n = sc->fast_e(&r, &e, got, sizeof(got));
		assert_true(n > 0 && n < sc->fast(&r, plain, sizeof(plain)));
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

/* Whether field f of message m (protobuf-c's struct) holds a value:
 * proto3 has no presence, so non-zero, non-empty. */
static bool field_set(const ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *f)
{
	const uint8_t *base = (const uint8_t *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)(base + f->offset);

		return s && s[0];
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)(base + f->offset))->len;
	case PROTOBUF_C_TYPE_UINT64:
		return *(const uint64_t *)(base + f->offset) != 0;
	default: /* uint32, enums */
		return *(const uint32_t *)(base + f->offset) != 0;
	}
}

/* Encodes a full record and enrichment with the fast encoder, decodes it
 * with protobuf-c and asserts that every field of the descriptor came out
 * set, but those named in never (no source in struct flow_rec). */
static void assert_all_written(const struct schema *sc,
			       const ProtobufCMessageDescriptor *d,
			       const char *const *never)
{
	static uint8_t buf[BUF_LEN];
	static struct flow_rec r;
	static struct enr_store st;
	struct flow_enriched e;
	ProtobufCMessage *m;
	uint64_t len;
	size_t k;
	ssize_t n;

	rec_max(&r);
	r.type = FLOW_TYPE_IPFIX; /* within both schemas' enums */
	enr_max(&e, &st, 5);
	n = sc->fast_e(&r, &e, buf, sizeof(buf));
	assert_true(n > 0);
	for (len = 0, k = 0; buf[k] & 0x80; k++)
		len |= (uint64_t)(buf[k] & 0x7f) << (7 * k);
	len |= (uint64_t)buf[k] << (7 * k);
	assert_int_equal(len + k + 1, n);
	m = protobuf_c_message_unpack(d, NULL, len, buf + k + 1);
	assert_non_null(m);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		bool skip = false;

		for (const char *const *x = never; *x; x++)
			skip |= !strcmp(*x, f->name);
		if (skip ? field_set(m, f) : !field_set(m, f)) {
			fprintf(stderr,
				"%s: field %s = %u %s by the fast encoder from "
				"a full record and enrichment\n",
				d->name, f->name, f->id,
				skip ? "written" : "not written");
			fail();
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
}

static void test_every_field_written(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const legacy_never[] = { "FlowDirection", NULL };

	(void)state;
	assert_all_written(&schemas[0], &flowpb__flow_message__descriptor,
			   none);
	assert_all_written(&schemas[1], &flowprotob__flow_message__descriptor,
			   legacy_never);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_coverage),
		cmocka_unit_test(test_every_field_written),
		cmocka_unit_test(test_edge_records),
		cmocka_unit_test(test_edge_enriched),
		cmocka_unit_test(test_worst_case),
		cmocka_unit_test(test_random_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
