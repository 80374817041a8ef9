// SPDX-License-Identifier: Apache-2.0
/*
 * relay/stop_watch: a watch ended in time lets the process go on (and can
 * be started again); one left running ends the process with status 1 at
 * its deadline, not before, after logging its message (run in a child).
 */
#include "unit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "relay/stop_watch.h"

static void test_ended_in_time(void **state)
{
	struct stop_watch w = { 0 };

	(void)state;
	stop_watch_end(&w); /* never started: nothing */
	assert_int_equal(stop_watch_start(&w, 200, "must not fire"), 0);
	assert_int_equal(stop_watch_start(&w, 1, "already started"), 0);
	stop_watch_end(&w);
	stop_watch_end(&w);
	assert_int_equal(stop_watch_start(&w, 50, "must not fire"), 0);
	stop_watch_end(&w);
	/* past both deadlines: the process is still here */
	usleep(300 * 1000);
}

static void test_fires_at_deadline(void **state)
{
	int fds[2], status = 0;
	char buf[512] = { 0 };
	uint64_t t0;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	t0 = clock_mono_ns();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct stop_watch w = { 0 };

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		if (stop_watch_start(&w, 150, "watch test: gave up"))
			_exit(3);
		sleep(10); /* a call that does not return */
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((clock_mono_ns() - t0) / CLOCK_NS_PER_MS >= 150);
	assert_true((clock_mono_ns() - t0) / CLOCK_NS_PER_MS < 5000);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "watch test: gave up"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ended_in_time),
		cmocka_unit_test(test_fires_at_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
