// SPDX-License-Identifier: Apache-2.0
/*
 * Signals through a signalfd (see signals.h): block, read in the loop.
 */
#include "common/signals.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/clock.h"

int signals_open(struct signals *s, const int *sigs, size_t n)
{
	sigset_t old;
	int rc;

	s->fd = -1;
	sigemptyset(&s->set);
	for (size_t i = 0; i < n; i++)
		if (sigaddset(&s->set, sigs[i]))
			return -EINVAL;
	rc = pthread_sigmask(SIG_BLOCK, &s->set, &old);
	if (rc)
		return -rc;
	s->fd = signalfd(-1, &s->set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->fd < 0) {
		rc = -errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int signals_next(struct signals *s)
{
	struct signalfd_siginfo si;
	ssize_t n = read(s->fd, &si, sizeof(si));

	if (n == (ssize_t)sizeof(si))
		return (int)si.ssi_signo;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

int signals_wait(const struct signals *s, uint64_t timeout_ns)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	struct timespec ts = clock_ns_ts(timeout_ns);
	int n = ppoll(&pfd, 1, &ts, NULL);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n > 0;
}

void signals_close(struct signals *s)
{
	if (s && s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}
