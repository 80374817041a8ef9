// SPDX-License-Identifier: Apache-2.0
/* Unit tests for daemon/run.h, the daemon's event loop: timers fire one
 * period apart in table order and never when disabled, a readable fd calls
 * its handler, a handler or a timer ends the loop, and too many watches
 * are refused. */
#include "unit.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/run.h"

struct ctx {
	struct run_loop *l;
	int fast, slow, off, ready;
	int order[16];
	size_t n_order;
	int efd;
};

static void note(struct ctx *c, int who)
{
	if (c->n_order < 16)
		c->order[c->n_order++] = who;
}

static void fire_fast(void *arg)
{
	struct ctx *c = arg;

	note(c, 1);
	if (++c->fast == 6)
		c->l->stop = true;
}

static void fire_slow(void *arg)
{
	struct ctx *c = arg;

	note(c, 2);
	c->slow++;
}

static void fire_off(void *arg)
{
	((struct ctx *)arg)->off++;
}

static void on_ready(void *arg)
{
	struct ctx *c = arg;
	uint64_t v;

	assert_int_equal(read(c->efd, &v, sizeof(v)), sizeof(v));
	c->ready++;
	c->l->stop = true;
}

static void test_timers(void **state)
{
	struct ctx c = { .efd = -1 };
	struct run_timer t[] = {
		{ "fast", 10 * CLOCK_NS_PER_MS, fire_fast, 0 },
		{ "slow", 25 * CLOCK_NS_PER_MS, fire_slow, 0 },
		{ "off", 0, fire_off, 0 },
	};
	struct run_loop l = { t, 3, NULL, 0, &c, false };
	uint64_t t0 = clock_mono_ns(), dt;

	(void)state;
	c.l = &l;
	assert_int_equal(run_loop(&l), 0);
	dt = clock_mono_ns() - t0;
	assert_int_equal(c.fast, 6);
	/* Six periods of 10 ms, each a period after the last firing. */
	assert_true(dt >= 60 * CLOCK_NS_PER_MS);
	assert_true(dt < 2 * CLOCK_NS_PER_SEC);
	/* The slow one too, each a period after its last firing. */
	assert_true(c.slow >= 1);
	assert_true(c.slow * 25 * CLOCK_NS_PER_MS <= dt);
	assert_int_equal(c.off, 0);
	assert_int_equal(c.order[0], 1);
}

static void test_watch_stops(void **state)
{
	struct ctx c;
	struct run_timer t[] = { { "fast", 5 * CLOCK_NS_PER_MS, fire_fast,
				   0 } };
	struct run_watch w[1];
	struct run_loop l = { t, 1, w, 1, &c, false };
	uint64_t one = 1;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.l = &l;
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(c.efd >= 0);
	w[0] = (struct run_watch){ c.efd, on_ready };
	assert_int_equal(write(c.efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(run_loop(&l), 0);
	assert_int_equal(c.ready, 1);
	/* Stopped by the handler before any timer was due. */
	assert_int_equal(c.fast, 0);
	close(c.efd);
}

static void test_too_many_watches(void **state)
{
	struct run_watch w[RUN_MAX_WATCH + 1];
	struct run_loop l = { NULL, 0, w, RUN_MAX_WATCH + 1, NULL, false };

	(void)state;
	memset(w, 0, sizeof(w));
	assert_int_equal(run_loop(&l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_watch_stops),
		cmocka_unit_test(test_too_many_watches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
