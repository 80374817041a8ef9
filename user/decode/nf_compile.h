/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetFlow v9/IPFIX template compilation (user/decode/nf_compile.c): which
 * handler (enum nf_op) decodes each exported field, checked against the
 * field's length, and the decode plan (steps) of a whole template; and
 * learning a template: check, compile, store in nf_state, count. Included
 * by nf_compile.c, nf_fields.c (which applies the handlers), nf9.c,
 * ipfix.c, nf_persist.c and tests/unit/test_nf_compile.c.
 */
#ifndef XDPFLOW_DECODE_NF_COMPILE_H
#define XDPFLOW_DECODE_NF_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode_stats.h"
#include "decode/nf_state.h"

/* Field handlers: what a compiled step does with its bytes (nf_fields.c
 * applies them). OP_NONE: the field is skipped. */
enum nf_op {
	OP_NONE = 0,
	OP_COUNTER,	 /* 1, 2, 23, 24, 85, 86, 231, 232, 298, 299 and
			 * PEN 29305's reverse ones; arg = CTR_* */
	OP_PROTO,	 /* 4 */
	OP_TOS,		 /* 5 */
	OP_TCP_FLAGS,	 /* 6 */
	OP_SRC_PORT,	 /* 7 */
	OP_DST_PORT,	 /* 11 */
	OP_SRC4,	 /* 8 */
	OP_DST4,	 /* 12 */
	OP_SRC6,	 /* 27 */
	OP_DST6,	 /* 28 */
	OP_SRC_MASK,	 /* 9, 29 */
	OP_DST_MASK,	 /* 13, 30 */
	OP_IN_IF,	 /* 10 */
	OP_OUT_IF,	 /* 14 */
	OP_IN_PHYS,	 /* 252 */
	OP_OUT_PHYS,	 /* 253 */
	OP_NEXT_HOP,	 /* 15, 62 */
	OP_BGP_NEXT_HOP, /* 18, 63 */
	OP_SRC_AS,	 /* 16 */
	OP_DST_AS,	 /* 17 */
	OP_FLOW_LABEL,	 /* 31 */
	OP_ICMP_TC,	 /* 32, 139 */
	OP_ICMP_TYPE,	 /* 176, 178 */
	OP_ICMP_CODE,	 /* 177, 179 */
	OP_TTL,		 /* 52, 192 */
	OP_TTL_ALT,	 /* 53 maximumTTL */
	OP_FRAG_ID,	 /* 54 */
	OP_FRAG_OFF,	 /* 88 */
	OP_FRAG_FLAGS,	 /* 197 */
	OP_SRC_MAC,	 /* 56, 81 */
	OP_DST_MAC,	 /* 80, 57 */
	OP_SRC_VLAN,	 /* 58 */
	OP_DST_VLAN,	 /* 59 */
	OP_DOT1Q_VLAN,	 /* 243 */
	OP_IP_VERSION,	 /* 60 */
	OP_ETHERTYPE,	 /* 256 */
	OP_MPLS_LABEL,	 /* 70-77, arg = stack index */
	OP_MPLS_IP,	 /* 47, 140 */
	OP_FWD_STATUS,	 /* 89 */
	OP_OBS_POINT,	 /* 138 */
	OP_OBS_DOMAIN,	 /* 149 */
	OP_SAMPLER_ID,	 /* 48, 302 */
	OP_SAMPLING_34,	 /* 34 samplingInterval */
	OP_SAMPLING_50,	 /* 50 samplerRandomInterval */
	OP_PKT_INTERVAL, /* 305 */
	OP_PKT_SPACE,	 /* 306 */
	OP_SAMP_SIZE,	 /* 309 samplingSize */
	OP_SAMP_POP,	 /* 310 samplingPopulation */
	OP_SAMP_PROB,	 /* 311 samplingProbability (float64/float32) */
	OP_SEL_ALGO,	 /* 304 selectorAlgorithm */
	OP_REV_FLAGS,	 /* 6 under PEN 29305, reverseTcpControlBits */
	OP_SCOPE_IF,	 /* v9 options scope type 2, interface */
	OP_FIRST_SW,	 /* 22 */
	OP_LAST_SW,	 /* 21 */
	OP_SYSINIT,	 /* 160 */
	OP_START_S,	 /* 150 */
	OP_END_S,	 /* 151 */
	OP_START_MS,	 /* 152 */
	OP_END_MS,	 /* 153 */
	OP_START_NTP,	 /* 154, 156 */
	OP_END_NTP,	 /* 155, 157 */
	OP_START_DUS,	 /* 158 */
	OP_END_DUS,	 /* 159 */
	OP_FRAME_SIZE,	 /* 312 dataLinkFrameSize */
	OP_L2_SECTION,	 /* 315 dataLinkFrameSection, 104 (v9) */
	OP_IP_SECTION,	 /* 313 ipHeaderPacketSection */
	/* Set by nf_compile in fixed-layout plans, never by nf_compile_op:
	 * a field of 1, 2 or 4 bytes stored as is into the uint32_t of the
	 * record at 4 * arg bytes, for the handlers above that do exactly
	 * that (nf_compile.c's direct[]). One case per length instead of the
	 * handler's checks, its switch on the length and its own case. */
	OP_PUT1,
	OP_PUT2,
	OP_PUT4,
};

