// SPDX-License-Identifier: Apache-2.0
/*
 * Longest-prefix match: a poptrie (Asai and Ohara, SIGCOMM 2015) with a
 * direct-pointing top array, one per address family.
 *
 * Why this structure: one compact structure serves both families. The top
 * array is indexed by the first 24 bits (64 MB; for IPv4 this is DIR-24 as
 * in DIR-24-8, so the usual /24-or-shorter answer costs one memory access;
 * for IPv6 it saves a level over 20 bits, measured 1.5-2x faster on 1M
 * prefixes); tables of fewer than 16384 prefixes of a family use 16 bits
 * (256 KB) instead. Below it each node covers 6 bits with two 64-bit bitmaps
 * (which of its 64 slots lead to child nodes; where the leaf value changes)
 * and two base indexes; children and leaves are found by popcount, so
 * runs of equal leaves are stored once. A 1M-prefix IPv4 table's nodes take
 * a few MB (DIR-24-8's /25+ blocks take 1 KB each) beside its 64 MB top
 * array, with no stride blow-up of memory (a plain 8-bit stride trie needs
 * a 1 KB node per /40 and /48).
 *
 * Path compression: a node with one child and the same value in every
 * other slot (a /32 allocation's node at bits 24..29, the node above a lone
 * /48) is not stored; its child holds the skipped key bits (up to 24) and
 * the value on a mismatch, and compares them before its own stride. A node
 * is 32 bytes. A routing-table-shaped /48 (netgen.h) walks the top array
 * plus 2 nodes instead of 4: 1M such IPv6 prefixes take 65 MB of nodes
 * and leaves instead of 112 MB (beside the 64 MB top array), and batched
 * lookups run 1.7-2.9x faster (bench_enrich, side by side).
 *
 * Keys are left-aligned in 128 bits (IPv4 in the top 32). The stride at
 * offset o reads bits o..o+5, zero-padded past the key's end, in both the
 * build and the lookup, so the last partial stride needs no special case
 * (nor does a skip: at most 24 bits, and always followed by a stride).
 *
 * The build sorts the prefixes, finds duplicates, merges each prefix's
 * value with its nearest enclosing prefix's (the caller's callback), then
 * builds nodes recursively: in a node at offset o, prefixes of length
 * o+1..o+6 expand over the slots they cover (longest wins) and longer ones,
 * contiguous in sorted order, become the slot's child node.
 */
#include "enrich/prefix_table.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TOP4_BITS 24
#define TOP6_BITS 24
/* Tables of fewer prefixes use a 16-bit top array (256 KB, not 64 MB). */
#define TOP_SMALL_BITS 16
#define SMALL_TABLE 16384
#define STRIDE 6
#define LEAF_FLAG 0x80000000u
/* In a node's base0: its leaves are inline (see struct pt_node). */
#define INLINE_FLAG 0x80000000u
/* Path compression: a node's skip holds the length (top 8 bits) and value
 * (low 24 bits, right-aligned) of the key bits it skips. */
#define SKIP_MAX 24
#define SKIP_LEN(s) ((s) >> 24)
#define SKIP_KEY(s) ((s)&0xffffffu)

typedef unsigned __int128 u128;

/* A node without children whose leaves are runs A, or A B, or A B A (the
 * usual deepest node: one longer prefix inside its parent's value) holds
 * them inline, INLINE_FLAG | A in base0 and B in base1, so the walk ends
 * without one more dependent access (run k's value: k odd ? B : A). */
struct pt_node {
	uint64_t vector;  /* slot i leads to a child node */
	uint64_t leafvec; /* slot i starts a new run of leaves */
	uint32_t base0;	  /* first leaf of this node, or INLINE_FLAG | A */
	uint32_t base1;	  /* first child of this node, or B */
	uint32_t skip;	  /* SKIP_LEN(skip) key bits to match first, or 0 */
	uint32_t miss;	  /* the value when they do not match */
};

struct pt_trie {
	uint32_t *top; /* 2^top_bits entries: LEAF_FLAG|value, or node index */
	unsigned top_bits;
	bool popcnt; /* walk with the POPCNT instruction */
	struct pt_node *nodes;
	uint32_t n_nodes, cap_nodes;
	uint32_t *leaves;
	uint32_t n_leaves, cap_leaves;
};

struct prefix_table {
	struct pt_trie t4, t6;
};

