// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the prefix table: /0, /32, /128, nesting, overlaps, the
 * per-attribute merge, IPv4-mapped IPv6, duplicates, and random tables
 * checked against a linear scan. */
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "enrich/prefix_table.h"

static void add(struct prefix_table_builder *b, const char *pfx, unsigned len,
		uint32_t value)
{
	struct flow_addr a = unit_addr(pfx);

	assert_int_equal(prefix_table_builder_add(b, &a, len, value, value), 0);
}

static uint32_t look(const struct prefix_table *t, const char *s)
{
	struct flow_addr a = unit_addr(s);

	return prefix_table_lookup(t, &a);
}

static struct prefix_table *build(struct prefix_table_builder *b)
{
	struct prefix_table *t = NULL;

	assert_int_equal(prefix_table_build(b, NULL, NULL, &t, NULL), 0);
	prefix_table_builder_free(b);
	return t;
}

static void test_empty(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t;
	struct flow_addr none = { 0 };

	(void)state;
	assert_non_null(b);
	t = build(b);
	assert_int_equal(look(t, "0.0.0.0"), PREFIX_TABLE_NONE);
	assert_int_equal(look(t, "255.255.255.255"), PREFIX_TABLE_NONE);
	assert_int_equal(look(t, "::"), PREFIX_TABLE_NONE);
	assert_int_equal(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			 PREFIX_TABLE_NONE);
	assert_int_equal(prefix_table_lookup(t, &none), PREFIX_TABLE_NONE);
	prefix_table_free(t);
}

static void test_v4_boundaries(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t;

	(void)state;
	add(b, "0.0.0.0", 0, 1);
	add(b, "10.0.0.0", 8, 2);
	add(b, "10.1.0.0", 16, 3);
	add(b, "10.1.2.0", 24, 4);
	add(b, "10.1.2.128", 25, 5);
	add(b, "10.1.2.200", 32, 6);
	add(b, "10.1.2.3", 31, 7); /* host bit 3 cleared: 10.1.2.2/31 */
	add(b, "255.255.255.255", 32, 8);
	add(b, "0.0.0.0", 32, 9);
	add(b, "192.168.0.0", 17, 10);
	add(b, "192.168.0.0", 15, 11);
	t = build(b);
	assert_int_equal(look(t, "1.2.3.4"), 1);
	assert_int_equal(look(t, "10.200.0.1"), 2);
	assert_int_equal(look(t, "10.1.255.1"), 3);
	assert_int_equal(look(t, "10.1.2.0"), 4);
	assert_int_equal(look(t, "10.1.2.127"), 4);
	assert_int_equal(look(t, "10.1.2.128"), 5);
	assert_int_equal(look(t, "10.1.2.199"), 5);
	assert_int_equal(look(t, "10.1.2.200"), 6);
	assert_int_equal(look(t, "10.1.2.201"), 5);
	assert_int_equal(look(t, "10.1.2.255"), 5);
	assert_int_equal(look(t, "10.1.2.1"), 4);
	assert_int_equal(look(t, "10.1.2.2"), 7);
	assert_int_equal(look(t, "10.1.2.3"), 7);
	assert_int_equal(look(t, "10.1.2.4"), 4);
	assert_int_equal(look(t, "255.255.255.255"), 8);
	assert_int_equal(look(t, "255.255.255.254"), 1);
	assert_int_equal(look(t, "0.0.0.0"), 9);
	assert_int_equal(look(t, "0.0.0.1"), 1);
	assert_int_equal(look(t, "192.168.127.255"), 10);
	assert_int_equal(look(t, "192.168.128.0"), 11);
	assert_int_equal(look(t, "192.169.255.255"), 11);
	assert_int_equal(look(t, "192.170.0.0"), 1);
	/* IPv4 prefixes never answer IPv6 addresses, mapped ones aside. */
	assert_int_equal(look(t, "::10.1.2.3"), PREFIX_TABLE_NONE);
	assert_int_equal(look(t, "::ffff:10.1.2.3"), 7);
	assert_int_equal(look(t, "::ffff:10.1.2.200"), 6);
	assert_int_equal(look(t, "::fffe:10.1.2.200"), PREFIX_TABLE_NONE);
	{
		uint8_t q[3][16];
		uint32_t out[3];
		struct flow_addr a = unit_addr("::ffff:10.1.2.3"),
				 b2 = unit_addr("::1"),
				 c = unit_addr("::ffff:255.255.255.255");

		memcpy(q[0], a.b, 16);
		memcpy(q[1], b2.b, 16);
		memcpy(q[2], c.b, 16);
		prefix_table_lookup6_batch(t, q, 3, out);
		assert_int_equal(out[0], 7);
		assert_int_equal(out[1], PREFIX_TABLE_NONE);
		assert_int_equal(out[2], 8);
	}
	prefix_table_free(t);
}

