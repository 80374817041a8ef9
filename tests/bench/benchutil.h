/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers the benchmark programs share (bench_decode.c, pace_tx.c,
 * udp_replay.c, wire_tx.c): nanosecond clocks, the Internet checksum (RFC
 * 1071), pinning the process to one CPU, and the Ethernet/IPv4/UDP frame
 * the raw senders send. Header-only (static functions) because
 * each benchmark program is built from its one .c file.
 */
#ifndef XDPFLOW_BENCH_BENCHUTIL_H
#define XDPFLOW_BENCH_BENCHUTIL_H

#include <errno.h>
#include <netinet/in.h>
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
/* qsort's comparison of doubles (for medians). */
static inline int bu_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The N of a "Key: N kB" line of a /proc file (e.g. /proc/self/status,
 * VmRSS), or -1. */
static inline long bu_proc_kb(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256];
	size_t kl = strlen(key);
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':' &&
		    sscanf(line + kl + 1, "%ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

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

/* Ethernet + IPv4 + UDP header bytes before a frame's payload */
#define BU_FRAME_HDRS (14 + 20 + 8)

/* Parses "aa:bb:cc:dd:ee:ff" into mac. 0, or -1 if s is not a MAC. */
static inline int bu_parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

/* Writes an Ethernet/IPv4/UDP frame from src_mac/src:sport to
 * dst_mac/dst:dport carrying pl_len bytes of pl into f (room for
 * BU_FRAME_HDRS + pl_len bytes; pl_len at most 1472), with both checksums
 * and DF set. Returns the frame's length. */
static inline size_t bu_udp_frame(uint8_t *f, const uint8_t *dst_mac,
				  const uint8_t *src_mac, struct in_addr src,
				  struct in_addr dst, uint16_t sport,
				  uint16_t dport, const uint8_t *pl,
				  size_t pl_len)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t tl = (uint16_t)(20 + 8 + pl_len), ul = (uint16_t)(8 + pl_len);
	uint8_t pseudo[12];
	uint32_t sum = 0;
	uint16_t c;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tl >> 8);
	ip[3] = (uint8_t)tl;
	ip[6] = 0x40; /* DF: never a fragment */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = bu_csum(ip, 20, 0);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ul >> 8);
	udp[5] = (uint8_t)ul;
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, pl, pl_len);
	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(ul >> 8);
	pseudo[11] = (uint8_t)ul;
	for (size_t i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	c = bu_csum(udp, ul, sum);
	if (!c)
		c = 0xffff;
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;
	return BU_FRAME_HDRS + pl_len;
}

#endif
