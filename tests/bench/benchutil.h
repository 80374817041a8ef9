/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers the benchmark programs share (bench_decode.c, pace_tx.c,
 * udp_replay.c): nanosecond clocks, the Internet checksum (RFC 1071) and
 * pinning the process to one CPU. Header-only (static functions) because
 * each benchmark program is built from its one .c file.
 */
#ifndef XDPFLOW_BENCH_BENCHUTIL_H
#define XDPFLOW_BENCH_BENCHUTIL_H

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Clock id's time in nanoseconds. */
static inline uint64_t bu_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t bu_now_ns(void)
{
	return bu_clock_ns(CLOCK_MONOTONIC);
}

/* The Internet checksum of n bytes at p, folded onto sum (a pseudo-header's
 * partial sum, or 0); an odd last byte is padded with a zero. */
static inline uint16_t bu_csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pins the calling process to cpu. 0, or -1 after saying why on stderr,
 * prefixed with prog. */
static inline int bu_pin_cpu(int cpu, const char *prog)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "%s: could not pin to CPU %d: %s\n", prog, cpu,
			strerror(errno));
		return -1;
	}
	return 0;
}

#endif
