// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the seen-set of exporter addresses: bounds, what a note
 * returns, IPv4 and IPv4-mapped IPv6 folded into one entry, the slot walk
 * and lookup giving back the addresses noted. (Concurrent notes are
 * tested through the SNMP poller in test_snmp_poll.) */
#include "unit.h"

#include <errno.h>

#include "enrich/seen_set.h"

static void test_new_bounds(void **state)
{
	struct seen_set *s = NULL;

	(void)state;
	assert_int_equal(seen_set_new(0, &s), -EINVAL);
	assert_int_equal(seen_set_new(65537, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(seen_set_new(65536, &s), 0);
	assert_int_equal(seen_set_slots(s), 131072);
	seen_set_free(s);
	assert_int_equal(seen_set_new(3, &s), 0);
	assert_int_equal(seen_set_slots(s), 8);
	seen_set_free(s);
	seen_set_free(NULL);
}

static void test_note_get_find(void **state)
{
	struct seen_set *s;
	struct flow_addr a1 = unit_addr("192.0.2.1"),
			 m1 = unit_addr("::ffff:192.0.2.1"),
			 a2 = unit_addr("2001:db8::7"),
			 a3 = unit_addr("192.0.2.3"),
			 a4 = unit_addr("192.0.2.4"), none = { 0 },
			 odd = { .len = 5 }, got;
	int64_t slot;
	unsigned found = 0;

	(void)state;
	assert_int_equal(seen_set_new(3, &s), 0);
	assert_int_equal(seen_set_note(s, &none), 0);
	assert_int_equal(seen_set_note(s, &odd), 0);
	assert_int_equal(seen_set_count(s), 0);
	assert_int_equal(seen_set_find(s, &a1), -1);
	assert_int_equal(seen_set_note(s, &a1), 1);
	assert_int_equal(seen_set_note(s, &a1), 0);
	assert_int_equal(seen_set_note(s, &m1), 0); /* the same exporter */
	assert_int_equal(seen_set_note(s, &a2), 1);
	assert_int_equal(seen_set_count(s), 2);
	assert_false(seen_set_full(s));

	slot = seen_set_find(s, &m1);
	assert_true(slot >= 0);
	assert_int_equal(seen_set_find(s, &a1), slot);
	assert_true(seen_set_get(s, (uint32_t)slot, &got));
	assert_int_equal(got.len, 4); /* given back as IPv4 */
	assert_memory_equal(got.b, a1.b, 4);
	assert_false(seen_set_get(s, seen_set_slots(s), &got));

	assert_int_equal(seen_set_note(s, &a3), 1);
	assert_int_equal(seen_set_note(s, &a4), -ENOSPC); /* one too many */
	assert_true(seen_set_full(s));
	assert_int_equal(seen_set_note(s, &a1), 0); /* known: still fine */
	assert_int_equal(seen_set_count(s), 3);
	assert_int_equal(seen_set_find(s, &a4), -1);

	/* The walk gives back exactly the three noted. */
	for (uint32_t i = 0; i < seen_set_slots(s); i++) {
		if (!seen_set_get(s, i, &got))
			continue;
		found++;
		if (got.len == 16)
			assert_memory_equal(got.b, a2.b, 16);
		else
			assert_true(!memcmp(got.b, a1.b, 4) ||
				    !memcmp(got.b, a3.b, 4));
	}
	assert_int_equal(found, 3);
	seen_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_note_get_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
