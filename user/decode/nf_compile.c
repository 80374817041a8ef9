// SPDX-License-Identifier: Apache-2.0
/*
 * NetFlow v9/IPFIX templates compiled into decode plans, once when they are
 * learnt: each field gets a handler id (enum nf_op, checked against the
 * field's length) following GoFlow2 v2.2.6's element mapping, plus the few
 * elements GoFlow2 leaves out; a fixed-layout template keeps only the steps
 * it uses, with their record offsets, and a template with IPFIX
 * variable-length fields one step per field. Learning a template checks,
 * compiles and stores it in nf_state.
 */
#include "decode/nf_compile.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/flow.h"

/* Element length classes: how many bytes an element may have. */
enum { LEN_INT, LEN_V4, LEN_V6, LEN_ANY_ADDR, LEN_BYTES };

static uint8_t op_of(uint8_t ver, uint16_t ie, uint8_t *arg, int *cls)
{
	*cls = LEN_INT;
	*arg = 0;
	switch (ie) {
	case 1:
		*arg = CTR_DELTA;
		return OP_COUNTER;
	case 23:
		*arg = CTR_POST;
		return OP_COUNTER;
	case 85:
		*arg = CTR_TOTAL;
		return OP_COUNTER;
	case 231:
		*arg = CTR_PEER;
		return OP_COUNTER;
	case 2:
		*arg = CTR_PKTS | CTR_DELTA;
		return OP_COUNTER;
	case 24:
		*arg = CTR_PKTS | CTR_POST;
		return OP_COUNTER;
	case 86:
		*arg = CTR_PKTS | CTR_TOTAL;
		return OP_COUNTER;
	case 298:
		*arg = CTR_PKTS | CTR_PEER;
		return OP_COUNTER;
	case 232:
		*arg = CTR_REV | CTR_PEER;
		return OP_COUNTER;
	case 299:
		*arg = CTR_REV | CTR_PKTS | CTR_PEER;
		return OP_COUNTER;
	case 4:
		return OP_PROTO;
	case 5:
		return OP_TOS;
	case 6:
		return OP_TCP_FLAGS;
	case 7:
		return OP_SRC_PORT;
	case 11:
		return OP_DST_PORT;
	case 8:
		*cls = LEN_V4;
		return OP_SRC4;
	case 12:
		*cls = LEN_V4;
		return OP_DST4;
	case 27:
		*cls = LEN_V6;
		return OP_SRC6;
	case 28:
		*cls = LEN_V6;
		return OP_DST6;
	case 9:
	case 29:
		return OP_SRC_MASK;
	case 13:
	case 30:
		return OP_DST_MASK;
	case 10:
		return OP_IN_IF;
	case 14:
		return OP_OUT_IF;
	case 252:
		return OP_IN_PHYS;
	case 253:
		return OP_OUT_PHYS;
	case 15:
		*cls = LEN_V4;
		return OP_NEXT_HOP;
	case 62:
		*cls = LEN_V6;
		return OP_NEXT_HOP;
	case 18:
		*cls = LEN_V4;
		return OP_BGP_NEXT_HOP;
	case 63:
		*cls = LEN_V6;
		return OP_BGP_NEXT_HOP;
	case 16:
		return OP_SRC_AS;
	case 17:
		return OP_DST_AS;
	case 31:
		return OP_FLOW_LABEL;
	case 32:
	case 139:
		return OP_ICMP_TC;
	case 176:
	case 178:
		return OP_ICMP_TYPE;
	case 177:
	case 179:
		return OP_ICMP_CODE;
	case 52:
	case 192:
		return OP_TTL;
	case 53:
		return OP_TTL_ALT;
	case 54:
		return OP_FRAG_ID;
	case 88:
		return OP_FRAG_OFF;
	case 197:
		return OP_FRAG_FLAGS;
	case 56:
	case 81:
		return OP_SRC_MAC;
	case 80:
	case 57:
		return OP_DST_MAC;
	case 58:
		return OP_SRC_VLAN;
	case 59:
		return OP_DST_VLAN;
	case 243:
		return OP_DOT1Q_VLAN;
	case 60:
		return OP_IP_VERSION;
	case 256:
		return OP_ETHERTYPE;
	case 47:
		*cls = LEN_V4;
		return OP_MPLS_IP;
	case 140:
		*cls = LEN_V6;
		return OP_MPLS_IP;
	case 89:
		return OP_FWD_STATUS;
	case 138:
		return OP_OBS_POINT;
	case 149:
		return OP_OBS_DOMAIN;
	case 48:
	case 302:
		return OP_SAMPLER_ID;
	case 34:
		return OP_SAMPLING_34;
	case 50:
		return OP_SAMPLING_50;
	case 304:
		return OP_SEL_ALGO;
	case 305:
		return OP_PKT_INTERVAL;
	case 306:
		return OP_PKT_SPACE;
	case 309:
		return OP_SAMP_SIZE;
	case 310:
		return OP_SAMP_POP;
	case 311:
		return OP_SAMP_PROB;
	case 21:
		return OP_LAST_SW;
	case 22:
		return OP_FIRST_SW;
	case 160:
		return ver == 10 ? OP_SYSINIT : OP_NONE;
	case 312:
		return OP_FRAME_SIZE;
	/* Sampled packet sections: v9 exporters use the IPFIX elements too. */
	case 104:
	case 315:
		*cls = LEN_BYTES;
		return OP_L2_SECTION;
	case 313:
		*cls = LEN_BYTES;
		return OP_IP_SECTION;
	}
	/* Absolute times are IPFIX elements, but v9 exporters (nprobe,
	 * softflowd) use them too: decode them in both. */
	switch (ie) {
	case 150:
		return OP_START_S;
	case 151:
		return OP_END_S;
	case 152:
		return OP_START_MS;
	case 153:
		return OP_END_MS;
	case 154:
	case 156:
		return OP_START_NTP;
	case 155:
	case 157:
		return OP_END_NTP;
	case 158:
		return OP_START_DUS;
	case 159:
		return OP_END_DUS;
	}
	if (ie >= 70 && ie < 70 + FLOW_MAX_MPLS) {
		*arg = (uint8_t)(ie - 70);
		return OP_MPLS_LABEL;
	}
	return OP_NONE;
}

