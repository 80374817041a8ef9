/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one signal path of every xdpflow program: the signals a program
 * handles are blocked (in the thread that opens them, and so in every
 * thread it starts afterwards) and read from a signalfd in the program's
 * own loop, never in a handler. SIGPIPE is ignored, so a closed pipe is an
 * EPIPE to handle, not a death with XDP attached or output unflushed.
 */
#ifndef XDPFLOW_COMMON_SIGNALS_H
#define XDPFLOW_COMMON_SIGNALS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct signals {
	int fd; /* signalfd, non-blocking; -1 when closed */
	sigset_t set;
};

/*
 * Blocks the n signals in sigs in the calling thread (call it before
 * starting threads), ignores SIGPIPE and opens the signalfd. Returns 0, or
 * -errno with s->fd == -1 (the mask is then left as it was).
 */
int signals_open(struct signals *s, const int *sigs, size_t n);

/* The next pending signal's number, 0 when none is pending, or -errno. */
int signals_next(struct signals *s);

/*
 * Waits at most timeout_ns for a signal to be pending (a wait that a
 * signal cuts short at once). Returns 1 when one is, 0 on timeout, or
 * -errno. Reads nothing: signals_next then says which.
 */
int signals_wait(const struct signals *s, uint64_t timeout_ns);

/* Closes the signalfd (the signals stay blocked). NULL-safe, idempotent. */
void signals_close(struct signals *s);

#endif