static void test_v6_boundaries(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t;

	(void)state;
	add(b, "::", 0, 1);
	add(b, "2001:db8::", 32, 2);
	add(b, "2001:db8:1::", 48, 3);
	add(b, "2001:db8:1:2::", 64, 4);
	add(b, "2001:db8:1:2::1", 128, 5);
	add(b, "2001:db8:1:2::ffff", 127, 6);
	add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 7);
	add(b, "::", 128, 8);
	add(b, "2001:db8:8000::", 33, 9);
	add(b, "2001:db8:1:2:3:4:5:0", 124, 10);
	add(b, "2001:db8:1:2:3:4:5:0", 126, 11);
	t = build(b);
	assert_int_equal(look(t, "3000::1"), 1);
	assert_int_equal(look(t, "2001:db8:ffff::"), 9);
	assert_int_equal(look(t, "2001:db8:7fff::"), 2);
	assert_int_equal(look(t, "2001:db8:1:ffff::"), 3);
	assert_int_equal(look(t, "2001:db8:1:2:ffff::"), 4);
	assert_int_equal(look(t, "2001:db8:1:2::1"), 5);
	assert_int_equal(look(t, "2001:db8:1:2::0"), 4);
	assert_int_equal(look(t, "2001:db8:1:2::2"), 4);
	assert_int_equal(look(t, "2001:db8:1:2::fffe"), 6);
	assert_int_equal(look(t, "2001:db8:1:2::ffff"), 6);
	assert_int_equal(look(t, "2001:db8:1:2::1:0"), 4);
	assert_int_equal(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 7);
	assert_int_equal(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 1);
	assert_int_equal(look(t, "::"), 8);
	assert_int_equal(look(t, "::1"), 1);
	assert_int_equal(look(t, "2001:db8:1:2:3:4:5:0"), 11);
	assert_int_equal(look(t, "2001:db8:1:2:3:4:5:3"), 11);
	assert_int_equal(look(t, "2001:db8:1:2:3:4:5:4"), 10);
	assert_int_equal(look(t, "2001:db8:1:2:3:4:5:f"), 10);
	assert_int_equal(look(t, "2001:db8:1:2:3:4:5:10"), 4);
	/* The IPv6 /0 does not cover IPv4 or IPv4-mapped addresses. */
	assert_int_equal(look(t, "10.0.0.1"), PREFIX_TABLE_NONE);
	assert_int_equal(look(t, "::ffff:10.0.0.1"), PREFIX_TABLE_NONE);
	prefix_table_free(t);
}

static void test_mapped_prefix_goes_to_v4(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t;
	struct prefix_table_dup dup = { 0 };
	struct flow_addr a = unit_addr("10.0.0.0");

	(void)state;
	add(b, "::ffff:10.0.0.0", 104, 1);
	add(b, "::ffff:10.1.2.3", 128, 2);
	add(b, "::ffff:0.0.0.0", 96, 3);
	t = build(b);
	assert_int_equal(look(t, "10.9.9.9"), 1);
	assert_int_equal(look(t, "10.1.2.3"), 2);
	assert_int_equal(look(t, "::ffff:10.1.2.3"), 2);
	assert_int_equal(look(t, "11.0.0.0"), 3);
	prefix_table_free(t);

	/* ::ffff:10.0.0.0/104 and 10.0.0.0/8 are the same prefix. */
	b = prefix_table_builder_new();
	add(b, "::ffff:10.0.0.0", 104, 1);
	assert_int_equal(prefix_table_builder_add(b, &a, 8, 2, 77), 0);
	t = NULL;
	assert_int_equal(prefix_table_build(b, NULL, NULL, &t, &dup), -EEXIST);
	assert_null(t);
	assert_int_equal(dup.first_tag, 1);
	assert_int_equal(dup.dup_tag, 77);
	prefix_table_builder_free(b);
}

