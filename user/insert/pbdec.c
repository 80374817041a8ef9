// SPDX-License-Identifier: Apache-2.0
/*
 * FlowMessage framing detection, wire-format validation and arena unpacking
 * for the inserter (see pbdec.h). The validator walks the protobuf wire
 * format with a bounds-checked cursor and knows FlowMessage's field table;
 * it also bounds how much memory protobuf-c will ask for, so an unpack that
 * passed validation cannot run out of arena.
 */
#include "insert/pbdec.h"

#include <errno.h>
#include <stdlib.h>

#include "common/bytes.h"

enum fkind {
	FK_UNKNOWN = 0,
	FK_VARINT,   /* scalar varint */
	FK_TYPE,     /* the FlowType enum (field 1) */
	FK_ADDR,     /* bytes holding an IP address */
	FK_REP,	     /* repeated varint, packed or not */
	FK_REP_ADDR, /* repeated bytes holding IP addresses */
	FK_STR,	     /* string (copybin makes it valid text) */
};

/* Kinds of fields 0..127, indexed by number; xdpflow's own from 1000 up
 * are in field_kind(). */
static const uint8_t kind_lo[128] = {
	[1] = FK_TYPE,	    [3] = FK_VARINT,	 [4] = FK_VARINT,
	[9] = FK_VARINT,    [10] = FK_VARINT,	 [13] = FK_VARINT,
	[14] = FK_VARINT,   [15] = FK_VARINT,	 [16] = FK_VARINT,
	[17] = FK_VARINT,   [18] = FK_VARINT,	 [19] = FK_VARINT,
	[20] = FK_VARINT,   [21] = FK_VARINT,	 [22] = FK_VARINT,
	[23] = FK_VARINT,   [24] = FK_VARINT,	 [25] = FK_VARINT,
	[26] = FK_VARINT,   [27] = FK_VARINT,	 [28] = FK_VARINT,
	[29] = FK_VARINT,   [30] = FK_VARINT,	 [31] = FK_VARINT,
	[32] = FK_VARINT,   [33] = FK_VARINT,	 [34] = FK_VARINT,
	[35] = FK_VARINT,   [36] = FK_VARINT,	 [37] = FK_VARINT,
	[38] = FK_VARINT,   [70] = FK_VARINT,	 [71] = FK_VARINT,
	[106] = FK_VARINT,  [110] = FK_VARINT,	 [111] = FK_VARINT,
	[112] = FK_VARINT,  [6] = FK_ADDR,	 [7] = FK_ADDR,
	[11] = FK_ADDR,	    [12] = FK_ADDR,	 [100] = FK_ADDR,
	[80] = FK_REP,	    [81] = FK_REP,	 [101] = FK_REP,
	[102] = FK_REP,	    [103] = FK_REP,	 [104] = FK_REP,
	[82] = FK_REP_ADDR, [105] = FK_REP_ADDR,
};

static inline enum fkind field_kind(uint64_t num)
{
	if (num < 128)
		return (enum fkind)kind_lo[num];
	if (num == 1000 || num == 1001)
		return FK_VARINT; /* sampler_id, sampler_port */
	/* Enrichment (proto/flow.proto): strings 1010-1023 (per side),
	 * 1030-1033 (interfaces), 1040-1045 (exporter); 1034/1035 speeds. */
	if ((num >= 1010 && num <= 1023) || (num >= 1030 && num <= 1033) ||
	    (num >= 1040 && num <= 1045))
		return FK_STR;
	if (num == 1034 || num == 1035)
		return FK_VARINT;
	return FK_UNKNOWN;
}

static bool get_varint_slow(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < 10; i++) {
		const uint8_t *b = cur_take(c, 1);

		if (!b)
			return false;
		if (i == 9 && *b > 1)
			break; /* more than 64 bits */
		x |= (uint64_t)(*b & 0x7f) << (7 * i);
		if (!(*b & 0x80)) {
			*v = x;
			return true;
		}
	}
	c->bad = true;
	return false;
}

/* Reads a varint; the one-byte case (most keys and lengths) inline. */
static inline bool get_varint(struct cur *c, uint64_t *v)
{
	if (c->left && !c->bad && c->p[0] < 0x80) {
		*v = c->p[0];
		c->p++;
		c->left--;
		return true;
	}
	return get_varint_slow(c, v);
}

/* Generous per-item costs of protobuf-c's allocations (arrays, copies,
 * scanned-member slabs, unknown-field records), rounded up to the arena's
 * alignment. */
#define COST_FIELD 64u
#define COST_ITEM 32u

/* Validates one serialized FlowMessage: known fields with their wire types,
 * addresses of 0, 4 or 16 bytes, strings length-delimited; strict also refuses
 * unknown fields and unknown flow types. Returns true if it is well formed and sets *mem to a
 * bound on the unpack memory. */
