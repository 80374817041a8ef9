// SPDX-License-Identifier: Apache-2.0
/*
 * health_check over workers in every state: none started, one running and
 * recent, one stalled past HEALTH_STALL_NS, finished ones; the reason given
 * when unhealthy. (Kafka reachability is covered by test_publish_kafka and
 * the system test test_health.py.)
 */
#include "unit.h"

#include "daemon/health.h"

#define NOW (1000ULL * 1000000000ULL)

static void set(struct worker *w, uint64_t alive, bool finished)
{
	atomic_store(&w->alive_ns, alive);
	atomic_store(&w->finished, finished);
}

static void test_workers(void **state)
{
	struct worker ws[2];
	struct stats_source src = { .workers = ws, .n_workers = 2 };
	char why[160] = "";

	(void)state;
	memset(ws, 0, sizeof(ws));
	set(&ws[0], 0, false);
	set(&ws[1], 0, false);
	assert_false(health_check(&src, 0, NOW, why, sizeof(why)));
	assert_string_equal(why,
			    "no worker is receiving (2 stopped or stalled)");

	set(&ws[1], NOW - 1000000000ULL, false); /* one second ago */
	assert_true(health_check(&src, 0, NOW, why, sizeof(why)));

	set(&ws[1], NOW - HEALTH_STALL_NS, false); /* stalled */
	assert_false(health_check(&src, 0, NOW, why, sizeof(why)));

	set(&ws[0], NOW, true); /* ended: not receiving */
	assert_false(health_check(&src, 0, NOW, why, sizeof(why)));

	set(&ws[0], NOW, false);
	assert_true(health_check(&src, 0, NOW, why, sizeof(why)));
	src.n_workers = 0;
	assert_false(health_check(&src, 0, NOW, why, sizeof(why)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
