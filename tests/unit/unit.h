/* SPDX-License-Identifier: Apache-2.0 */
/* Common includes for cmocka unit tests, a flow collector sink and small
 * helpers (test addresses, optional strings). */
#ifndef XDPFLOW_TESTS_UNIT_H
#define XDPFLOW_TESTS_UNIT_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/flow.h"

/* A flow_sink that keeps up to UNIT_MAX_FLOWS flows for assertions. */
#define UNIT_MAX_FLOWS 128
struct unit_sink {
	struct flow_sink sink;
	size_t n;
	size_t seen;
	struct flow_rec flows[UNIT_MAX_FLOWS];
};

static void unit_sink_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct unit_sink *u = (struct unit_sink *)s;

	if (u->n < UNIT_MAX_FLOWS)
		u->flows[u->n++] = *rec;
	u->seen++;
}

static inline void unit_sink_init(struct unit_sink *u)
{
	memset(u, 0, sizeof(*u));
	u->sink.emit = unit_sink_emit;
}

/* The flow_addr of a literal IPv4 (4 bytes) or IPv6 (16 bytes) address;
 * anything else fails the test. */
static inline struct flow_addr unit_addr(const char *s)
{
	struct flow_addr a = { 0 };

	if (inet_pton(AF_INET, s, a.b) == 1)
		a.len = 4;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.len = 16;
	else
		fail_msg("bad test address %s", s);
	return a;
}

/* got equals want, or both are NULL. */
static inline void unit_assert_str(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* An enrichment string of s (NULL: absent), as the tables give them. */
/* xorshift64: the tests' deterministic pseudo-random numbers (*s is the
 * state; seed it with anything but 0). */
static inline uint64_t unit_rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static inline struct flow_str unit_fstr(const char *s)
{
	return (struct flow_str){ s, s ? (uint32_t)strlen(s) : 0 };
}

/* got holds want, NUL-terminated at its length, or is absent (len 0) and
 * want NULL. */
static inline void unit_assert_fstr(struct flow_str got, const char *want)
{
	if (!want) {
		assert_int_equal(got.len, 0);
		return;
	}
	assert_non_null(got.s);
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.s, want, got.len);
	assert_int_equal(got.s[got.len], '\0');
}

#endif
