// SPDX-License-Identifier: Apache-2.0
/*
 * FlowMessage wire bytes to struct flow_rec (see flowdec.h). Scalars and
 * addresses go through a table indexed by field number (where in the record
 * and how wide); repeated fields have their own cases. A field given twice
 * keeps its last value, repeated ones append (packed or not), as protobuf
 * parsers do.
 */
#include "relay/flowdec.h"

#include <errno.h>
#include <string.h>

enum kind {
	K_NONE = 0,
	K_U32,	     /* uint32 scalar (or enum) */
	K_U64,	     /* uint64 scalar */
	K_TYPE,	     /* the FlowType enum */
	K_ADDR,	     /* bytes: an IP address, struct flow_addr */
	K_REP,	     /* repeated uint32 (or enum), one of the cases below */
	K_REP_BYTES, /* repeated bytes */
	K_SKIP_STR,  /* an enrichment string: skipped */
	K_SKIP_INT,  /* an enrichment varint: skipped */
};

struct field {
	uint8_t kind;
	uint16_t off; /* in struct flow_rec */
};

#define F(k, m)                                                                \
	{                                                                      \
		k, (uint16_t)offsetof(struct flow_rec, m)                      \
	}

/* Fields 0..127 by number. */
static const struct field lo[128] = {
	[1] = F(K_TYPE, type),
	[3] = F(K_U64, sampling_rate),
	[4] = F(K_U32, sequence_num),
	[6] = F(K_ADDR, src_addr),
	[7] = F(K_ADDR, dst_addr),
	[9] = F(K_U64, bytes),
	[10] = F(K_U64, packets),
	[11] = F(K_ADDR, sampler_address),
	[12] = F(K_ADDR, next_hop),
	[13] = F(K_U32, next_hop_as),
	[14] = F(K_U32, src_as),
	[15] = F(K_U32, dst_as),
	[16] = F(K_U32, src_net),
	[17] = F(K_U32, dst_net),
	[18] = F(K_U32, in_if),
	[19] = F(K_U32, out_if),
	[20] = F(K_U32, proto),
	[21] = F(K_U32, src_port),
	[22] = F(K_U32, dst_port),
	[23] = F(K_U32, ip_tos),
	[24] = F(K_U32, forwarding_status),
	[25] = F(K_U32, ip_ttl),
	[26] = F(K_U32, tcp_flags),
	[27] = F(K_U64, src_mac),
	[28] = F(K_U64, dst_mac),
	[29] = F(K_U32, vlan_id),
	[30] = F(K_U32, etype),
	[31] = F(K_U32, icmp_type),
	[32] = F(K_U32, icmp_code),
	[33] = F(K_U32, src_vlan),
	[34] = F(K_U32, dst_vlan),
	[35] = F(K_U32, fragment_id),
	[36] = F(K_U32, fragment_offset),
	[37] = F(K_U32, ipv6_flow_label),
	[38] = F(K_U32, ip_flags),
	[70] = F(K_U32, observation_domain_id),
	[71] = F(K_U32, observation_point_id),
	[80] = { K_REP, 0 },
	[81] = { K_REP, 0 },
	[82] = { K_REP_BYTES, 0 },
	[100] = F(K_ADDR, bgp_next_hop),
	[101] = { K_REP, 0 },
	[102] = { K_REP, 0 },
	[103] = { K_REP, 0 },
	[104] = { K_REP, 0 },
	[105] = { K_REP_BYTES, 0 },
	[106] = F(K_U32, ipv6_routing_header_seg_left),
	[110] = F(K_U64, time_received_ns),
	[111] = F(K_U64, time_flow_start_ns),
	[112] = F(K_U64, time_flow_end_ns),
};

static const struct field sampler_id = F(K_U32, sampler_id);
static const struct field sampler_port = F(K_U32, sampler_port);
static const struct field skip_str = { K_SKIP_STR, 0 };
static const struct field skip_int = { K_SKIP_INT, 0 };
static const struct field unknown = { K_NONE, 0 };