static bool check_msg(const uint8_t *p, size_t len, bool strict, size_t *mem)
{
	struct cur c = cur_make(p, len);
	size_t est = sizeof(Flowpb__FlowMessage) + 256;

	while (c.left) {
		uint64_t key, v, n;
		enum fkind k;
		struct cur sub;

		if (!get_varint(&c, &key) || (key >> 3) == 0 ||
		    (key >> 3) > 536870911u)
			return false;
		k = field_kind(key >> 3);
		if (k == FK_UNKNOWN && strict)
			return false;
		est += COST_FIELD;
		switch (key & 7) {
		case 0: /* varint */
			if (!get_varint(&c, &v))
				return false;
			if (k == FK_ADDR || k == FK_REP_ADDR || k == FK_STR)
				return false;
			if (k == FK_TYPE && strict && v > 4)
				return false;
			if (k == FK_REP)
				est += COST_ITEM;
			break;
		case 2: /* length-delimited */
			if (!get_varint(&c, &n) || n > c.left)
				return false;
			sub = cur_sub(&c, (size_t)n);
			if (k == FK_VARINT || k == FK_TYPE)
				return false;
			if (k == FK_REP) { /* packed: varints only */
				while (sub.left) {
					if (!get_varint(&sub, &v))
						return false;
					est += COST_ITEM;
				}
				break;
			}
			if ((k == FK_ADDR || k == FK_REP_ADDR) && n != 0 &&
			    n != 4 && n != 16)
				return false;
			/* + 1: protobuf-c's copy of a string ends in NUL */
			est += (size_t)n + 1 + COST_ITEM;
			break;
		case 1: /* fixed64 */
			if (k != FK_UNKNOWN || !cur_skip(&c, 8))
				return false;
			break;
		case 5: /* fixed32 */
			if (k != FK_UNKNOWN || !cur_skip(&c, 4))
				return false;
			break;
		default: /* groups (3, 4) and invalid wire types */
			return false;
		}
		if (c.bad)
			return false;
	}
	*mem = est;
	return true;
}

/* Length-delimited reading: every frame non-empty and valid, covering
 * p[0..len) exactly. Sets *n to the number of frames. */
static bool check_delimited(const uint8_t *p, size_t len, bool strict,
			    size_t cap, size_t *n)
{
	struct cur c = cur_make(p, len);
	size_t count = 0, mem;

	while (c.left) {
		uint64_t fl;
		const uint8_t *f;

		if (!get_varint(&c, &fl) || fl == 0 || fl > c.left)
			return false;
		f = cur_take(&c, (size_t)fl);
		if (!f || !check_msg(f, (size_t)fl, strict, &mem) || mem > cap)
			return false;
		if (++count > PBDEC_MAX_FLOWS)
			return false;
	}
	*n = count;
	return count > 0;
}

static bool check_single(const uint8_t *p, size_t len, bool strict, size_t cap)
{
	size_t mem;

	return check_msg(p, len, strict, &mem) && mem <= cap;
}

int pbdec_classify(const struct pbdec *d, const uint8_t *p, size_t len,
		   enum pbdec_framing *framing, size_t *n, const char **why)
{
	if (!p || len == 0) {
		*why = "empty message";
		return -EBADMSG;
	}
	for (int strict = 1; strict >= 0; strict--) {
		if (check_delimited(p, len, strict, d->cap, n)) {
			*framing = PBDEC_DELIMITED;
			return 0;
		}
		if (check_single(p, len, strict, d->cap)) {
			*framing = PBDEC_SINGLE;
			*n = 1;
			return 0;
		}
	}
	*why = "not a FlowMessage, bare or length-delimited (or too large)";
	return -EBADMSG;
}

/* The arena: bump allocation, 16-byte aligned, reset per FlowMessage. */
static void *arena_alloc(void *opaque, size_t size)
{
	struct pbdec *d = opaque;
	size_t off = (d->used + 15) & ~(size_t)15;

	if (size > d->cap || off > d->cap - size)
		return NULL;
	d->used = off + size;
	return d->arena + off;
}

static void arena_free(void *opaque, void *ptr)
{
	(void)opaque;
	(void)ptr;
}

int pbdec_init(struct pbdec *d, size_t arena_cap)
{
	d->cap = arena_cap ? arena_cap : PBDEC_ARENA_DEFAULT;
	d->used = 0;
	d->arena = malloc(d->cap);
	if (!d->arena)
		return -ENOMEM;
	d->alloc.alloc = arena_alloc;
	d->alloc.free = arena_free;
	d->alloc.allocator_data = d;
	return 0;
}

void pbdec_fini(struct pbdec *d)
{
	if (!d)
		return;
	free(d->arena);
	d->arena = NULL;
	d->cap = d->used = 0;
}

static int unpack_one(struct pbdec *d, const uint8_t *p, size_t len,
		      pbdec_fn fn, void *ctx, const char **why)
{
	Flowpb__FlowMessage *m;
	int rc;

	d->used = 0;
	m = flowpb__flow_message__unpack(&d->alloc, len, p);
	if (!m) {
		*why = "FlowMessage did not unpack";
		return -ENOMEM;
	}
	rc = fn(ctx, m);
	d->used = 0; /* the arena is the only owner: nothing to free */
	if (rc) {
		*why = "row rejected (too large)";
		return -ECANCELED;
	}
	return 0;
}

int pbdec_decode(struct pbdec *d, const uint8_t *p, size_t len, pbdec_fn fn,
		 void *ctx, const char **why)
{
	enum pbdec_framing fr;
	size_t n;
	int rc;

	rc = pbdec_classify(d, p, len, &fr, &n, why);
	if (rc)
		return rc;
	if (fr == PBDEC_SINGLE) {
		rc = unpack_one(d, p, len, fn, ctx, why);
		return rc ? rc : 1;
	}
	/* Framing was validated above; the cursor still guards every read. */
	struct cur c = cur_make(p, len);

	for (size_t i = 0; i < n; i++) {
		uint64_t fl;
		const uint8_t *f;

		if (!get_varint(&c, &fl) || !(f = cur_take(&c, (size_t)fl))) {
			*why = "framing changed under the decoder";
			return -ECANCELED;
		}
		rc = unpack_one(d, f, (size_t)fl, fn, ctx, why);
		if (rc)
			return rc;
	}
	return (int)n;
}