uint8_t nf_compile_op(uint8_t ver, bool scope, const struct nf_field *f,
		      uint8_t *arg, bool *bad)
{
	uint8_t op;
	int cls;

	*bad = false;
	*arg = 0;
	/* Enterprise elements are skipped, as GoFlow2 does, except RFC 5103's
	 * reverse counters and TCP flags (PEN 29305) for the reverse flow of a
	 * biflow. v9 scope fields are scope types (system, interface...), not
	 * elements. */
	if ((f->pen && f->pen != NF_PEN_RFC5103) || (ver == 9 && scope)) {
		/* The interface a v9 options record speaks for (sampling
		 * per interface). */
		if (ver == 9 && scope && f->ie == 2 && f->len && f->len <= 8)
			return OP_SCOPE_IF;
		return OP_NONE;
	}
	op = op_of(ver, f->ie, arg, &cls);
	if (f->pen) {
		if (op == OP_TCP_FLAGS)
			op = OP_REV_FLAGS; /* the reverse flow's */
		else if (op != OP_COUNTER || (*arg & (CTR_REV | 3)) >= CTR_PEER)
			return OP_NONE;
		else
			*arg |= CTR_REV;
	}
	if (op == OP_NONE || f->len == NF_VARLEN)
		return op;
	if (f->len == 0) {
		/* Seen in the wild (telegraf issue 14370): takes no room in
		 * the record; the element is ignored. */
		*bad = true;
		return OP_NONE;
	}
	switch (cls) {
	case LEN_INT:
		*bad = f->len > 8;
		break;
	case LEN_V4:
		*bad = f->len != 4;
		break;
	case LEN_V6:
		*bad = f->len != 16;
		break;
	}
	return *bad ? OP_NONE : op;
}

int nf_compile_check(uint8_t ver, uint16_t nscope,
		     const struct nf_field *fields, uint16_t nfields,
		     const char **why)
{
	size_t min_len = 0;

	(void)ver; /* both versions have the same rules now */
	if (nfields == 0 || nfields > NF_MAX_FIELDS || nscope > nfields) {
		*why = "field count out of range";
		return -EINVAL;
	}
	for (uint16_t i = 0; i < nfields; i++) {
		/* 65535: variable length, in IPFIX and (H3C's VRFname 236,
		 * as GoFlow2 accepts it) in NetFlow v9 too. */
		if (fields[i].len == NF_VARLEN)
			min_len += 1;
		else
			min_len += fields[i].len;
	}
	/* Zero-length records would never advance (fields of length 0 are
	 * allowed, whole records are not); a record must fit in one set. */
	if (min_len == 0) {
		*why = "record length 0";
		return -EINVAL;
	}
	if (min_len > 65535 - 20) {
		*why = "record longer than any set";
		return -EINVAL;
	}
	return 0;
}

/* The handlers that store the field's value, cast to width bytes, into a
 * uint32_t of the record and do nothing else (nf_fields.c's apply()). */
