/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow generator of xdpflow-mock: random but plausible flows, as
 * flow-pipeline's mocker makes them and more. Addresses are IPv4 in
 * 198.18.0.0/15 or IPv6 in 2001:db8:0:1::/64, drawn with a skew so a few
 * hosts talk most (top-talker views show something); AS numbers
 * 65000-65002; TCP, UDP and ICMP with common service ports; bytes 0-1499,
 * packets 0-99; a handful of exporters (198.18.0.1, .2, ...) that send
 * NetFlow v9, IPFIX, sFlow v5 and NetFlow v5 (IPv4 only), each with its own
 * sampling rate and counting sequence number; timestamps from the caller's
 * clock. The generator is a seeded xoshiro256** stream: the same seed and
 * the same clock give the same flows. No allocation, no global state.
 */
#ifndef XDPFLOW_MOCK_GEN_H
#define XDPFLOW_MOCK_GEN_H

#include <stdint.h>

#include "common/flow.h"

#define MOCK_MAX_EXPORTERS 64

struct mock_gen_config {
	uint64_t seed;
	unsigned exporters;	/* 1..MOCK_MAX_EXPORTERS */
	unsigned ipv6_percent;	/* share of IPv6 flows, 0..100 */
	uint64_t sampling_rate; /* 0: each exporter its own (1, 100, 512, ...) */
};

struct mock_gen {
	uint64_t s[4];
	struct mock_gen_config cfg;
	uint32_t seq[MOCK_MAX_EXPORTERS];
};

/* Fills cfg with the defaults: seed 1, 4 exporters, 50% IPv6, rates per
 * exporter. */
void mock_gen_config_defaults(struct mock_gen_config *cfg);

/* Starts a generator from cfg (copied). Values out of range are clamped:
 * exporters to 1..MOCK_MAX_EXPORTERS, ipv6_percent to 100. */
void mock_gen_init(struct mock_gen *g, const struct mock_gen_config *cfg);

/*
 * Writes the next flow into rec with time_received now_ns (ns since the
 * Unix epoch) and flow times shortly before it. Only the fields the
 * generator uses are written, every one of them on every call: the others
 * (repeated fields, MACs, VLANs, ...) keep their values, so zero rec once
 * before the first call.
 */
void mock_gen_next(struct mock_gen *g, uint64_t now_ns, struct flow_rec *rec);

#endif