/* Counter elements: the arg of OP_COUNTER, an index into the record's
 * counters. Forward or reverse direction, octets or packets, then which
 * kind. */
enum nf_ctr {
	CTR_DELTA = 0, /* octetDeltaCount 1, packetDeltaCount 2 */
	CTR_POST = 1,  /* postOctetDeltaCount 23, postPacketDeltaCount 24 */
	CTR_TOTAL = 2, /* octetTotalCount 85, packetTotalCount 86 */
	CTR_PEER = 3,  /* initiator (231, 298) / responder (232, 299) */
	CTR_PKTS = 4,
	CTR_REV = 8,
};

#define NF_PEN_RFC5103 29305 /* RFC 5103 reverse information elements */

/*
 * Compiles one field: the handler for field f of a template of version ver
 * (scope: an options template scope field) and its argument in *arg (the
 * MPLS stack index). Returns OP_NONE for fields xdpflow does not map or
 * whose length cannot hold the element, and sets *bad for the latter.
 */
uint8_t nf_compile_op(uint8_t ver, bool scope, const struct nf_field *f,
		      uint8_t *arg, bool *bad);

/* Checks a template's shape (field count, lengths, record size) without
 * compiling it. 0, or -EINVAL with *why saying what is wrong. */
int nf_compile_check(uint8_t ver, uint16_t nscope,
		     const struct nf_field *fields, uint16_t nfields,
		     const char **why);

/*
 * Compiles a template that passed nf_compile_check into *plan (which
 * points at fields; they must outlive it). Returns how many fields were
 * ignored for a length that cannot hold their element, the first one's
 * element id in *badie.
 */
uint16_t nf_compile(struct nf_plan *plan, uint8_t ver, bool options,
		    uint16_t nscope, const struct nf_field *fields,
		    uint16_t nfields, uint16_t *badie);

/*
 * Learns (or refreshes) template k from its exported fields: checks it,
 * compiles it unless identical to the one nf knows, and stores it. Returns
 * 1 if it is new or changed, 0 if identical to the one known, -EINVAL if
 * the template is unusable (the reason is counted in es), or -ENOMEM.
 * Ignored fields and templates evicted to make room
 * (DSTAT_TEMPLATES_EVICTED) are counted in es.
 */
int nf_compile_learn(struct nf_state *nf, struct exporter_stats *es,
		     const struct nf_key *k, bool options, uint16_t nscope,
		     const struct nf_field *fields, uint16_t nfields);

#endif
