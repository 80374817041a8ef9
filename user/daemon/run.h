/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's event loop: one thread waits on a few file descriptors (the
 * signalfd, the workers' "done" eventfd) and fires a table of named
 * periodic timers (output flush, template save, stats report), until a
 * handler or a timer says stop. Everything runs in the calling thread, so
 * handlers and timers need no locks between themselves.
 */
#ifndef XDPFLOW_DAEMON_RUN_H
#define XDPFLOW_DAEMON_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUN_MAX_WATCH 4

/* A periodic timer. period_ns 0 disables it. The first firing is one
 * period after run_loop starts, each next one a period after the last. */
struct run_timer {
	const char *name; /* in debug logs */
	uint64_t period_ns;
	void (*fire)(void *ctx);
	uint64_t due_ns; /* monotonic; set by run_loop */
};

/* A file descriptor whose readability calls ready. */
struct run_watch {
	int fd;
	void (*ready)(void *ctx);
};

struct run_loop {
	struct run_timer *timers;
	size_t n_timers;
	const struct run_watch *watches;
	size_t n_watches; /* at most RUN_MAX_WATCH */
	void *ctx;	  /* passed to every fire and ready */
	bool stop;	  /* set by a fire or ready (same thread) to end */
};

/*
 * Runs l until l->stop is set: waits for the watched fds with the nearest
 * timer's deadline, calls ready for each readable fd, then fire for each
 * timer due (in table order). Returns 0 when stopped, or -errno when
 * waiting failed (-EINVAL: too many watches).
 */
int run_loop(struct run_loop *l);

#endif