static void test_bad_input(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct flow_addr v4 = unit_addr("10.0.0.0"),
			 v6 = unit_addr("2001:db8::");
	struct flow_addr none = { 0 };

	(void)state;
	assert_int_equal(prefix_table_builder_add(b, &v4, 33, 1, 0), -EINVAL);
	assert_int_equal(prefix_table_builder_add(b, &v6, 129, 1, 0), -EINVAL);
	assert_int_equal(prefix_table_builder_add(b, &none, 0, 1, 0), -EINVAL);
	assert_int_equal(prefix_table_builder_add(b, &v4, 8, 0, 0), -EINVAL);
	assert_int_equal(prefix_table_builder_add(b, &v4, 8,
						  PREFIX_TABLE_MAX_VALUE + 1,
						  0),
			 -EINVAL);
	assert_int_equal(prefix_table_builder_count(b), 0);
	prefix_table_builder_free(b);
}

static void test_duplicates(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t = NULL;
	struct prefix_table_dup dup = { 0 };
	struct flow_addr a = unit_addr("2001:db8::"),
			 c = unit_addr("2001:db8::1");

	(void)state;
	assert_int_equal(prefix_table_builder_add(b, &a, 32, 1, 10), 0);
	assert_int_equal(prefix_table_builder_add(b, &a, 48, 1, 11), 0);
	/* Same prefix once host bits are cleared. */
	assert_int_equal(prefix_table_builder_add(b, &c, 32, 2, 12), 0);
	assert_int_equal(prefix_table_build(b, NULL, NULL, &t, &dup), -EEXIST);
	assert_null(t);
	assert_int_equal(dup.first_tag, 10);
	assert_int_equal(dup.dup_tag, 12);
	prefix_table_builder_free(b);
}

/* Merge for the inheritance test: values index recs; each rec has two
 * attributes (0 = unset); the merged rec is appended. */
struct recs {
	uint32_t n;
	uint32_t a[64][2];
};

static uint32_t merge_recs(void *ctx, uint32_t parent, uint32_t own)
{
	struct recs *r = ctx;

	if (r->n == 64)
		return PREFIX_TABLE_NONE;
	for (int i = 0; i < 2; i++)
		r->a[r->n][i] = r->a[own][i] ? r->a[own][i] : r->a[parent][i];
	return r->n++;
}

static void test_inheritance(void **state)
{
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t = NULL;
	struct recs r = { .n = 5,
			  .a = { { 0, 0 },
				 { 100, 200 }, /* 1: 10/8 site, tenant */
				 { 101, 0 },   /* 2: 10.1/16 site only */
				 { 0, 202 },   /* 3: 10.1.2/24 tenant only */
				 { 0, 0 } } }; /* 4: 10.1.2.3/32 nothing */
	uint32_t v;

	(void)state;
	/* Added in reverse order: the build must not depend on it. */
	add(b, "10.1.2.3", 32, 4);
	add(b, "10.1.2.0", 24, 3);
	add(b, "10.1.0.0", 16, 2);
	add(b, "10.0.0.0", 8, 1);
	assert_int_equal(prefix_table_build(b, merge_recs, &r, &t, NULL), 0);
	prefix_table_builder_free(b);
	v = look(t, "10.9.9.9");
	assert_int_equal(r.a[v][0], 100);
	assert_int_equal(r.a[v][1], 200);
	v = look(t, "10.1.9.9");
	assert_int_equal(r.a[v][0], 101);
	assert_int_equal(r.a[v][1], 200);
	v = look(t, "10.1.2.9"); /* the /24 keeps the /16's site */
	assert_int_equal(r.a[v][0], 101);
	assert_int_equal(r.a[v][1], 202);
	v = look(t, "10.1.2.3");
	assert_int_equal(r.a[v][0], 101);
	assert_int_equal(r.a[v][1], 202);
	assert_int_equal(look(t, "11.0.0.0"), PREFIX_TABLE_NONE);
	prefix_table_free(t);

	/* A failing merge fails the build. */
	r.n = 64;
	b = prefix_table_builder_new();
	add(b, "10.0.0.0", 8, 1);
	add(b, "10.1.0.0", 16, 2);
	assert_int_equal(prefix_table_build(b, merge_recs, &r, &t, NULL),
			 -ENOMEM);
	prefix_table_builder_free(b);
}

