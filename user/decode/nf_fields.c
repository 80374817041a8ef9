// SPDX-License-Identifier: Apache-2.0
/*
 * NetFlow v9/IPFIX records to struct flow_rec. Templates are compiled once
 * (nf_compile.c gives each field a handler id, checked against the field's
 * length); decoding a record is then a loop over the compiled steps of a
 * fixed-layout template, or a checked walk for templates with IPFIX
 * variable-length fields. The handlers follow GoFlow2 v2.2.6's producer so
 * both emit the same flows; elements GoFlow2 ignores but an operator
 * expects (85/86, 252/253, 243, 256, 192, 53) only fill a field the
 * GoFlow2-mapped element left empty. Also here: the set walk shared by
 * NetFlow v9 and IPFIX, options records feeding the sampling rates, and
 * the data sets held in nf_state until their template arrives: held,
 * dropped and expired (counted here), replayed (decoded here).
 */
#include "decode/nf_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"
#include "decode/nf_compile.h"
#include "decode/nf_section.h"

/* What a record carried besides flow_rec fields (times, sampling). */
enum {
	AUX_SAMPLER = 1 << 0,
	AUX_S34 = 1 << 1,
	AUX_S50 = 1 << 2,
	AUX_S305 = 1 << 3,
	AUX_S306 = 1 << 4,
	AUX_FIRST = 1 << 5,
	AUX_LAST = 1 << 6,
	AUX_SYSINIT = 1 << 7,
	AUX_ABS_START = 1 << 8,
	AUX_ABS_END = 1 << 9,
	AUX_ETHERTYPE = 1 << 10,
	AUX_FRAME_SIZE = 1 << 13, /* 312 */
	AUX_SECTION = 1 << 14,	  /* 315, 313 or 104 */
	AUX_S309 = 1 << 15,
	AUX_S310 = 1 << 16,
	AUX_S311 = 1 << 17,
	AUX_SCOPE_IF = 1 << 18,
	AUX_S304 = 1 << 19,
	AUX_REV_TCP = 1 << 20,
};

/* selectorAlgorithm (304) values, IANA's PSAMP registry (RFC 5477). */
enum {
	SEL_COUNT_SYSTEMATIC = 1, /* samplingPacketInterval/Space 305/306 */
	SEL_RANDOM_N_OF_N = 3,	  /* samplingSize/Population 309/310 */
	SEL_UNIFORM_PROB = 4,	  /* samplingProbability 311 */
};

struct nf_aux {
	uint32_t flags;
	uint32_t sampler_id;
	uint32_t first, last;
	uint32_t ethertype;
	uint64_t s34, s50, s304, s305, s306, s309, s310;
	double s311;
	uint32_t scope_if;
	uint64_t sysinit_ms;
	uint16_t ctr_have; /* bit i: ctr[i] (enum nf_ctr) was in the record */
	uint64_t ctr[16];
	uint64_t rev_bytes, rev_packets; /* the reverse direction's */
	uint32_t rev_tcp_flags;
	uint64_t frame_size;
	const uint8_t *sec; /* the sampled packet section, in the record */
	size_t sec_len;
	enum pkt_hdr_start sec_start;
};

static inline uint64_t rd(const uint8_t *v, size_t l)
{
	switch (l) {
	case 1:
		return v[0];
	case 2:
		return be16_at(v);
	case 4:
		return be32_at(v);
	case 8:
		return be64_at(v);
	}
	return beN_at(v, l);
}

static bool all_zero(const uint8_t *v, size_t l)
{
	for (size_t i = 0; i < l; i++)
		if (v[i])
			return false;
	return true;
}

/* An address of l = 4 or 16 bytes into a, in constant-size copies (a
 * variable one is a call into libc per address). */
static inline void put_addr(struct flow_addr *a, const uint8_t *v, size_t l)
{
	a->len = (uint8_t)l;
	if (l == 4)
		memcpy(a->b, v, 4);
	else
		memcpy(a->b, v, 16);
}

/* GoFlow2's addrReplaceCheck: a later non-zero address replaces. */
static void set_addr(struct flow_rec *r, struct flow_addr *a, const uint8_t *v,
		     size_t l)
{
	if (a->len && all_zero(v, l))
		return;
	put_addr(a, v, l);
	r->etype = l == 16 ? 0x86dd : 0x0800;
}

static uint64_t ntp_ns(uint64_t ntp)
{
	uint64_t secs = ntp >> 32;
	uint64_t frac = ((ntp & 0xffffffffu) * 1000000000ULL) >> 32;

	if (secs < 2208988800ULL)
		return 0;
	return (secs - 2208988800ULL) * 1000000000ULL + frac;
}

