// SPDX-License-Identifier: Apache-2.0
/*
 * The stop deadline (see stop_watch.h): a thread waits on a condition
 * variable on the monotonic clock until the deadline or the end.
 */
#include "relay/stop_watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"

static void *watch(void *arg)
{
	struct stop_watch *w = arg;
	struct timespec ts = {
		.tv_sec = (time_t)(w->by_ns / CLOCK_NS_PER_SEC),
		.tv_nsec = (long)(w->by_ns % CLOCK_NS_PER_SEC),
	};
	bool ended;

	pthread_mutex_lock(&w->mu);
	while (!w->ended)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT)
			break;
	ended = w->ended;
	pthread_mutex_unlock(&w->mu);
	if (!ended) {
		pr_err("%s", w->msg);
		_exit(1);
	}
	return NULL;
}

int stop_watch_start(struct stop_watch *w, unsigned ms, const char *msg)
{
	pthread_condattr_t ca;
	int rc;

	if (w->started)
		return 0;
	snprintf(w->msg, sizeof(w->msg), "%s", msg);
	w->ended = false;
	w->by_ns = clock_mono_ns() + (uint64_t)ms * CLOCK_NS_PER_MS;
	rc = pthread_condattr_init(&ca);
	if (rc)
		return -rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (rc)
		return -rc;
	rc = pthread_mutex_init(&w->mu, NULL);
	if (rc) {
		pthread_cond_destroy(&w->cv);
		return -rc;
	}
	rc = pthread_create(&w->thread, NULL, watch, w);
	if (rc) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		return -rc;
	}
	w->started = true;
	return 0;
}

void stop_watch_end(struct stop_watch *w)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->ended = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	w->started = false;
}