/* Random tables against a linear scan, both families, with lengths
 * clustered so that nesting, overlaps and partial strides all occur. */
struct ref {
	uint8_t b[16];
	unsigned len;
	uint32_t value;
};

static bool ref_match(const struct ref *r, const uint8_t *a)
{
	unsigned full = r->len / 8, rem = r->len % 8;

	if (memcmp(r->b, a, full))
		return false;
	return !rem || ((r->b[full] ^ a[full]) & (0xff00 >> rem) & 0xff) == 0;
}

static uint32_t ref_lookup(const struct ref *refs, size_t n, const uint8_t *a)
{
	int best = -1;
	uint32_t v = PREFIX_TABLE_NONE;

	for (size_t i = 0; i < n; i++)
		if (ref_match(&refs[i], a) && (int)refs[i].len > best) {
			best = (int)refs[i].len;
			v = refs[i].value;
		}
	return v;
}

static int ref_cmp(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	int c = memcmp(a->b, b->b, sizeof(a->b));

	return c ? c : (int)a->len - (int)b->len;
}

static void random_family(unsigned alen, unsigned seed, size_t N, unsigned Q)
{
	struct ref *refs = calloc(N, sizeof(*refs));
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t = NULL;
	unsigned maxlen = alen * 8;
	size_t n = 0;

	srandom(seed);
	for (size_t k = 0; k < N; k++) {
		struct ref *r = &refs[k];
		unsigned full, rem;

		/* Few distinct top bytes so prefixes nest and overlap. */
		for (unsigned i = 0; i < alen; i++)
			r->b[i] = (uint8_t)random();
		r->b[0] = (uint8_t)(random() % 3 + 0x20);
		if (alen == 16 && random() % 4 == 0)
			memset(r->b + 1, 0, 5);
		r->len = (unsigned)random() % (maxlen + 1);
		if (N > 2000 &&
		    r->len < 12) /* few short ones, few duplicates */
			r->len += 12;
		full = r->len / 8;
		rem = r->len % 8;
		if (full < alen) {
			r->b[full] &= (uint8_t)(0xff00 >> rem);
			memset(r->b + full + 1, 0, alen - full - 1);
		}
	}
	/* Distinct prefixes only (duplicates have their own test). */
	qsort(refs, N, sizeof(*refs), ref_cmp);
	for (size_t k = 0; k < N; k++) {
		struct flow_addr a = { .len = (uint8_t)alen };

		if (n && ref_cmp(&refs[n - 1], &refs[k]) == 0)
			continue;
		refs[n] = refs[k];
		refs[n].value = (uint32_t)n + 1;
		memcpy(a.b, refs[n].b, alen);
		assert_int_equal(prefix_table_builder_add(b, &a, refs[n].len,
							  refs[n].value,
							  (uint32_t)n),
				 0);
		n++;
	}
	assert_true(n > N / 2);
	if (N >= 20000) /* the large top array is built */
		assert_true(n >= 16384);
	assert_int_equal(prefix_table_build(b, NULL, NULL, &t, NULL), 0);
	prefix_table_builder_free(b);
	uint8_t(*qa)[16] = calloc(Q, 16);
	uint32_t *q4 = calloc(Q, sizeof(*q4)), *want = calloc(Q, sizeof(*want));
	uint32_t *got = calloc(Q, sizeof(*got));

	for (unsigned q = 0; q < Q; q++) {
		struct flow_addr a = { .len = (uint8_t)alen };
		const struct ref *base = &refs[(size_t)random() % n];

		/* Near a prefix: its bytes with a random tail. */
		memcpy(a.b, base->b, alen);
		for (unsigned i = (unsigned)random() % alen; i < alen; i++)
			a.b[i] = (uint8_t)random();
		if (random() % 8 == 0)
			a.b[alen - 1] ^= 1;
		want[q] = ref_lookup(refs, n, a.b);
		assert_int_equal(prefix_table_lookup(t, &a), want[q]);
		memcpy(qa[q], a.b, 16);
		q4[q] = (uint32_t)a.b[0] << 24 | (uint32_t)a.b[1] << 16 |
			(uint32_t)a.b[2] << 8 | a.b[3];
	}
	/* Batches, of a size that is not a multiple of the lanes. */
	for (unsigned q = 0; q < Q; q += 37) {
		unsigned m = Q - q < 37 ? Q - q : 37;

		if (alen == 4)
			prefix_table_lookup4_batch(t, q4 + q, m, got + q);
		else
			prefix_table_lookup6_batch(t, qa + q, m, got + q);
	}
	assert_memory_equal(got, want, Q * sizeof(*got));
	free(qa);
	free(q4);
	free(want);
	free(got);
	assert_true(prefix_table_bytes(t) > 0);
	prefix_table_free(t);
	free(refs);
}