static inline const struct field *field_of(uint64_t num)
{
	if (num < 128)
		return &lo[num];
	if (num == 1000)
		return &sampler_id;
	if (num == 1001)
		return &sampler_port;
	/* The enrichment fields (proto/flow.proto): strings but for the
	 * interface speeds. */
	if (num == 1034 || num == 1035)
		return &skip_int;
	if ((num >= 1010 && num <= 1023) || (num >= 1030 && num <= 1033) ||
	    (num >= 1040 && num <= 1045))
		return &skip_str;
	return &unknown;
}

static bool varint_slow(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;

	for (unsigned i = 0; i < 10 && p < end; i++, p++) {
		if (i == 9 && *p > 1)
			return false; /* more than 64 bits */
		x |= (uint64_t)(*p & 0x7f) << (7 * i);
		if (!(*p & 0x80)) {
			*v = x;
			*pp = p + 1;
			return true;
		}
	}
	return false;
}

/* Ten bytes or more left: no bounds check per byte (timestamps and
 * counters take 5 to 9). */
static inline bool varint_long(const uint8_t **pp, uint64_t *v)
{
	const uint8_t *q = *pp;
	uint64_t x = q[0] & 0x7f;

	for (unsigned i = 1; i < 10; i++) {
		uint64_t b = q[i];

		x |= (b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			if (i == 9 && b > 1)
				return false; /* more than 64 bits */
			*v = x;
			*pp = q + i + 1;
			return true;
		}
	}
	return false;
}

/* The one-byte case (keys, small values) inline in the decoder. */
static inline bool get_varint(const uint8_t **p, const uint8_t *end,
			      uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = **p;
		(*p)++;
		return true;
	}
	if (end - *p >= 10)
		return varint_long(p, v);
	return varint_slow(p, end, v);
}

bool flowdec_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	return get_varint(p, end, v);
}

/* Room and counters of the repeated varint fields. */
struct reps {
	unsigned n_stack, n_size;
};

/* Appends v to repeated field num; false when it has no room left. */
static bool rep_add(struct flow_rec *r, struct reps *s, uint64_t num,
		    uint32_t v)
{
	switch (num) {
	case 80:
		if (r->n_mpls_ttl >= FLOW_MAX_MPLS)
			return false;
		r->mpls_ttl[r->n_mpls_ttl++] = v;
		return true;
	case 81:
		if (r->n_mpls >= FLOW_MAX_MPLS)
			return false;
		r->mpls_label[r->n_mpls++] = v;
		return true;
	case 101:
		if (r->n_communities >= FLOW_MAX_COMMUNITIES)
			return false;
		r->bgp_communities[r->n_communities++] = v;
		return true;
	case 102:
		if (r->n_as_path >= FLOW_MAX_AS_PATH)
			return false;
		r->as_path[r->n_as_path++] = v;
		return true;
	case 103:
		if (s->n_stack >= FLOW_MAX_LAYERS)
			return false;
		r->layer_stack[s->n_stack++] = v;
		return true;
	default: /* 104 */
		if (s->n_size >= FLOW_MAX_LAYERS)
			return false;
		r->layer_size[s->n_size++] = v;
		return true;
	}
}

/* Appends the address b[0..n) to repeated bytes field num; false when it
 * does not fit (no room, or an SRv6 address that is not 16 bytes). */
static bool rep_bytes_add(struct flow_rec *r, uint64_t num, const uint8_t *b,
			  size_t n)
{
	if (num == 82) {
		struct flow_addr *a;

		if (r->n_mpls_ip >= FLOW_MAX_MPLS)
			return false;
		a = &r->mpls_ip[r->n_mpls_ip++];
		a->len = (uint8_t)n;
		memcpy(a->b, b, n);
		return true;
	}
	if (n != 16 || r->n_srv6 >= FLOW_MAX_SRV6)
		return false;
	memcpy(r->srv6_addr[r->n_srv6++], b, 16);
	return true;
}

static inline void put_u32(struct flow_rec *r, uint16_t off, uint64_t v,
			   unsigned *flags)
{
	uint32_t x = (uint32_t)v;

	if (v != x)
		*flags |= FLOWDEC_RESHAPED;
	memcpy((uint8_t *)r + off, &x, sizeof(x));
}

