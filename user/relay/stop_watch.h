/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A deadline for stopping: once started, a thread of its own ends the
 * process with exit status 1, after logging the caller's message, unless
 * the caller ends the watch first. It bounds a stop whose blocking calls
 * do not keep to their own timeouts (librdkafka's transactional calls wait
 * for a coordinator that is gone well past the timeout they are given).
 */
#ifndef XDPFLOW_RELAY_STOP_WATCH_H
#define XDPFLOW_RELAY_STOP_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct stop_watch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, ended;
	uint64_t by_ns; /* CLOCK_MONOTONIC */
	char msg[768];
};

/*
 * Starts the watch: unless stop_watch_end is called within ms
 * milliseconds, logs msg (copied, cut to fit) as an error and calls
 * _exit(1). w is the caller's, left zeroed before the first start; a watch
 * already started is left as it is. Returns 0 or -errno (nothing started).
 */
int stop_watch_start(struct stop_watch *w, unsigned ms, const char *msg);

/* Ends the watch (its thread is joined). Safe on a watch never started;
 * idempotent. */
void stop_watch_end(struct stop_watch *w);

#endif