static void test_random_v4(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 4; seed++)
		random_family(4, seed, 600, 20000);
}

/* Big enough for the large top arrays (24 bits IPv4, 20 bits IPv6). */
static void test_random_large(void **state)
{
	(void)state;
	random_family(4, 7, 40000, 1000);
	random_family(16, 7, 40000, 1000);
}

static void test_random_v6(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 4; seed++)
		random_family(16, seed, 600, 20000);
}

/* Path compression: chains of pass-through nodes (one child, nothing else)
 * of every length, each broken or not by an enclosing prefix of another
 * value, in small and large tables. Every address one bit away from the
 * prefix (a mismatch at each skipped bit) and the prefix itself, one at a
 * time and batched, against the linear scan. */
static void check_chain(unsigned alen, const uint8_t *addr, unsigned q,
			unsigned p, bool large)
{
	enum { FILL = 16384, MAXREF = 3 + FILL };
	struct ref *refs = calloc(MAXREF, sizeof(*refs));
	struct prefix_table_builder *b = prefix_table_builder_new();
	struct prefix_table *t = NULL;
	unsigned bits = alen * 8, n = 0, nq = bits + 2;
	uint8_t(*qa)[16] = calloc(nq, 16);
	uint32_t *q4 = calloc(nq, sizeof(*q4)), *want = calloc(nq, 4);
	uint32_t *got = calloc(nq, sizeof(*got));

	assert_non_null(refs);
	assert_non_null(b);
	/* Values 1 (/0), 2 (/q, when q > 0), 3 (/p). */
	refs[n++] = (struct ref){ .len = 0, .value = 1 };
	if (q > 0) {
		refs[n] = (struct ref){ .len = q, .value = 2 };
		memcpy(refs[n++].b, addr, alen);
	}
	refs[n] = (struct ref){ .len = p, .value = 3 };
	memcpy(refs[n++].b, addr, alen);
	/* Fillers away from addr (first byte 0x30 or 10): a large top. */
	for (unsigned i = 0; large && i < FILL; i++) {
		struct ref *r = &refs[n++];

		r->b[0] = alen == 16 ? 0x30 : 10;
		r->b[1] = (uint8_t)(i >> 8);
		r->b[2] = (uint8_t)i;
		r->len = alen == 16 ? 48 : 24;
		r->value = 4 + i;
	}
	for (unsigned i = 0; i < n; i++) {
		struct ref *r = &refs[i];
		struct flow_addr a = { .len = (uint8_t)alen };
		unsigned full = r->len / 8, rem = r->len % 8;

		if (full < alen) {
			r->b[full] &= (uint8_t)(0xff00 >> rem);
			memset(r->b + full + 1, 0, alen - full - 1);
		}
		memcpy(a.b, r->b, alen);
		assert_int_equal(prefix_table_builder_add(b, &a, r->len,
							  r->value, i),
				 0);
	}
	assert_int_equal(prefix_table_build(b, NULL, NULL, &t, NULL), 0);
	prefix_table_builder_free(b);
	for (unsigned k = 0; k < nq; k++) {
		struct flow_addr a = { .len = (uint8_t)alen };

		memcpy(a.b, addr, alen);
		if (k < bits)
			a.b[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
		else if (k == bits + 1) /* the prefix's first address */
			memcpy(a.b, refs[q > 0 ? 2 : 1].b, alen);
		want[k] = ref_lookup(refs, n, a.b);
		assert_int_equal(prefix_table_lookup(t, &a), want[k]);
		memcpy(qa[k], a.b, 16);
		q4[k] = (uint32_t)a.b[0] << 24 | (uint32_t)a.b[1] << 16 |
			(uint32_t)a.b[2] << 8 | a.b[3];
	}
	if (alen == 4)
		prefix_table_lookup4_batch(t, q4, nq, got);
	else
		prefix_table_lookup6_batch(t, qa, nq, got);
	assert_memory_equal(got, want, nq * sizeof(*got));
	/* The address itself matches the longest prefix. */
	assert_int_equal(want[bits], 3);
	prefix_table_free(t);
	free(qa);
	free(q4);
	free(want);
	free(got);
	free(refs);
}

static void test_skip_chains(void **state)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xa5, 0xc3,
					0x5a, 0x3c, 0xf0, 0x0f, 0x12, 0x34,
					0x56, 0x78, 0x9a, 0xbc };
	static const uint8_t a4[4] = { 198, 18, 37, 201 };
	static const unsigned qs[] = { 0,  8,  17, 24, 30,  33,	 47,
				       48, 63, 64, 96, 100, 126, 127 };

	(void)state;
	for (unsigned i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		for (unsigned p = qs[i] + 1; p <= 128; p++) {
			check_chain(16, a6, qs[i], p, false);
			if (p <= 32)
				check_chain(4, a4, qs[i], p, false);
		}
	/* Every chain length below the 24-bit top arrays. */
	for (unsigned p = 1; p <= 128; p++) {
		check_chain(16, a6, 0, p, true);
		if (p <= 32)
			check_chain(4, a4, 0, p, true);
	}
	check_chain(16, a6, 32, 48, true);
	check_chain(16, a6, 48, 64, true);
	check_chain(16, a6, 64, 127, true);
	check_chain(16, a6, 127, 128, true);
}

