/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Big-endian reads from packet buffers, and a bounds-checked cursor. The
 * *_at helpers do no checking: callers must have checked the length first.
 * struct cur is the checked way: every read fails (returns false and sets
 * c->bad) once the buffer is exhausted, so decoders test once per record.
 */
#ifndef XDPFLOW_COMMON_BYTES_H
#define XDPFLOW_COMMON_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t be64_at(const uint8_t *p)
{
	return (uint64_t)be32_at(p) << 32 | be32_at(p + 4);
}

/* Unsigned big-endian integer of 1..8 bytes (reduced-size encoding). */
static inline uint64_t beN_at(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

struct cur {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline struct cur cur_make(const uint8_t *p, size_t len)
{
	struct cur c = { p, len, false };
	return c;
}

/* Returns a pointer to the next n bytes and advances, or NULL. */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || c->left < n) {
		c->bad = true;
		return NULL;
	}
	p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
	return cur_take(c, n) != NULL;
}

static inline uint8_t cur_u8(struct cur *c)
{
	const uint8_t *p = cur_take(c, 1);
	return p ? p[0] : 0;
}

static inline uint16_t cur_be16(struct cur *c)
{
	const uint8_t *p = cur_take(c, 2);
	return p ? be16_at(p) : 0;
}

static inline uint32_t cur_be32(struct cur *c)
{
	const uint8_t *p = cur_take(c, 4);
	return p ? be32_at(p) : 0;
}

static inline uint64_t cur_be64(struct cur *c)
{
	const uint8_t *p = cur_take(c, 8);
	return p ? be64_at(p) : 0;
}

/* A sub-cursor over the next n bytes; the parent advances past them. */
static inline struct cur cur_sub(struct cur *c, size_t n)
{
	const uint8_t *p = cur_take(c, n);
	struct cur s = { p, p ? n : 0, p == NULL };
	return s;
}

#endif
