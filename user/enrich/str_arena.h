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

struct str_arena;

/* A new, empty arena, or NULL (out of memory). */
struct str_arena *str_arena_new(void);

/* Frees a and every string in it (NULL is fine). */
void str_arena_free(struct str_arena *a);

/* A NUL-terminated copy of s[0..len) owned by a (the same pointer for equal
 * strings), or NULL (out of memory). s may hold no NUL. */
const char *str_arena_add(struct str_arena *a, const char *s, size_t len);

/* Bytes held (for reports). */
size_t str_arena_bytes(const struct str_arena *a);

#endif