/* An IPv4-mapped prefix of every length: found by the mapped and the plain
 * IPv4 address, and not by a native IPv6 address one bit away. */
static void test_mapped_chains(void **state)
{
	(void)state;
	for (unsigned p = 0; p <= 32; p++) {
		struct prefix_table_builder *b = prefix_table_builder_new();
		struct prefix_table *t;
		uint32_t v4 = 0xc61225c9u; /* 198.18.37.201 */

		assert_non_null(b);
		if (p > 0) /* else a duplicate of the mapped /96 */
			add(b, "0.0.0.0", 0, 1);
		add(b, "::ffff:198.18.37.201", 96 + p, 3);
		t = build(b);
		for (unsigned k = 0; k < 128; k++) {
			struct flow_addr a = unit_addr("::ffff:198.18.37.201");
			uint32_t want;

			a.b[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
			if (k < 96)
				want = PREFIX_TABLE_NONE;
			else
				want = k - 96 < p ? 1 : 3;
			assert_int_equal(prefix_table_lookup(t, &a), want);
			if (k >= 96) {
				uint32_t x = v4 ^ (0x80000000u >> (k - 96));

				assert_int_equal(prefix_table_lookup4(t, x),
						 want);
			}
		}
		prefix_table_free(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_v4_boundaries),
		cmocka_unit_test(test_v6_boundaries),
		cmocka_unit_test(test_mapped_prefix_goes_to_v4),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_random_large),
		cmocka_unit_test(test_skip_chains),
		cmocka_unit_test(test_mapped_chains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