/* Enums are int32 on the wire: a negative one arrives sign-extended to 64
 * bits, and its low 32 bits are what the encoders write back. */
static inline bool enum_fits(uint64_t v)
{
	return v <= UINT32_MAX || (v >> 31) == 0x1ffffffffULL;
}

int flowdec_flow(const uint8_t *p, size_t len, struct flow_rec *rec,
		 unsigned *flags)
{
	const uint8_t *end = p + len;
	struct reps s = { 0, 0 };
	unsigned f = 0;

	memset(rec, 0, sizeof(*rec));
	while (p < end) {
		const struct field *fd;
		uint64_t key, num, v, n;

		if (!get_varint(&p, end, &key))
			return -EBADMSG;
		num = key >> 3;
		if (num == 0 || num > 536870911u)
			return -EBADMSG;
		fd = field_of(num);
		switch (key & 7) {
		case 0: /* varint */
			if (!get_varint(&p, end, &v))
				return -EBADMSG;
			switch (fd->kind) {
			case K_U32:
				put_u32(rec, fd->off, v, &f);
				break;
			case K_U64:
				memcpy((uint8_t *)rec + fd->off, &v, sizeof(v));
				break;
			case K_TYPE:
				if (!enum_fits(v))
					f |= FLOWDEC_RESHAPED;
				rec->type = (uint32_t)v;
				if (v > FLOW_TYPE_IPFIX)
					f |= FLOWDEC_LENIENT;
				break;
			case K_REP:
				if ((num == 103 ? !enum_fits(v)
						: v > UINT32_MAX) ||
				    !rep_add(rec, &s, num, (uint32_t)v))
					f |= FLOWDEC_RESHAPED;
				break;
			case K_NONE:
				f |= FLOWDEC_LENIENT;
				break;
			case K_SKIP_INT:
				break;
			default: /* addresses and strings are never varints */
				return -EBADMSG;
			}
			break;
		case 2: /* length-delimited */
			if (!get_varint(&p, end, &n) || n > (uint64_t)(end - p))
				return -EBADMSG;
			switch (fd->kind) {
			case K_ADDR: {
				struct flow_addr *a =
					(struct flow_addr *)((uint8_t *)rec +
							     fd->off);

				if (n != 0 && n != 4 && n != 16)
					return -EBADMSG;
				a->len = (uint8_t)n;
				memcpy(a->b, p, n);
				break;
			}
			case K_REP_BYTES:
				if (n != 0 && n != 4 && n != 16)
					return -EBADMSG;
				if (!rep_bytes_add(rec, num, p, n))
					f |= FLOWDEC_RESHAPED;
				break;
			case K_REP: { /* packed */
				const uint8_t *q = p, *qe = p + n;

				while (q < qe) {
					if (!get_varint(&q, qe, &v))
						return -EBADMSG;
					if ((num == 103 ? !enum_fits(v)
							: v > UINT32_MAX) ||
					    !rep_add(rec, &s, num, (uint32_t)v))
						f |= FLOWDEC_RESHAPED;
				}
				break;
			}
			case K_NONE:
				f |= FLOWDEC_LENIENT;
				break;
			case K_SKIP_STR:
				break;
			default: /* scalars are never length-delimited */
				return -EBADMSG;
			}
			p += n;
			break;
		case 1: /* fixed64 */
			if (fd->kind != K_NONE || end - p < 8)
				return -EBADMSG;
			f |= FLOWDEC_LENIENT;
			p += 8;
			break;
		case 5: /* fixed32 */
			if (fd->kind != K_NONE || end - p < 4)
				return -EBADMSG;
			f |= FLOWDEC_LENIENT;
			p += 4;
			break;
		default: /* groups (3, 4) and invalid wire types */
			return -EBADMSG;
		}
	}
	rec->n_layers = (uint8_t)(s.n_stack > s.n_size ? s.n_stack : s.n_size);
	if (s.n_stack != s.n_size)
		f |= FLOWDEC_RESHAPED;
	*flags |= f;
	return 0;
}
