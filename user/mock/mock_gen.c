// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-mock's flow generator: a seeded xoshiro256** stream (seeded
 * through splitmix64) turned into struct flow_rec fields. Cheap enough for
 * millions of flows per second on one core: a few 64-bit random draws and
 * stores per flow, no division by variables on the common path.
 */
#include "mock/mock_gen.h"

#include <stdbool.h>
#include <string.h>

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next64(struct mock_gen *g)
{
	uint64_t *s = g->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A value in [0, n) from 32 random bits (multiply-shift, no division). */
static uint32_t below(uint32_t r, uint32_t n)
{
	return (uint32_t)(((uint64_t)r * n) >> 32);
}

void mock_gen_config_defaults(struct mock_gen_config *cfg)
{
	*cfg = (struct mock_gen_config){
		.seed = 1,
		.exporters = 4,
		.ipv6_percent = 50,
		.sampling_rate = 0,
	};
}

void mock_gen_init(struct mock_gen *g, const struct mock_gen_config *cfg)
{
	uint64_t x;

	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (g->cfg.exporters < 1)
		g->cfg.exporters = 1;
	if (g->cfg.exporters > MOCK_MAX_EXPORTERS)
		g->cfg.exporters = MOCK_MAX_EXPORTERS;
	if (g->cfg.ipv6_percent > 100)
		g->cfg.ipv6_percent = 100;
	x = cfg->seed;
	for (int i = 0; i < 4; i++)
		g->s[i] = splitmix64(&x);
}

/* Exporter k's protocol and default sampling rate: v9, IPFIX, sFlow, v5,
 * then again. */
static const uint32_t exp_type[4] = { FLOW_TYPE_NETFLOW_V9, FLOW_TYPE_IPFIX,
				      FLOW_TYPE_SFLOW_5, FLOW_TYPE_NETFLOW_V5 };
static const uint64_t exp_rate[4] = { 1, 100, 512, 1 };

/* Destination ports of common services, the first ones the most common. */
static const uint16_t services[16] = { 443, 80,	  53,	22,   123,  8080,
				       25,  993,  3306, 5432, 6379, 8443,
				       389, 1194, 4789, 9092 };

/* A host number in [0, 4096), skewed towards 0: the product of two
 * uniform 12-bit draws, scaled back. */
static uint32_t skewed_host(uint32_t r)
{
	return ((r & 0xfff) * ((r >> 12) & 0xfff)) >> 12;
}

static void set_addr(struct flow_addr *a, bool v6, uint32_t host)
{
	if (v6) {
		/* 2001:db8:0:1::/64, host in the last 32 bits. */
		static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8,
						0x00, 0x00, 0x00, 0x01 };

		a->len = 16;
		memcpy(a->b, pfx, 8);
		memset(a->b + 8, 0, 4);
		a->b[12] = (uint8_t)(host >> 24);
		a->b[13] = (uint8_t)(host >> 16);
		a->b[14] = (uint8_t)(host >> 8);
		a->b[15] = (uint8_t)host;
		return;
	}
	/* 198.18.0.0/15 is 0xc6120000..0xc613ffff. */
	host = 0xc6120000u + (host & 0x1ffff);
	a->len = 4;
	a->b[0] = (uint8_t)(host >> 24);
	a->b[1] = (uint8_t)(host >> 16);
	a->b[2] = (uint8_t)(host >> 8);
	a->b[3] = (uint8_t)host;
}

void mock_gen_next(struct mock_gen *g, uint64_t now_ns, struct flow_rec *rec)
{
	uint64_t r0 = next64(g), r1 = next64(g), r2 = next64(g);
	uint32_t ex = below((uint32_t)r0, g->cfg.exporters);
	uint32_t kind = ex % 4, type = exp_type[kind];
	bool v6 = type != FLOW_TYPE_NETFLOW_V5 &&
		  below((uint32_t)(r0 >> 32), 100) < g->cfg.ipv6_percent;
	uint32_t pr = below((uint32_t)(r1 >> 32), 100);
	uint32_t proto = pr < 70 ? 6 : pr < 95 ? 17 : v6 ? 58 : 1;
	uint64_t dur_ns =
		type == FLOW_TYPE_SFLOW_5
			? 0
			: (uint64_t)below((uint32_t)r2, 60000) * 1000000ULL;
	uint64_t lag_ns =
		type == FLOW_TYPE_SFLOW_5
			? 0
			: (uint64_t)below((uint32_t)(r2 >> 32), 1000) *
				  1000000ULL;
	uint32_t rb = (uint32_t)r1;

	rec->type = type;
	rec->time_received_ns = now_ns;
	rec->time_flow_end_ns = now_ns - lag_ns;
	rec->time_flow_start_ns = now_ns - lag_ns - dur_ns;
	rec->sequence_num = g->seq[ex]++;
	rec->sampling_rate = g->cfg.sampling_rate ? g->cfg.sampling_rate
						  : exp_rate[kind];
	/* Exporters 198.18.0.1, .2, ...: host numbers 1.. of the /15. */
	set_addr(&rec->sampler_address, false, ex + 1);
	rec->observation_domain_id = type == FLOW_TYPE_IPFIX ? 1 : 0;
	rec->etype = v6 ? 0x86dd : 0x0800;
	rec->proto = proto;
	/* Hosts 256 and up, clear of the exporters' numbers. */
	set_addr(&rec->src_addr, v6, 256 + skewed_host((uint32_t)(r0 >> 8)));
	set_addr(&rec->dst_addr, v6,
		 256 + skewed_host((uint32_t)(r1 >> 40) |
				   ((uint32_t)r2 & 0xff000000u) >> 8));
	rec->bytes = below(rb, 1500);
	rec->packets = below(rb * 2654435761u, 100);
	if (proto == 6 || proto == 17) {
		uint32_t rp = (uint32_t)(r2 >> 16);

		rec->src_port = 1024 + below(rp, 64512);
		rec->dst_port = (rp & 0xf) < 10
					? services[skewed_host(rp >> 4) >> 8]
					: 1024 + below(rp * 2246822519u, 64512);
		rec->icmp_type = 0;
		rec->icmp_code = 0;
	} else {
		rec->src_port = 0;
		rec->dst_port = 0;
		rec->icmp_type = (r2 >> 20) & 1 ? (v6 ? 128 : 8)
						: (v6 ? 129 : 0);
		rec->icmp_code = 0;
	}
	rec->tcp_flags = proto == 6 ? (uint32_t)(0x10 | ((r2 >> 40) & 0x0b))
				    : 0;
	rec->ip_tos = ((r2 >> 44) & 7) == 0 ? 0xb8 : 0;
	rec->ip_ttl = 32 + below((uint32_t)(r2 >> 24) * 40503u, 224);
	rec->ipv6_flow_label = v6 ? (uint32_t)(r0 >> 44) & 0xfffff : 0;
	rec->src_as = 65000 + below((uint32_t)(r1 >> 8) * 2654435761u, 3);
	rec->dst_as = 65000 + below((uint32_t)(r1 >> 16) * 2246822519u, 3);
	rec->in_if = 1 + ((r2 >> 48) & 7);
	rec->out_if = 1 + ((r2 >> 51) & 7);
	rec->src_net = v6 ? 64 : 24;
	rec->dst_net = v6 ? 64 : 24;
	rec->forwarding_status = 64; /* forwarded, unknown reason */
}