struct pt_ent {
	u128 key; /* left-aligned, host bits cleared */
	uint32_t value;
	uint32_t tag;
	uint8_t len;
};

struct pt_vec {
	struct pt_ent *e;
	size_t n, cap;
};

struct prefix_table_builder {
	struct pt_vec v4, v6;
};

static bool cpu_has_popcnt(void);

static u128 mask_len(unsigned len)
{
	return len == 0 ? 0 : ~(u128)0 << (128 - len);
}

/* Bits off..off+stride-1 of key, zero-padded past bit 127. */
static unsigned extract(u128 key, unsigned off, unsigned stride)
{
	return (unsigned)((key << off) >> (128 - stride));
}

struct prefix_table_builder *prefix_table_builder_new(void)
{
	return calloc(1, sizeof(struct prefix_table_builder));
}

void prefix_table_builder_free(struct prefix_table_builder *b)
{
	if (!b)
		return;
	free(b->v4.e);
	free(b->v6.e);
	free(b);
}

size_t prefix_table_builder_count(const struct prefix_table_builder *b)
{
	return b->v4.n + b->v6.n;
}

static bool is_v4_mapped(const uint8_t *b)
{
	static const uint8_t pfx[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

int prefix_table_builder_add(struct prefix_table_builder *b,
			     const struct flow_addr *addr, unsigned len,
			     uint32_t value, uint32_t tag)
{
	struct pt_vec *v;
	u128 key = 0;
	unsigned i, n;

	if (value == PREFIX_TABLE_NONE || value > PREFIX_TABLE_MAX_VALUE)
		return -EINVAL;
	if (addr->len == 4 && len <= 32) {
		v = &b->v4;
		n = 4;
	} else if (addr->len == 16 && len <= 128) {
		if (len >= 96 && is_v4_mapped(addr->b))
			return prefix_table_builder_add(
				b,
				&(struct flow_addr){
					.len = 4,
					.b = { addr->b[12], addr->b[13],
					       addr->b[14], addr->b[15] } },
				len - 96, value, tag);
		v = &b->v6;
		n = 16;
	} else {
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		key |= (u128)addr->b[i] << (120 - 8 * i);
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct pt_ent *e = realloc(v->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		v->e = e;
		v->cap = cap;
	}
	v->e[v->n++] = (struct pt_ent){ .key = key & mask_len(len),
					.value = value,
					.tag = tag,
					.len = (uint8_t)len };
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct pt_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* Stable for duplicates: the first added is reported first. */
	return x->tag < y->tag ? -1 : x->tag > y->tag;
}

static bool contains(const struct pt_ent *p, const struct pt_ent *c)
{
	return p->len <= c->len && ((c->key ^ p->key) & mask_len(p->len)) == 0;
}

/* Sorts, rejects duplicates, replaces each value by its merged value. */
static int prepare(struct pt_vec *v, prefix_table_merge_fn merge, void *ctx,
		   struct prefix_table_dup *dup)
{
	size_t *stack, depth = 0;

	if (v->n == 0)
		return 0;
	qsort(v->e, v->n, sizeof(*v->e), ent_cmp);
	for (size_t i = 1; i < v->n; i++) {
		if (v->e[i].key == v->e[i - 1].key &&
		    v->e[i].len == v->e[i - 1].len) {
			if (dup) {
				dup->first_tag = v->e[i - 1].tag;
				dup->dup_tag = v->e[i].tag;
			}
			return -EEXIST;
		}
	}
	if (!merge)
		return 0;
	/* Sorted by (address, length), so every enclosing prefix comes first:
	 * a stack of the current chain of nested prefixes finds the parent. */
	stack = malloc(129 * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		while (depth && !contains(&v->e[stack[depth - 1]], &v->e[i]))
			depth--;
		if (depth) {
			uint32_t m = merge(ctx, v->e[stack[depth - 1]].value,
					   v->e[i].value);

			if (m == PREFIX_TABLE_NONE ||
			    m > PREFIX_TABLE_MAX_VALUE) {
				free(stack);
				return -ENOMEM;
			}
			v->e[i].value = m;
		}
		stack[depth++] = i;
	}
	free(stack);
	return 0;
}

static void advise_huge(void *p, size_t bytes);

static size_t page_round(size_t bytes)
{
	return (bytes + 4095) & ~(size_t)4095;
}

/* Node and leaf arrays live in their own mappings, grown with mremap and
 * advised to use huge pages before they are touched, so that a big table
 * is backed by 2 MB pages from the first fault (khugepaged would take
 * minutes) and random lookups miss the TLB far less. */
static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t c = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > UINT32_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (*p)
		q = mremap(*p, page_round((size_t)*cap * size),
			   page_round((size_t)c * size), MREMAP_MAYMOVE);
	else
		q = mmap(NULL, page_round((size_t)c * size),
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (q == MAP_FAILED)
		return -ENOMEM;
	advise_huge(q, page_round((size_t)c * size));
	*p = q;
	*cap = c;
	return 0;
}

static void big_free(void *p, uint32_t cap, size_t size)
{
	if (p)
		munmap(p, page_round((size_t)cap * size));
}

/* Large tables gain from transparent huge pages (fewer TLB misses on
 * random lookups); advisory only, so errors are ignored. p is a whole
 * mapping: advising all of it keeps it one VMA (a part would split it,
 * and mremap refuses ranges over several VMAs). */
static void advise_huge(void *p, size_t bytes)
{
	(void)madvise(p, page_round(bytes), MADV_HUGEPAGE);
}

/* Zeroed, page-aligned memory for a top array (freed with munmap). */
static uint32_t *alloc_big(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	advise_huge(p, bytes);
	return p;
}

static int alloc_nodes(struct pt_trie *t, uint32_t n, uint32_t *first)
{
	int err = grow((void **)&t->nodes, &t->cap_nodes, t->n_nodes + n,
		       sizeof(*t->nodes));

	if (err)
		return err;
	*first = t->n_nodes;
	t->n_nodes += n;
	return 0;
}

/* Slot values of a block of 2^stride slots at offset off from the prefixes
 * e[lo..hi) (all longer than off): short ones expand, the long ones' ranges
 * per slot go to clo/chi (chi == clo: no child). */
static void fill_slots(const struct pt_ent *e, size_t lo, size_t hi,
		       unsigned off, unsigned stride, uint32_t inherited,
		       uint32_t *val, uint8_t *len, size_t *clo, size_t *chi)
{
	unsigned nslots = 1u << stride;

	for (unsigned s = 0; s < nslots; s++) {
		val[s] = inherited;
		len[s] = 0;
		clo[s] = chi[s] = 0;
	}
	for (size_t i = lo; i < hi; i++) {
		unsigned s = extract(e[i].key, off, stride);

		if (e[i].len <= off + stride) {
			unsigned n = 1u << (off + stride - e[i].len);

			for (unsigned k = s; k < s + n; k++) {
				if (e[i].len >= len[k]) {
					val[k] = e[i].value;
					len[k] = e[i].len;
				}
			}
		} else {
			if (clo[s] == chi[s])
				clo[s] = i;
			chi[s] = i + 1;
		}
	}
}

/* Builds node ni at offset off from e[lo..hi) (all longer than off). skip
 * and miss: the path-compressed chain of pass-through nodes above it, which
 * ni takes over (skip 0: none). A pass-through node (one child, every other
 * slot the child's inherited value) is not stored: its stride joins the
 * skip of its child, up to SKIP_MAX bits with one miss value. */
static int build_node(struct pt_trie *t, const struct pt_ent *e, size_t lo,
		      size_t hi, unsigned off, uint32_t inherited, uint32_t ni,
		      uint32_t skip, uint32_t miss)
{
	uint32_t val[1u << STRIDE];
	uint8_t len[1u << STRIDE];
	size_t clo[1u << STRIDE], chi[1u << STRIDE];
	struct pt_node node = { .skip = skip, .miss = miss };
	uint32_t prev = 0, base1 = 0, k = 0;
	bool first = true;
	int err;

	fill_slots(e, lo, hi, off, STRIDE, inherited, val, len, clo, chi);
	node.base0 = t->n_leaves;
	for (unsigned s = 0; s < (1u << STRIDE); s++) {
		if (chi[s] != clo[s]) {
			node.vector |= 1ULL << s;
			continue;
		}
		if (first || val[s] != prev) {
			err = grow((void **)&t->leaves, &t->cap_leaves,
				   t->n_leaves + 1, sizeof(*t->leaves));
			if (err)
				return err;
			node.leafvec |= 1ULL << s;
			t->leaves[t->n_leaves++] = val[s];
			prev = val[s];
			first = false;
		}
	}
	if (__builtin_popcountll(node.vector) == 1 &&
	    t->n_leaves - node.base0 == 1 &&
	    SKIP_LEN(skip) + STRIDE <= SKIP_MAX) {
		unsigned s = (unsigned)__builtin_ctzll(node.vector);
		uint32_t l = t->leaves[node.base0];

		if (val[s] == l && (!skip || l == miss)) {
			/* Pass-through: ni becomes the child, skipping s. */
			t->n_leaves--;
			skip = (SKIP_LEN(skip) + STRIDE) << 24 |
			       SKIP_KEY(skip) << STRIDE | s;
			return build_node(t, e, clo[s], chi[s], off + STRIDE,
					  val[s], ni, skip, l);
		}
	}
	if (!node.vector) {
		/* Leaves only: inline when they fit (struct pt_node). */
		uint32_t nl = t->n_leaves - node.base0;
		const uint32_t *lv = &t->leaves[node.base0];

		if (nl < 3 || (nl == 3 && lv[2] == lv[0])) {
			node.base1 = nl > 1 ? lv[1] : 0;
			node.base0 = INLINE_FLAG | lv[0];
			t->n_leaves -= nl;
		}
		t->nodes[ni] = node;
		return 0;
	}
	err = alloc_nodes(t, (uint32_t)__builtin_popcountll(node.vector),
			  &base1);
	if (err)
		return err;
	node.base1 = base1;
	t->nodes[ni] = node;
	for (unsigned s = 0; s < (1u << STRIDE); s++) {
		if (!(node.vector & (1ULL << s)))
			continue;
		err = build_node(t, e, clo[s], chi[s], off + STRIDE, val[s],
				 base1 + k++, 0, 0);
		if (err)
			return err;
	}
	return 0;
}

/* The top array: prefixes of at most top_bits bits are written in sorted
 * order, so a later one overlapping an earlier one is nested in it and
 * rightly overwrites it; a run of longer prefixes under one top slot comes
 * after every prefix covering that slot, so the slot's value is final when
 * the run becomes the slot's child node. */
static int build_trie(struct pt_trie *t, const struct pt_vec *v,
		      unsigned top_bits)
{
	size_t top_slots = (size_t)1 << top_bits;
	size_t i = 0;

	t->top_bits = top_bits;
	t->popcnt = cpu_has_popcnt();
	t->top = alloc_big(top_slots * sizeof(*t->top));
	if (!t->top)
		return -ENOMEM;
	for (size_t s = 0; s < top_slots; s++)
		t->top[s] = LEAF_FLAG | PREFIX_TABLE_NONE;
	while (i < v->n) {
		const struct pt_ent *e = &v->e[i];
		size_t s = extract(e->key, 0, top_bits), j;
		uint32_t ni;
		int err;

		if (e->len <= top_bits) {
			size_t n = (size_t)1 << (top_bits - e->len);

			for (size_t k = s; k < s + n; k++)
				t->top[k] = LEAF_FLAG | e->value;
			i++;
			continue;
		}
		for (j = i + 1; j < v->n && v->e[j].len > top_bits &&
				extract(v->e[j].key, 0, top_bits) == s;
		     j++)
			;
		err = alloc_nodes(t, 1, &ni);
		if (!err)
			err = build_node(t, v->e, i, j, top_bits,
					 t->top[s] & ~LEAF_FLAG, ni, 0, 0);
		if (err)
			return err;
		t->top[s] = ni;
		i = j;
	}
	return 0;
}

static void trie_free(struct pt_trie *t)
{
	if (t->top)
		munmap(t->top, ((size_t)1 << t->top_bits) * sizeof(*t->top));
	big_free(t->nodes, t->cap_nodes, sizeof(*t->nodes));
	big_free(t->leaves, t->cap_leaves, sizeof(*t->leaves));
}

void prefix_table_free(struct prefix_table *t)
{
	if (!t)
		return;
	trie_free(&t->t4);
	trie_free(&t->t6);
	free(t);
}

int prefix_table_build(struct prefix_table_builder *b,
		       prefix_table_merge_fn merge, void *ctx,
		       struct prefix_table **out, struct prefix_table_dup *dup)
{
	struct prefix_table *t;
	int err;

	err = prepare(&b->v4, merge, ctx, dup);
	if (!err)
		err = prepare(&b->v6, merge, ctx, dup);
	if (err)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = build_trie(&t->t4, &b->v4,
			 b->v4.n < SMALL_TABLE ? TOP_SMALL_BITS : TOP4_BITS);
	if (!err)
		err = build_trie(&t->t6, &b->v6,
				 b->v6.n < SMALL_TABLE ? TOP_SMALL_BITS
						       : TOP6_BITS);
	if (err) {
		prefix_table_free(t);
		return err;
	}
	*out = t;
	return 0;
}

/* The walk below the top array; k1 holds key bits 0..63, k2 bits 64..127.
 * Two copies: x86-64 before 2008 lacks POPCNT and the baseline ABI does not
 * assume it, so the build picks the POPCNT copy when the CPU has it (a
 * plain flag, not an ifunc: ifunc resolvers run before sanitizer runtimes
 * start, and TSan crashes in them). */
static inline __attribute__((always_inline)) uint32_t
walk_body(const struct pt_trie *t, uint32_t ni, unsigned off, uint64_t k1,
	  uint64_t k2)
{
	const struct pt_node *n = &t->nodes[ni];

	for (;;) {
		/* 16 <= off < 128 here: both shifts are in range. */
		uint64_t k = off < 64 ? k1 << off | k2 >> (64 - off)
				      : k2 << (off - 64);
		unsigned v, sl = SKIP_LEN(n->skip);
		uint64_t upto;

		if (sl) {
			if ((k >> (64 - sl)) != SKIP_KEY(n->skip))
				return n->miss;
			k <<= sl;
			off += sl;
		}
		v = (unsigned)(k >> (64 - STRIDE));
		upto = (2ULL << v) - 1; /* slots 0..v; wraps at 63 */

		if (!(n->vector & (1ULL << v))) {
			unsigned k = (unsigned)__builtin_popcountll(n->leafvec &
								    upto) -
				     1;

			if (n->base0 & INLINE_FLAG)
				return k & 1 ? n->base1
					     : n->base0 & ~INLINE_FLAG;
			return t->leaves[n->base0 + k];
		}
		n = &t->nodes[n->base1 +
			      __builtin_popcountll(n->vector & upto) - 1];
		off += STRIDE;
	}
}

static uint32_t walk_plain(const struct pt_trie *t, uint32_t ni, unsigned off,
			   uint64_t k1, uint64_t k2)
{
	return walk_body(t, ni, off, k1, k2);
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static uint32_t
walk_popcnt(const struct pt_trie *t, uint32_t ni, unsigned off, uint64_t k1,
	    uint64_t k2)
{
	return walk_body(t, ni, off, k1, k2);
}

static bool cpu_has_popcnt(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("popcnt");
}
#else
#define walk_popcnt walk_plain
static bool cpu_has_popcnt(void)
{
	return false;
}
#endif

static inline uint32_t walk(const struct pt_trie *t, uint32_t ni, unsigned off,
			    uint64_t k1, uint64_t k2)
{
	return t->popcnt ? walk_popcnt(t, ni, off, k1, k2)
			 : walk_plain(t, ni, off, k1, k2);
}

uint32_t prefix_table_lookup4(const struct prefix_table *t, uint32_t addr)
{
	uint32_t e = t->t4.top[addr >> (32 - t->t4.top_bits)];

	if (e & LEAF_FLAG)
		return e & ~LEAF_FLAG;
	return walk(&t->t4, e, t->t4.top_bits, (uint64_t)addr << 32, 0);
}

/* One load and a byte swap (a byte loop here stayed a loop: a fifth of
 * the batched IPv6 lookup's time). */
static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

uint32_t prefix_table_lookup6(const struct prefix_table *t,
			      const uint8_t addr[16])
{
	uint64_t hi = load_be64(addr);
	uint32_t e;

	if (hi == 0 && is_v4_mapped(addr))
		return prefix_table_lookup4(t,
					    (uint32_t)addr[12] << 24 |
						    (uint32_t)addr[13] << 16 |
						    (uint32_t)addr[14] << 8 |
						    addr[15]);
	e = t->t6.top[hi >> (64 - t->t6.top_bits)];
	if (e & LEAF_FLAG)
		return e & ~LEAF_FLAG;
	return walk(&t->t6, e, t->t6.top_bits, hi, load_be64(addr + 8));
}

uint32_t prefix_table_lookup(const struct prefix_table *t,
			     const struct flow_addr *a)
{
	if (a->len == 4)
		return prefix_table_lookup4(t, (uint32_t)a->b[0] << 24 |
						       (uint32_t)a->b[1] << 16 |
						       (uint32_t)a->b[2] << 8 |
						       a->b[3]);
	if (a->len == 16)
		return prefix_table_lookup6(t, a->b);
	return PREFIX_TABLE_NONE;
}

/*
 * Batched lookups: a walk is a chain of dependent cache misses (one per
 * level), so one lookup at a time runs at memory latency. LANES lookups
 * advance one level per round in lockstep, each prefetching its next node
 * or leaf, so their misses overlap (group prefetching).
 */
#define LANES 32

struct lane {
	uint64_t k1, k2;
	const struct pt_node *n; /* NULL: the answer is in out */
	const uint32_t *leaf;	 /* set: read it next round */
	unsigned off;
};

/* Starts lane l of a trie from its top entry e. */
static inline __attribute__((always_inline)) void
lane_start(const struct pt_trie *t, struct lane *l, uint32_t e, uint32_t *out)
{
	l->leaf = NULL;
	if (e & LEAF_FLAG) {
		*out = e & ~LEAF_FLAG;
		l->n = NULL;
		return;
	}
	l->n = &t->nodes[e];
	l->off = t->top_bits;
	__builtin_prefetch(l->n);
}

/* Runs lanes 0..m-1 to the end; *out of each receives its value. */
static inline __attribute__((always_inline)) void
lanes_run(const struct pt_trie *t, struct lane *L, unsigned m, uint32_t *out)
{
	unsigned active;

	do {
		active = 0;
		for (unsigned i = 0; i < m; i++) {
			struct lane *l = &L[i];
			const struct pt_node *n = l->n;
			uint64_t k, upto;
			unsigned v, sl;

			if (l->leaf) {
				out[i] = *l->leaf;
				l->leaf = NULL;
				l->n = NULL;
				continue;
			}
			if (!n)
				continue;
			k = l->off < 64
				    ? l->k1 << l->off | l->k2 >> (64 - l->off)
				    : l->k2 << (l->off - 64);
			sl = SKIP_LEN(n->skip);
			if (sl) {
				if ((k >> (64 - sl)) != SKIP_KEY(n->skip)) {
					out[i] = n->miss;
					l->n = NULL;
					continue;
				}
				k <<= sl;
				l->off += sl;
			}
			v = (unsigned)(k >> (64 - STRIDE));
			upto = (2ULL << v) - 1;
			if (n->vector & (1ULL << v)) {
				l->n = &t->nodes[n->base1 +
						 __builtin_popcountll(
							 n->vector & upto) -
						 1];
				l->off += STRIDE;
				__builtin_prefetch(l->n);
			} else {
				unsigned k = (unsigned)__builtin_popcountll(
						     n->leafvec & upto) -
					     1;

				if (n->base0 & INLINE_FLAG) {
					out[i] = k & 1 ? n->base1
						       : n->base0 &
								 ~INLINE_FLAG;
					l->n = NULL;
					continue;
				}
				l->leaf = &t->leaves[n->base0 + k];
				__builtin_prefetch(l->leaf);
			}
			active++;
		}
	} while (active);
}

static inline __attribute__((always_inline)) void
batch4_body(const struct prefix_table *t, const uint32_t *addrs, size_t n,
	    uint32_t *out)
{
	const struct pt_trie *tr = &t->t4;
	unsigned shift = 32 - tr->top_bits;

	/* Every top entry at once: later groups' misses overlap the walks
	 * of the first ones. */
	for (size_t i = 0; i < n; i++)
		__builtin_prefetch(&tr->top[addrs[i] >> shift]);
	for (size_t base = 0; base < n; base += LANES) {
		unsigned m = n - base < LANES ? (unsigned)(n - base) : LANES;
		struct lane L[LANES];

		for (unsigned i = 0; i < m; i++) {
			L[i].k1 = (uint64_t)addrs[base + i] << 32;
			L[i].k2 = 0;
			lane_start(tr, &L[i], tr->top[addrs[base + i] >> shift],
				   &out[base + i]);
		}
		lanes_run(tr, L, m, out + base);
	}
}

static inline __attribute__((always_inline)) void
batch6_body(const struct prefix_table *t, const uint8_t (*addrs)[16], size_t n,
	    uint32_t *out)
{
	const struct pt_trie *tr = &t->t6;
	unsigned shift = 64 - tr->top_bits;

	/* Every top entry at once: later groups' misses overlap the walks
	 * of the first ones. */
	for (size_t i = 0; i < n; i++)
		__builtin_prefetch(&tr->top[load_be64(addrs[i]) >> shift]);
	for (size_t base = 0; base < n; base += LANES) {
		unsigned m = n - base < LANES ? (unsigned)(n - base) : LANES;
		struct lane L[LANES];

		for (unsigned i = 0; i < m; i++) {
			L[i].k1 = load_be64(addrs[base + i]);
			L[i].k2 = load_be64(addrs[base + i] + 8);
		}
		for (unsigned i = 0; i < m; i++) {
			if (L[i].k1 == 0 && is_v4_mapped(addrs[base + i])) {
				out[base + i] =
					prefix_table_lookup4(t,
							     (uint32_t)L[i].k2);
				L[i].n = NULL;
				L[i].leaf = NULL;
				continue;
			}
			lane_start(tr, &L[i], tr->top[L[i].k1 >> shift],
				   &out[base + i]);
		}
		lanes_run(tr, L, m, out + base);
	}
}

static void batch4_plain(const struct prefix_table *t, const uint32_t *addrs,
			 size_t n, uint32_t *out)
{
	batch4_body(t, addrs, n, out);
}

static void batch6_plain(const struct prefix_table *t,
			 const uint8_t (*addrs)[16], size_t n, uint32_t *out)
{
	batch6_body(t, addrs, n, out);
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static void
batch4_popcnt(const struct prefix_table *t, const uint32_t *addrs, size_t n,
	      uint32_t *out)
{
	batch4_body(t, addrs, n, out);
}

__attribute__((target("popcnt"))) static void
batch6_popcnt(const struct prefix_table *t, const uint8_t (*addrs)[16],
	      size_t n, uint32_t *out)
{
	batch6_body(t, addrs, n, out);
}
#else
#define batch4_popcnt batch4_plain
#define batch6_popcnt batch6_plain
#endif

void prefix_table_lookup4_batch(const struct prefix_table *t,
				const uint32_t *addrs, size_t n, uint32_t *out)
{
	if (t->t4.popcnt)
		batch4_popcnt(t, addrs, n, out);
	else
		batch4_plain(t, addrs, n, out);
}

void prefix_table_lookup6_batch(const struct prefix_table *t,
				const uint8_t (*addrs)[16], size_t n,
				uint32_t *out)
{
	if (t->t6.popcnt)
		batch6_popcnt(t, addrs, n, out);
	else
		batch6_plain(t, addrs, n, out);
}

void prefix_table_lookup_addrs(const struct prefix_table *t,
			       const struct flow_addr *const *addrs, size_t n,
			       uint32_t *out)
{
	enum { CHUNK = 64 };
	uint32_t a4[CHUNK], r4[CHUNK], r6[CHUNK];
	uint8_t a6[CHUNK][16];
	uint16_t i4[CHUNK], i6[CHUNK];

	for (size_t base = 0; base < n; base += CHUNK) {
		size_t m = n - base < CHUNK ? n - base : CHUNK;
		unsigned n4 = 0, n6 = 0;

		for (size_t i = 0; i < m; i++) {
			const struct flow_addr *a = addrs[base + i];

			out[base + i] = PREFIX_TABLE_NONE;
			if (a->len == 4) {
				a4[n4] = (uint32_t)a->b[0] << 24 |
					 (uint32_t)a->b[1] << 16 |
					 (uint32_t)a->b[2] << 8 | a->b[3];
				i4[n4++] = (uint16_t)i;
			} else if (a->len == 16) {
				memcpy(a6[n6], a->b, 16);
				i6[n6++] = (uint16_t)i;
			}
		}
		prefix_table_lookup4_batch(t, a4, n4, r4);
		prefix_table_lookup6_batch(t, (const uint8_t(*)[16])a6, n6, r6);
		for (unsigned i = 0; i < n4; i++)
			out[base + i4[i]] = r4[i];
		for (unsigned i = 0; i < n6; i++)
			out[base + i6[i]] = r6[i];
	}
}

size_t prefix_table_bytes(const struct prefix_table *t)
{
	size_t n = sizeof(*t);
	const struct pt_trie *tr[2] = { &t->t4, &t->t6 };

	for (int i = 0; i < 2; i++)
		n += ((size_t)1 << tr[i]->top_bits) * sizeof(uint32_t) +
		     (size_t)tr[i]->cap_nodes * sizeof(struct pt_node) +
		     (size_t)tr[i]->cap_leaves * sizeof(uint32_t);
	return n;
}