#define REC_U32(field) (offsetof(struct flow_rec, field) / 4)
static const struct {
	uint8_t op, width, at;
} direct[] = {
	{ OP_PROTO, 1, REC_U32(proto) },
	{ OP_TOS, 1, REC_U32(ip_tos) },
	{ OP_TCP_FLAGS, 4, REC_U32(tcp_flags) },
	{ OP_SRC_PORT, 2, REC_U32(src_port) },
	{ OP_DST_PORT, 2, REC_U32(dst_port) },
	{ OP_SRC_MASK, 4, REC_U32(src_net) },
	{ OP_DST_MASK, 4, REC_U32(dst_net) },
	{ OP_IN_IF, 4, REC_U32(in_if) },
	{ OP_OUT_IF, 4, REC_U32(out_if) },
	{ OP_SRC_AS, 4, REC_U32(src_as) },
	{ OP_DST_AS, 4, REC_U32(dst_as) },
	{ OP_FLOW_LABEL, 4, REC_U32(ipv6_flow_label) },
	{ OP_ICMP_TYPE, 4, REC_U32(icmp_type) },
	{ OP_ICMP_CODE, 4, REC_U32(icmp_code) },
	{ OP_TTL, 4, REC_U32(ip_ttl) },
	{ OP_FRAG_ID, 4, REC_U32(fragment_id) },
	{ OP_FRAG_OFF, 4, REC_U32(fragment_offset) },
	{ OP_DST_VLAN, 4, REC_U32(dst_vlan) },
};
_Static_assert(offsetof(struct flow_rec, bgp_communities) / 4 < 256,
	       "a record's scalars are within a uint8_t of 4-byte words");

/* op for a fixed-layout field of len bytes: OP_PUT* (arg: where) when its
 * handler is a plain store that keeps every byte of the field. */
static uint8_t direct_op(uint8_t op, uint16_t len, uint8_t *arg)
{
	if (len != 1 && len != 2 && len != 4)
		return op;
	for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
		if (direct[i].op != op)
			continue;
		if (len > direct[i].width)
			return op;
		*arg = direct[i].at;
		return len == 1 ? OP_PUT1 : len == 2 ? OP_PUT2 : OP_PUT4;
	}
	return op;
}

uint16_t nf_compile(struct nf_plan *plan, uint8_t ver, bool options,
		    uint16_t nscope, const struct nf_field *fields,
		    uint16_t nfields, uint16_t *badie)
{
	uint16_t nsteps = 0, nbad = 0;
	uint32_t off = 0;
	bool varlen = false;

	*badie = 0;
	for (uint16_t i = 0; i < nfields; i++)
		if (fields[i].len == NF_VARLEN)
			varlen = true;
	for (uint16_t i = 0; i < nfields; i++) {
		bool bad = false;
		uint8_t arg;
		uint8_t op =
			nf_compile_op(ver, i < nscope, &fields[i], &arg, &bad);
		bool vl = fields[i].len == NF_VARLEN;

		if (bad && !nbad++)
			*badie = fields[i].ie;
		if (varlen) {
			plan->steps[i] =
				(struct nf_step){ op, arg, fields[i].len, 0 };
			nsteps++;
		} else if (op) {
			op = direct_op(op, fields[i].len, &arg);
			plan->steps[nsteps++] =
				(struct nf_step){ op, arg, fields[i].len,
						  (uint16_t)off };
		}
		off += vl ? 1 : fields[i].len;
	}
	plan->options = options;
	plan->varlen = varlen;
	plan->nscope = nscope;
	plan->nfields = nfields;
	plan->nsteps = nsteps;
	plan->min_len = off;
	plan->fields = fields;
	return nbad;
}

static bool tmpl_same(const struct nf_tmpl *t, bool options, uint16_t nscope,
		      const struct nf_field *fields, uint16_t nfields)
{
	return t->options == options && t->nscope == nscope &&
	       t->nfields == nfields &&
	       !memcmp(t->fields, fields, nfields * sizeof(*fields));
}

int nf_compile_learn(struct nf_state *nf, struct exporter_stats *es,
		     const struct nf_key *k, bool options, uint16_t nscope,
		     const struct nf_field *fields, uint16_t nfields)
{
	struct nf_tmpl *t = nf_state_tmpl_find(nf, k);
	struct nf_plan plan;
	uint16_t nbad, badie;
	const char *why = NULL;
	size_t evicted;
	int rc;

	if (nf_compile_check(k->ver, nscope, fields, nfields, &why)) {
		dstats_error(es, DSTAT_ERR_TEMPLATE, "template %u: %s", k->tid,
			     why);
		return -EINVAL;
	}
	if (t && tmpl_same(t, options, nscope, fields, nfields))
		return 0;

	nbad = nf_compile(&plan, k->ver, options, nscope, fields, nfields,
			  &badie);
	if (nbad)
		dstats_error(es, DSTAT_ERR_TEMPLATE,
			     "template %u: %u field(s) ignored, e.g. element %u of unusable length",
			     k->tid, nbad, badie);
	rc = nf_state_tmpl_put(nf, k, &plan, &evicted);
	es->c[DSTAT_TEMPLATES_EVICTED] += evicted;
	return rc < 0 ? rc : 1;
}
