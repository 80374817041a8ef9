/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An append-only arena of NUL-terminated strings for immutable tables:
 * strings never move once added (stable pointers), are freed all at once,
 * and equal strings are stored once (interned), so a table of a million
 * prefixes naming a handful of sites holds each name once.
 */
#ifndef XDPFLOW_ENRICH_STR_ARENA_H
#define XDPFLOW_ENRICH_STR_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct str_arena;

/* A new, empty arena, or NULL (out of memory). */
struct str_arena *str_arena_new(void);

/* Frees a and every string in it (NULL is fine). */
void str_arena_free(struct str_arena *a);

/* A NUL-terminated copy of s[0..len) owned by a (the same pointer for equal
 * strings), or NULL (out of memory, or len of 4 GB or more). s may hold no
 * NUL. */
const char *str_arena_add(struct str_arena *a, const char *s, size_t len);

/* Bytes before each string that hold its length. */
#define STR_ARENA_LEN_SIZE sizeof(uint32_t)

/* The length of s, which str_arena_add returned (and only such a string),
 * without measuring it: the arena stored it just before s. */
static inline uint32_t str_arena_len(const char *s)
{
	uint32_t n;

	memcpy(&n, s - STR_ARENA_LEN_SIZE, sizeof(n));
	return n;
}

/* Bytes held (for reports). */
size_t str_arena_bytes(const struct str_arena *a);

#endif
