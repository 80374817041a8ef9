// SPDX-License-Identifier: Apache-2.0
/*
 * The daemon's event loop (see run.h): poll on the watched fds with the
 * nearest timer deadline as timeout, then the handlers, then the timers.
 */
#include "daemon/run.h"

#include <errno.h>
#include <poll.h>

#include "common/clock.h"

/* Milliseconds until the nearest enabled timer (rounded up, so a wake is
 * never early), or -1 when none is enabled. */
static int timeout_ms(const struct run_loop *l, uint64_t now)
{
	uint64_t best = UINT64_MAX;

	for (size_t i = 0; i < l->n_timers; i++) {
		const struct run_timer *t = &l->timers[i];

		if (t->period_ns && t->due_ns < best)
			best = t->due_ns;
	}
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	best = (best - now + CLOCK_NS_PER_MS - 1) / CLOCK_NS_PER_MS;
	return best > 60000 ? 60000 : (int)best;
}

int run_loop(struct run_loop *l)
{
	struct pollfd pfd[RUN_MAX_WATCH];
	uint64_t now = clock_mono_ns();

	if (l->n_watches > RUN_MAX_WATCH)
		return -EINVAL;
	for (size_t i = 0; i < l->n_timers; i++)
		l->timers[i].due_ns = now + l->timers[i].period_ns;
	for (size_t i = 0; i < l->n_watches; i++)
		pfd[i] = (struct pollfd){ .fd = l->watches[i].fd,
					  .events = POLLIN };

	while (!l->stop) {
		int n = poll(pfd, l->n_watches, timeout_ms(l, now));

		if (n < 0 && errno != EINTR)
			return -errno;
		for (size_t i = 0; n > 0 && i < l->n_watches && !l->stop; i++)
			if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
				l->watches[i].ready(l->ctx);
		now = clock_mono_ns();
		for (size_t i = 0; i < l->n_timers && !l->stop; i++) {
			struct run_timer *t = &l->timers[i];

			if (!t->period_ns || now < t->due_ns)
				continue;
			t->fire(l->ctx);
			t->due_ns = now + t->period_ns;
		}
	}
	return 0;
}