static uint64_t sub_clamp(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Applies one element of length l (1..65535) to the record. */
static inline __attribute__((always_inline)) void
apply(struct flow_rec *r, struct nf_aux *x, uint8_t op, uint8_t arg,
      const uint8_t *v, size_t l, uint64_t base_ns)
{
	uint64_t n;

	if (op >= OP_SRC4 && op <= OP_DST6) {
		if ((op <= OP_DST4 && l != 4) || (op >= OP_SRC6 && l != 16))
			return;
		set_addr(r,
			 (op == OP_SRC4 || op == OP_SRC6) ? &r->src_addr
							  : &r->dst_addr,
			 v, l);
		return;
	}
	if (op == OP_NEXT_HOP || op == OP_BGP_NEXT_HOP || op == OP_MPLS_IP) {
		struct flow_addr *a;

		if (l != 4 && l != 16)
			return;
		if (op == OP_MPLS_IP) {
			if (r->n_mpls_ip >= FLOW_MAX_MPLS)
				return;
			a = &r->mpls_ip[r->n_mpls_ip++];
		} else {
			a = op == OP_NEXT_HOP ? &r->next_hop : &r->bgp_next_hop;
		}
		put_addr(a, v, l);
		return;
	}
	if (l == 0 || l > 8) {
		/* A sampled packet section (shorter ones hold no header worth
		 * parsing), or a variable-length integer we cannot hold. Out
		 * of the way of the integers: checked per field. */
		if (l > 8 && (op == OP_L2_SECTION || op == OP_IP_SECTION)) {
			x->flags |= AUX_SECTION;
			x->sec = v;
			x->sec_len = l;
			x->sec_start = op == OP_L2_SECTION ? PKT_HDR_ETHERNET
							   : PKT_HDR_IP;
		}
		return;
	}
	n = rd(v, l);
	switch (op) {
	case OP_COUNTER:
		x->ctr_have |= (uint16_t)(1u << arg);
		x->ctr[arg] = n;
		break;
	case OP_PROTO:
		r->proto = (uint8_t)n;
		break;
	case OP_TOS:
		r->ip_tos = (uint8_t)n;
		break;
	case OP_TCP_FLAGS:
		r->tcp_flags = (uint32_t)n;
		break;
	case OP_REV_FLAGS:
		x->flags |= AUX_REV_TCP;
		x->rev_tcp_flags = (uint32_t)n;
		break;
	case OP_SRC_PORT:
		r->src_port = (uint16_t)n;
		break;
	case OP_DST_PORT:
		r->dst_port = (uint16_t)n;
		break;
	case OP_SRC_MASK:
		r->src_net = (uint32_t)n;
		break;
	case OP_DST_MASK:
		r->dst_net = (uint32_t)n;
		break;
	case OP_IN_IF:
		r->in_if = (uint32_t)n;
		break;
	case OP_OUT_IF:
		r->out_if = (uint32_t)n;
		break;
	case OP_IN_PHYS:
		if (!r->in_if)
			r->in_if = (uint32_t)n;
		break;
	case OP_OUT_PHYS:
		if (!r->out_if)
			r->out_if = (uint32_t)n;
		break;
	case OP_SRC_AS:
		r->src_as = (uint32_t)n;
		break;
	case OP_DST_AS:
		r->dst_as = (uint32_t)n;
		break;
	case OP_FLOW_LABEL:
		r->ipv6_flow_label = (uint32_t)n;
		break;
	case OP_ICMP_TC:
		r->icmp_type = (uint32_t)(n >> 8) & 0xff;
		r->icmp_code = (uint32_t)n & 0xff;
		break;
	case OP_ICMP_TYPE:
		r->icmp_type = (uint32_t)n;
		break;
	case OP_ICMP_CODE:
		r->icmp_code = (uint32_t)n;
		break;
	case OP_TTL:
		r->ip_ttl = (uint32_t)n;
		break;
	case OP_TTL_ALT:
		if (!r->ip_ttl)
			r->ip_ttl = (uint32_t)n;
		break;
	case OP_FRAG_ID:
		r->fragment_id = (uint32_t)n;
		break;
	case OP_FRAG_OFF:
		r->fragment_offset = (uint32_t)n;
		break;
	case OP_FRAG_FLAGS:
		r->ip_flags = (uint32_t)n >> 5;
		break;
	case OP_SRC_MAC:
		r->src_mac = n;
		break;
	case OP_DST_MAC:
		r->dst_mac = n;
		break;
	case OP_SRC_VLAN:
		r->src_vlan = r->vlan_id = (uint32_t)n;
		break;
	case OP_DST_VLAN:
		r->dst_vlan = (uint32_t)n;
		break;
	case OP_DOT1Q_VLAN:
		if (!r->vlan_id)
			r->vlan_id = (uint32_t)n;
		break;
	case OP_IP_VERSION:
		if (n == 4)
			r->etype = 0x0800;
		else if (n == 6)
			r->etype = 0x86dd;
		break;
	case OP_ETHERTYPE:
		x->flags |= AUX_ETHERTYPE;
		x->ethertype = (uint16_t)n;
		break;
	case OP_MPLS_LABEL:
		while (r->n_mpls <= arg) {
			r->mpls_label[r->n_mpls] = 0;
			r->mpls_ttl[r->n_mpls++] = 0;
		}
		r->mpls_label[arg] = (uint32_t)n >> 4;
		break;
	case OP_FWD_STATUS:
		r->forwarding_status = (uint32_t)n;
		break;
	case OP_OBS_POINT:
		r->observation_point_id = (uint32_t)n;
		break;
	case OP_OBS_DOMAIN:
		r->observation_domain_id = (uint32_t)n;
		break;
	case OP_SAMPLER_ID:
		x->flags |= AUX_SAMPLER;
		x->sampler_id = r->sampler_id = (uint32_t)n;
		break;
	case OP_SAMPLING_34:
		x->flags |= AUX_S34;
		x->s34 = n;
		break;
	case OP_SAMPLING_50:
		x->flags |= AUX_S50;
		x->s50 = n;
		break;
	case OP_SEL_ALGO:
		x->flags |= AUX_S304;
		x->s304 = n;
		break;
	case OP_PKT_INTERVAL:
		x->flags |= AUX_S305;
		x->s305 = n;
		break;
	case OP_PKT_SPACE:
		x->flags |= AUX_S306;
		x->s306 = n;
		break;
	case OP_SAMP_SIZE:
		x->flags |= AUX_S309;
		x->s309 = n;
		break;
	case OP_SAMP_POP:
		x->flags |= AUX_S310;
		x->s310 = n;
		break;
	case OP_SAMP_PROB:
		if (l == 8) {
			double d;

			memcpy(&d, &n, sizeof(d));
			x->s311 = d;
		} else if (l == 4) {
			uint32_t w = (uint32_t)n;
			float fl;

			memcpy(&fl, &w, sizeof(fl));
			x->s311 = fl;
		} else {
			break;
		}
		x->flags |= AUX_S311;
		break;
	case OP_SCOPE_IF:
		x->flags |= AUX_SCOPE_IF;
		x->scope_if = (uint32_t)n;
		break;
	case OP_FIRST_SW:
		x->flags |= AUX_FIRST;
		x->first = (uint32_t)n;
		break;
	case OP_LAST_SW:
		x->flags |= AUX_LAST;
		x->last = (uint32_t)n;
		break;
	case OP_SYSINIT:
		x->flags |= AUX_SYSINIT;
		x->sysinit_ms = n;
		break;
	case OP_START_S:
		x->flags |= AUX_ABS_START;
		r->time_flow_start_ns = n * 1000000000ULL;
		break;
	case OP_END_S:
		x->flags |= AUX_ABS_END;
		r->time_flow_end_ns = n * 1000000000ULL;
		break;
	case OP_START_MS:
		x->flags |= AUX_ABS_START;
		r->time_flow_start_ns = n * 1000000ULL;
		break;
	case OP_END_MS:
		x->flags |= AUX_ABS_END;
		r->time_flow_end_ns = n * 1000000ULL;
		break;
	case OP_START_NTP:
		x->flags |= AUX_ABS_START;
		r->time_flow_start_ns = ntp_ns(n);
		break;
	case OP_END_NTP:
		x->flags |= AUX_ABS_END;
		r->time_flow_end_ns = ntp_ns(n);
		break;
	case OP_START_DUS:
		x->flags |= AUX_ABS_START;
		r->time_flow_start_ns = sub_clamp(base_ns, n * 1000);
		break;
	case OP_END_DUS:
		x->flags |= AUX_ABS_END;
		r->time_flow_end_ns = sub_clamp(base_ns, n * 1000);
		break;
	case OP_FRAME_SIZE:
		x->flags |= AUX_FRAME_SIZE;
		x->frame_size = n;
		break;
	}
}

/* Whether the record's selectorAlgorithm (304), when it has one, is alg:
 * the PSAMP elements 305/306, 309/310 and 311 give a rate only for their
 * own algorithm. Without 304 each is read as today (GoFlow2's way). */
static bool aux_algo_is(const struct nf_aux *x, uint64_t alg)
{
	return !(x->flags & AUX_S304) || x->s304 == alg;
}

/* The sampling rate a record carries itself, GoFlow2's order: 305, 50, 34,
 * then 309/310 and 311. */
static uint64_t aux_rate(const struct nf_aux *x)
{
	if (!(x->flags &
	      (AUX_S305 | AUX_S50 | AUX_S34 | AUX_S309 | AUX_S310 | AUX_S311)))
		return 0; /* most records */
	/* Systematic count-based: interval packets taken, space skipped. */
	if ((x->flags & AUX_S305) && aux_algo_is(x, SEL_COUNT_SYSTEMATIC)) {
		if ((x->flags & AUX_S306) && x->s305)
			return (x->s305 + x->s306) / x->s305;
		return x->s305;
	}
	if (x->flags & AUX_S50)
		return x->s50;
	if (x->flags & AUX_S34)
		return x->s34;
	/* Random n-out-of-N (selectorAlgorithm 3): population / size. */
	if ((x->flags & (AUX_S309 | AUX_S310)) == (AUX_S309 | AUX_S310) &&
	    aux_algo_is(x, SEL_RANDOM_N_OF_N) && x->s309 &&
	    x->s310 >= x->s309) {
		uint64_t rem = x->s310 % x->s309;

		return x->s310 / x->s309 + (rem >= x->s309 - rem);
	}
	/* Uniform probabilistic (4): 1 / samplingProbability, rounded (a
	 * probability too small for any real sampler is ignored). */
	if ((x->flags & AUX_S311) && aux_algo_is(x, SEL_UNIFORM_PROB) &&
	    x->s311 >= 1e-12 && x->s311 <= 1)
		return (uint64_t)(1 / x->s311 + 0.5);
	return 0;
}

/* Uptime stamp to wall clock: signed 32-bit difference (uptime wraps). */
static uint64_t uptime_ns(uint64_t base_ns, uint32_t uptime, uint32_t stamp)
{
	int64_t ns =
		(int64_t)base_ns - (int64_t)(int32_t)(uptime - stamp) * 1000000;

	return ns < 0 ? 0 : (uint64_t)ns;
}

/* Per-set context: the message, and sampler lookups cached per set. */
struct set_ctx {
	struct nf_state *nf;
	const struct nf_msg *msg;
	uint64_t base_ns;
	bool dom_done;
	bool dom_if_rates;
	uint64_t dom_rate, dom_sysinit;
	bool sid_valid;
	uint32_t sid;
	uint64_t sid_rate;
	bool if_valid;
	uint32_t if_idx;
	uint64_t if_rate;
};

/* The rate learnt for input interface ifx (v9 options scoped by
 * interface), cached per set. */
static uint64_t if_lookup(struct set_ctx *sc, uint32_t ifx)
{
	if (!sc->if_valid || sc->if_idx != ifx) {
		struct nf_key k;
		struct nf_sampler *s;

		nf_state_key(&k, sc->msg, NF_SAMPLER_IF, ifx);
		s = nf_state_sampler(sc->nf, &k, false);
		sc->if_valid = true;
		sc->if_idx = ifx;
		sc->if_rate = s ? s->rate : 0;
	}
	return sc->if_rate;
}

static void dom_lookup(struct set_ctx *sc)
{
	struct nf_key k;
	struct nf_sampler *s;

	if (sc->dom_done)
		return;
	sc->dom_done = true;
	nf_state_key(&k, sc->msg, 0, 0);
	s = nf_state_sampler(sc->nf, &k, false);
	if (s) {
		sc->dom_rate = s->rate;
		sc->dom_sysinit = s->sysinit_ms;
		sc->dom_if_rates = s->if_rates;
	}
}

/* One direction's octets (base 0 or CTR_REV) or packets (| CTR_PKTS) by
 * the counter rule: the delta count when not zero, else the post delta
 * count when not zero, else the total count but only when the record has
 * no delta count at all (a delta of 0 beside a total means nothing new);
 * ASA's initiator/responder counts last. A zero never hides a count. */
static inline __attribute__((always_inline)) uint64_t
pick_counter(const struct nf_aux *x, unsigned base)
{
	unsigned have = (x->ctr_have >> base) & 15;
	const uint64_t *c = &x->ctr[base];

	if ((have & 1) && c[CTR_DELTA])
		return c[CTR_DELTA];
	if ((have & 2) && c[CTR_POST])
		return c[CTR_POST];
	if (!(have & 3) && (have & 4) && c[CTR_TOTAL])
		return c[CTR_TOTAL];
	if (have & 8)
		return c[CTR_PEER];
	return 0;
}

static inline __attribute__((always_inline)) void counters(struct flow_rec *r,
							   struct nf_aux *x)
{
	/* Most records: octetDeltaCount and packetDeltaCount only. */
	if (x->ctr_have == (1u << CTR_DELTA | 1u << (CTR_PKTS | CTR_DELTA))) {
		r->bytes = x->ctr[CTR_DELTA];
		r->packets = x->ctr[CTR_PKTS | CTR_DELTA];
		x->rev_bytes = x->rev_packets = 0;
		return;
	}
	r->bytes = pick_counter(x, 0);
	r->packets = pick_counter(x, CTR_PKTS);
	x->rev_bytes = x->rev_packets = 0;
	if (x->ctr_have & 0xff00) {
		x->rev_bytes = pick_counter(x, CTR_REV);
		x->rev_packets = pick_counter(x, CTR_REV | CTR_PKTS);
	}
}

/* A record that carries a sampled packet (or only its size) stands for
 * one packet of that size when it has no counters of its own. */
static __attribute__((noinline)) void sampled_packet(struct flow_rec *r,
						     const struct nf_aux *x)
{
	uint64_t len = 0;

	if (x->flags & AUX_SECTION)
		len = nf_section_apply(r, x->sec, x->sec_len, x->sec_start);
	if (x->flags & AUX_FRAME_SIZE)
		len = x->frame_size;
	if (!(x->ctr_have & 0x0f))
		r->bytes = len;
	if (!(x->ctr_have & 0xf0))
		r->packets = 1;
}

static void finish(struct set_ctx *sc, struct flow_rec *r, struct nf_aux *x)
{
	const struct nf_msg *m = sc->msg;

	counters(r, x);
	if (x->flags & (AUX_SECTION | AUX_FRAME_SIZE))
		sampled_packet(r, x);
	if (x->flags & (AUX_FIRST | AUX_LAST)) {
		uint64_t init = 0;
		bool ok = m->ver == 9;

		if (m->ver == 10) {
			dom_lookup(sc);
			init = (x->flags & AUX_SYSINIT) ? x->sysinit_ms
							: sc->dom_sysinit;
			ok = init != 0;
		}
		if (ok && (x->flags & AUX_FIRST) && !(x->flags & AUX_ABS_START))
			r->time_flow_start_ns =
				m->ver == 9 ? uptime_ns(sc->base_ns,
							m->uptime_ms, x->first)
					    : (init + x->first) * 1000000ULL;
		if (ok && (x->flags & AUX_LAST) && !(x->flags & AUX_ABS_END))
			r->time_flow_end_ns =
				m->ver == 9 ? uptime_ns(sc->base_ns,
							m->uptime_ms, x->last)
					    : (init + x->last) * 1000000ULL;
	}
	if (!r->etype && (x->flags & AUX_ETHERTYPE))
		r->etype = x->ethertype;

	r->sampling_rate = aux_rate(x);
	if (r->sampling_rate)
		return;
	if (x->flags & AUX_SAMPLER) {
		if (!sc->sid_valid || sc->sid != x->sampler_id) {
			struct nf_key k;
			struct nf_sampler *s;

			nf_state_key(&k, m, 0, x->sampler_id);
			s = nf_state_sampler(sc->nf, &k, false);
			sc->sid_valid = true;
			sc->sid = x->sampler_id;
			sc->sid_rate = s ? s->rate : 0;
		}
		r->sampling_rate = sc->sid_rate;
	}
	if (!r->sampling_rate) {
		dom_lookup(sc);
		if (sc->dom_if_rates && r->in_if)
			r->sampling_rate = if_lookup(sc, r->in_if);
		if (!r->sampling_rate)
			r->sampling_rate = sc->dom_rate;
	}
}

/* Learns what one options record says about its sampler and exporter. */
static void options_record(struct set_ctx *sc, const struct nf_aux *x)
{
	uint64_t rate = aux_rate(x);
	uint32_t sid = (x->flags & AUX_SAMPLER) ? x->sampler_id : 0;
	struct nf_sampler *s;
	struct nf_key k;

	if (rate && (x->flags & AUX_SCOPE_IF)) {
		/* One interface's rate: its flows', not the domain's. */
		nf_state_key(&k, sc->msg, NF_SAMPLER_IF, x->scope_if);
		s = nf_state_sampler(sc->nf, &k, true);
		if (s) {
			s->rate = rate;
			s->explicit_rate = true;
		}
		nf_state_key(&k, sc->msg, 0, 0);
		s = nf_state_sampler(sc->nf, &k, true);
		if (s)
			s->if_rates = true;
	} else if (rate) {
		nf_state_key(&k, sc->msg, 0, sid);
		s = nf_state_sampler(sc->nf, &k, true);
		if (s) {
			s->rate = rate;
			s->explicit_rate = true;
		}
		/* Records without a sampler id get the domain's rate: the
		 * latest learnt when no record set it for the domain, as
		 * GoFlow2 keeps one rate per domain. */
		if (sid) {
			nf_state_key(&k, sc->msg, 0, 0);
			s = nf_state_sampler(sc->nf, &k, true);
			if (s && !s->explicit_rate)
				s->rate = rate;
		}
	}
	if (x->flags & AUX_SYSINIT) {
		nf_state_key(&k, sc->msg, 0, 0);
		s = nf_state_sampler(sc->nf, &k, true);
		if (s)
			s->sysinit_ms = x->sysinit_ms;
	}
	sc->dom_done = false;
	sc->sid_valid = false;
	sc->if_valid = false;
}

#define SWAP(a, b)                                                             \
	do {                                                                   \
		__typeof__(a) t_ = (a);                                        \
		(a) = (b);                                                     \
		(b) = t_;                                                      \
	} while (0)

/* The reverse direction of a biflow record (ASA's responder counters,
 * RFC 5103's reverse elements): dst -> src (VLANs too: per direction),
 * with the reverse counters, the reverse TCP flags (reverseTcpControlBits,
 * else 0: the forward flags are not the reverse's) and the same times and
 * exporter fields. */
static void make_reverse(struct flow_rec *r, const struct flow_rec *fwd,
			 const struct nf_aux *x)
{
	*r = *fwd;
	SWAP(r->src_addr, r->dst_addr);
	SWAP(r->src_port, r->dst_port);
	SWAP(r->in_if, r->out_if);
	SWAP(r->src_mac, r->dst_mac);
	SWAP(r->src_as, r->dst_as);
	SWAP(r->src_net, r->dst_net);
	SWAP(r->src_vlan, r->dst_vlan);
	r->tcp_flags = (x->flags & AUX_REV_TCP) ? x->rev_tcp_flags : 0;
	r->bytes = x->rev_bytes;
	r->packets = x->rev_packets;
}

static __attribute__((noinline, cold)) void
emit_reverse(struct flow_sink *sink, const struct flow_rec *fwd,
	     const struct nf_aux *x)
{
	struct flow_rec r;

	make_reverse(&r, fwd, x);
	sink->emit(sink, &r);
}

#undef SWAP

/* Reads one variable-length IPFIX field's length (RFC 7011 7). */
static const uint8_t *take_field(struct cur *c, uint16_t flen, bool varlen,
				 size_t *l)
{
	size_t n = flen;

	if (varlen) {
		n = cur_u8(c);
		if (n == 255)
			n = cur_be16(c);
	}
	*l = n;
	return cur_take(c, n);
}

/* Clears the arrays a record of ctx->batch used (past the part copied
 * from its set's base), so that the slot is zero there again for the next
 * records and sets (decode_internal.h). */
static void clear_slot(struct flow_rec *r)
{
	if (r->n_mpls || r->n_mpls_ip || r->n_mpls_ttl) {
		memset(r->mpls_label, 0, sizeof(r->mpls_label));
		memset(r->mpls_ttl, 0, sizeof(r->mpls_ttl));
		memset(r->mpls_ip, 0, sizeof(r->mpls_ip));
	}
	if (r->n_communities)
		memset(r->bgp_communities, 0, sizeof(r->bgp_communities));
	if (r->n_as_path)
		memset(r->as_path, 0, sizeof(r->as_path));
	if (r->n_layers) {
		memset(r->layer_stack, 0, sizeof(r->layer_stack));
		memset(r->layer_size, 0, sizeof(r->layer_size));
	}
	if (r->n_srv6)
		memset(r->srv6_addr, 0, sizeof(r->srv6_addr));
}

/* Hands the n batched records to the sink and clears their slots. */
static void flush_batch(struct flow_sink *sink, struct flow_rec *recs,
			size_t *n)
{
	if (!*n)
		return;
	sink->emit_batch(sink, recs, *n);
	for (size_t i = 0; i < *n; i++)
		clear_slot(&recs[i]);
	*n = 0;
}

/*
 * Decodes the records of one data set (set header excluded) with template
 * t: flows go to sink (in runs of up to DECODE_BATCH to its emit_batch
 * when it has one, from ctx->batch); options records update the sampler entries. Returns the number
 * of flows emitted. The hot path: aligned to a cache line, as its record
 * loop ran 10% slower at some placements (bench_decode).
 */
static __attribute__((aligned(64))) int
decode_set(struct decode_ctx *ctx, struct exporter_stats *es,
	   const struct nf_msg *msg, const struct nf_tmpl *t, const uint8_t *p,
	   size_t len, struct flow_sink *sink)
{
	struct set_ctx sc = { .nf = ctx->nf, .msg = msg };
	const bool batched = sink->emit_batch != NULL;
	struct flow_rec base, one, *rec = &one;
	size_t nb = 0; /* batched records not handed over yet */
	struct cur c = cur_make(p, len);
	int flows = 0;

	if (t->min_len == 0)
		return 0; /* unreachable: templates are checked */
	sc.base_ns = (uint64_t)msg->export_secs * 1000000000ULL;
	memset(&base, 0, sizeof(base));
	base.type = msg->ver == 9 ? FLOW_TYPE_NETFLOW_V9 : FLOW_TYPE_IPFIX;
	base.time_received_ns = msg->time_received_ns;
	base.sequence_num = msg->seq;
	base.sampler_address = msg->exporter;
	base.sampler_port = msg->exporter_port;
	base.observation_domain_id = msg->domain;
	base.time_flow_start_ns = sc.base_ns;
	base.time_flow_end_ns = sc.base_ns;
	if (!batched)
		one = base;

	while (c.left >= t->min_len) {
		struct nf_aux x;
		const uint8_t *r = c.p;

		/* Sets are padded to 4 bytes with zeros. With records that can
		 * be shorter than 4 bytes (a lone variable-length field), a
		 * zero tail under 4 bytes is that padding, not records. */
		if (t->min_len < 4 && c.left < 4 && all_zero(c.p, c.left))
			break;

		x.flags = 0;
		x.ctr_have = 0;
		if (batched) {
			/* Room for this record and its reverse. */
			if (nb + 2 > DECODE_BATCH)
				flush_batch(sink, ctx->batch, &nb);
			rec = &ctx->batch[nb];
		}
		flow_copy_scalars(rec, &base);
		if (!t->varlen) {
			for (uint16_t i = 0; i < t->nsteps; i++) {
				const struct nf_step *s = &t->steps[i];
				const uint8_t *v = r + s->off;

				/* arg: the record's uint32_t to store into */
				switch (s->op) {
				case OP_PUT1:
					((uint32_t *)rec)[s->arg] = v[0];
					continue;
				case OP_PUT2:
					((uint32_t *)rec)[s->arg] = be16_at(v);
					continue;
				case OP_PUT4:
					((uint32_t *)rec)[s->arg] = be32_at(v);
					continue;
				}
				apply(rec, &x, s->op, s->arg, v, s->len,
				      sc.base_ns);
			}
			cur_skip(&c, t->min_len);
		} else {
			for (uint16_t i = 0; i < t->nfields; i++) {
				const struct nf_step *s = &t->steps[i];
				size_t l;
				const uint8_t *v =
					take_field(&c, t->fields[i].len,
						   t->fields[i].len ==
							   NF_VARLEN,
						   &l);

				if (!v)
					break;
				if (s->op)
					apply(rec, &x, s->op, s->arg, v, l,
					      sc.base_ns);
			}
			if (c.bad) {
				dstats_error(es, DSTAT_ERR_SET,
					     "template %u: record runs past its set",
					     t->node.key.tid);
				break;
			}
		}
		if (t->options) {
			es->c[DSTAT_OPTIONS_RECORDS]++;
			options_record(&sc, &x);
			continue;
		}
		if (!rec->observation_domain_id)
			rec->observation_domain_id = msg->domain;
		finish(&sc, rec, &x);
		flows++;
		if (batched) {
			nb++;
			if ((x.rev_bytes || x.rev_packets) &&
			    ctx->biflow_split) {
				make_reverse(&ctx->batch[nb++], rec, &x);
				es->c[DSTAT_REVERSE_FLOWS]++;
				flows++;
			}
			continue;
		}
		sink->emit(sink, rec);
		if ((x.rev_bytes || x.rev_packets) && ctx->biflow_split) {
			emit_reverse(sink, rec, &x);
			es->c[DSTAT_REVERSE_FLOWS]++;
			flows++;
		}
		if (rec->n_mpls || rec->n_mpls_ip) {
			memset(rec->mpls_label, 0, sizeof(rec->mpls_label));
			memset(rec->mpls_ttl, 0, sizeof(rec->mpls_ttl));
			memset(rec->mpls_ip, 0, sizeof(rec->mpls_ip));
		}
	}
	if (batched) {
		/* The slot after them may hold a record not emitted (an
		 * options record, one cut short). */
		if (nb < DECODE_BATCH)
			clear_slot(&ctx->batch[nb]);
		flush_batch(sink, ctx->batch, &nb);
	}
	/* Less than a record left: padding (zeros by the RFCs; vendors leave
	 * other filler too: Cisco ACI, nProbe, MikroTik), not an error. */
	if (!c.bad)
		es->c[DSTAT_PADDING_BYTES] += c.left;
	es->c[DSTAT_FLOWS] += (uint64_t)flows;
	return flows;
}

/* Counts a held set dropped without decoding, against its own exporter. */
static void held_drop(struct decode_ctx *ctx, struct nf_held *h, enum dstat why,
		      const char *what)
{
	struct exporter_stats *es = dstats_get(&ctx->stats, &h->msg.exporter);

	dstats_error(es, why, "data set for template %u %s", h->key.tid, what);
	free(h);
}

void nf_fields_expire(struct decode_ctx *ctx, uint64_t now_ns)
{
	struct nf_held *h;

	while ((h = nf_state_held_expired(ctx->nf, now_ns)))
		held_drop(ctx, h, DSTAT_ERR_HELD_EXPIRED,
			  "expired before its template arrived");
}

void nf_fields_drop_held(struct decode_ctx *ctx)
{
	struct nf_held *h;

	while ((h = nf_state_held_pop(ctx->nf)))
		held_drop(ctx, h, DSTAT_ERR_HELD_EXPIRED,
			  "expired: the input ended before its template arrived");
}

/* Holds a data set whose template is unknown (counted as DSTAT_SETS_HELD),
 * dropping the oldest held sets past the bounds (DSTAT_ERR_HELD_OVERFLOW). */
static void hold(struct decode_ctx *ctx, struct exporter_stats *es,
		 const struct nf_msg *msg, uint16_t tid, const uint8_t *set,
		 size_t len)
{
	int rc;

	nf_fields_expire(ctx, msg->time_received_ns);
	while ((rc = nf_state_hold(ctx->nf, msg, tid, set, len)) == -ENOBUFS)
		held_drop(ctx, nf_state_held_pop(ctx->nf),
			  DSTAT_ERR_HELD_OVERFLOW,
			  "dropped: too many sets waiting for templates");
	if (rc == -E2BIG)
		dstats_error(es, DSTAT_ERR_HELD_OVERFLOW,
			     "data set for unknown template %u (%zu bytes) cannot be held",
			     tid, len);
	else if (rc)
		dstats_error(es, DSTAT_ERR_HELD_OVERFLOW, "out of memory");
	else
		es->c[DSTAT_SETS_HELD]++;
}

int nf_fields_replay(struct decode_ctx *ctx, struct exporter_stats *es,
		     const struct nf_key *k, struct flow_sink *sink)
{
	struct nf_held *h, *next;
	struct nf_tmpl *t;
	int flows = 0;

	if (!nf_state_held_count(ctx->nf))
		return 0;
	t = nf_state_tmpl_find(ctx->nf, k);
	if (!t)
		return 0;
	for (h = nf_state_held_take(ctx->nf, k); h; h = next) {
		next = h->next;
		es->c[DSTAT_SETS_REPLAYED]++;
		flows += decode_set(ctx, es, &h->msg, t, h->data, h->len, sink);
		free(h);
	}
	return flows;
}

/* Pass 2 decodes options data, pass 3 flow data or holds the set. */
static int data_set(struct decode_ctx *ctx, struct exporter_stats *es,
		    const struct nf_msg *msg, uint16_t tid, const uint8_t *p,
		    size_t len, struct flow_sink *sink, int pass)
{
	struct nf_key k;
	struct nf_tmpl *t;

	nf_state_key(&k, msg, tid, 0);
	t = nf_state_tmpl_find(ctx->nf, &k);
	if (pass == 2)
		return t && t->options
			       ? decode_set(ctx, es, msg, t, p, len, sink)
			       : 0;
	if (!t) {
		hold(ctx, es, msg, tid, p, len);
		return 0;
	}
	return t->options ? 0 : decode_set(ctx, es, msg, t, p, len, sink);
}

int nf_fields_walk(struct decode_ctx *ctx, struct exporter_stats *es,
		   const struct nf_msg *msg, const uint8_t *p, size_t len,
		   size_t msg_len, uint16_t tmpl_id, uint16_t opt_id,
		   nf_tmpl_set_fn tmpl_fn, struct flow_sink *sink)
{
	int flows = 0;

	/* Templates learnt in pass 1 serve data sets placed before them too;
	 * no template changes in passes 2 and 3, so pass 3 skips exactly the
	 * options data that pass 2 decoded. */
	for (int pass = 1; pass <= 3; pass++) {
		struct cur c = cur_make(p, len);
		bool stopped = false;

		while (c.left >= 4 && len - c.left < msg_len) {
			uint16_t id = cur_be16(&c);
			uint16_t slen = cur_be16(&c);
			const uint8_t *body;

			if (slen < 4 && all_zero(c.p - 4, c.left + 4)) {
				/* Zeros after the last set (PAN-OS fills the
				 * rest of the packet): padding. */
				if (pass == 1)
					es->c[DSTAT_PADDING_BYTES] +=
						c.left + 4;
				stopped = true;
				break;
			}
			if (slen < 4 || slen - 4u > c.left) {
				if (pass == 1)
					dstats_error(es,
						     slen < 4
							     ? DSTAT_ERR_SET
							     : DSTAT_ERR_LENGTH,
						     "set %u length %u with %zu bytes left",
						     id, slen, c.left + 4);
				stopped = true;
				break;
			}
			body = cur_take(&c, slen - 4u);
			if (pass == 1 && len - c.left > msg_len)
				dstats_error(es, DSTAT_ERR_LENGTH,
					     "set %u ends %zu bytes past the message length",
					     id, len - c.left - msg_len);
			if (pass > 1) {
				if (id >= 256)
					flows += data_set(ctx, es, msg, id,
							  body, slen - 4u, sink,
							  pass);
			} else if (id == tmpl_id || id == opt_id) {
				flows += tmpl_fn(ctx, es, msg, id, body,
						 slen - 4u, sink);
			} else if (id < 256) {
				dstats_error(es, DSTAT_ERR_SET,
					     "reserved set id %u", id);
			}
		}
		/* What the walk left: zero padding is fine; anything else is
		 * a cut set header, or sets past the message length. */
		if (pass > 1 || stopped || !c.left)
			continue;
		if (all_zero(c.p, c.left)) {
			es->c[DSTAT_PADDING_BYTES] += c.left;
			continue;
		}
		if (len - c.left >= msg_len)
			dstats_error(es, DSTAT_ERR_LENGTH,
				     "%zu bytes after the message length",
				     c.left);
		else
			dstats_error(es, DSTAT_ERR_TRUNCATED,
				     "%zu stray bytes after the last set",
				     c.left);
	}
	return flows;
}
