/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one nanosecond clock helper of user/: wall-clock time (flow and
 * datagram timestamps, which leave the process) and monotonic time
 * (intervals, deadlines, rate limits, which must not jump with the wall
 * clock). Inline, because the receive paths read the clock once per batch.
 */
#ifndef XDPFLOW_COMMON_CLOCK_H
#define XDPFLOW_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CLOCK_NS_PER_SEC 1000000000ULL
#define CLOCK_NS_PER_MS 1000000ULL

/* A timespec as nanoseconds. */
static inline uint64_t clock_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * CLOCK_NS_PER_SEC + (uint64_t)ts->tv_nsec;
}

/* Nanoseconds as a timespec (for absolute sleeps and timeouts). */
static inline struct timespec clock_ns_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / CLOCK_NS_PER_SEC),
				  .tv_nsec = (long)(ns % CLOCK_NS_PER_SEC) };
}

/* CLOCK_REALTIME in ns since the Unix epoch. */
static inline uint64_t clock_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return clock_ts_ns(&ts);
}

/* CLOCK_MONOTONIC in ns (arbitrary origin; only differences mean
 * anything). */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return clock_ts_ns(&ts);
}

#endif
