// SPDX-License-Identifier: Apache-2.0
/* Unit tests for common/signals.h: a handled signal is blocked and read
 * from the signalfd (never delivered to a handler), one at a time; the
 * wait ends at once on a pending signal and on time without one; SIGPIPE
 * is ignored. */
#include "unit.h"

#include <errno.h>
#include <signal.h>

#include "common/clock.h"
#include "common/signals.h"

static void test_read_in_order(void **state)
{
	static const int sigs[] = { SIGUSR1, SIGHUP };
	struct signals s;
	struct sigaction old;
	uint64_t t0;

	(void)state;
	assert_int_equal(signals_open(&s, sigs, 2), 0);
	assert_true(s.fd >= 0);
	assert_int_equal(signals_next(&s), 0);
	/* Nothing pending: the wait times out, not much early. */
	t0 = clock_mono_ns();
	assert_int_equal(signals_wait(&s, 20 * CLOCK_NS_PER_MS), 0);
	assert_true(clock_mono_ns() - t0 >= 15 * CLOCK_NS_PER_MS);

	assert_int_equal(raise(SIGHUP),
			 0); /* would end the process if not blocked */
	assert_int_equal(raise(SIGUSR1), 0);
	t0 = clock_mono_ns();
	assert_int_equal(signals_wait(&s, 5 * CLOCK_NS_PER_SEC), 1);
	assert_true(clock_mono_ns() - t0 < CLOCK_NS_PER_SEC);
	/* Standard signals come lowest number first. */
	assert_int_equal(signals_next(&s), SIGHUP);
	assert_int_equal(signals_next(&s), SIGUSR1);
	assert_int_equal(signals_next(&s), 0);

	assert_int_equal(sigaction(SIGPIPE, NULL, &old), 0);
	assert_ptr_equal(old.sa_handler, SIG_IGN);

	signals_close(&s);
	assert_int_equal(s.fd, -1);
	signals_close(&s); /* idempotent */
	signals_close(NULL);
}

static void test_bad_signal(void **state)
{
	static const int sigs[] = { 0x7fff };
	struct signals s;

	(void)state;
	assert_int_equal(signals_open(&s, sigs, 1), -EINVAL);
	assert_int_equal(s.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_in_order),
		cmocka_unit_test(test_bad_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
