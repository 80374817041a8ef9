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
	FK_REP,      /* repeated varint, packed or not */
	FK_REP_ADDR, /* repeated bytes holding IP addresses */
};

static enum fkind field_kind(uint64_t num)
{
	switch (num) {
	case 1:
		return FK_TYPE;
	case 3: case 4: case 9: case 10: case 13: case 14: case 15: case 16:
	case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 24:
	case 25: case 26: case 27: case 28: case 29: case 30: case 31: case 32:
	case 33: case 34: case 35: case 36: case 37: case 38: case 70: case 71:
	case 106: case 110: case 111: case 112: case 1000: case 1001:
		return FK_VARINT;
	case 6: case 7: case 11: case 12: case 100:
		return FK_ADDR;
	case 80: case 81: case 101: case 102: case 103: case 104:
		return FK_REP;
	case 82: case 105:
		return FK_REP_ADDR;
	default:
		return FK_UNKNOWN;
	}
}

static bool get_varint(struct cur *c, uint64_t *v)
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

/* Generous per-item costs of protobuf-c's allocations (arrays, copies,
 * scanned-member slabs, unknown-field records), rounded up to the arena's
 * alignment. */
#define COST_FIELD 64u
#define COST_ITEM 32u

/* Validates one serialized FlowMessage: known fields with their wire types,
 * addresses of 0, 4 or 16 bytes; strict also refuses unknown fields and
 * unknown flow types. Returns true if it is well formed and sets *mem to a
 * bound on the unpack memory. */
static bool check_msg(const uint8_t *p, size_t len, bool strict, size_t *mem)
{
	struct cur c = cur_make(p, len);
	size_t est = sizeof(Flowpb__FlowMessage) + 256;

	while (c.left) {
		uint64_t key, v, n;
		enum fkind k;
		struct cur sub;

		if (!get_varint(&c, &key) || (key >> 3) == 0 || (key >> 3) > 536870911u)
			return false;
		k = field_kind(key >> 3);
		if (k == FK_UNKNOWN && strict)
			return false;
		est += COST_FIELD;
		switch (key & 7) {
		case 0: /* varint */
			if (!get_varint(&c, &v))
				return false;
			if (k == FK_ADDR || k == FK_REP_ADDR)
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
			if ((k == FK_ADDR || k == FK_REP_ADDR) && n != 0 && n != 4 && n != 16)
				return false;
			est += (size_t)n + COST_ITEM;
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
