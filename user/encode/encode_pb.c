// SPDX-License-Identifier: Apache-2.0
/*
 * Protobuf encoder: struct flow_rec, and the struct flow_enriched beside it
 * when the flow is enriched, to a varint length prefix followed by a
 * FlowMessage (proto/flow.proto, GoFlow2 v2.2.6 numbering plus xdpflow's
 * fields from 1000 up), the framing of GoFlow2's -format=bin and of
 * ClickHouse's Protobuf input. Zero fields are absent (proto3), addresses
 * are 4 or 16 bytes, repeated scalars packed, empty strings absent.
 *
 * The body is written by straight-line C generated at build time from
 * proto/flow.proto (scripts/gen/gen-pb-encoder.py -> flow.pb-enc.c): no
 * allocation, no protobuf-c struct, no descriptor walk. Its bytes are
 * those of protobuf-c's packer (encode_pbc_flow_enriched), which the tests
 * check. The enrichment strings, which have no length bound, close the
 * message: written after the bounded part while each surely fits (the
 * common case, one pass), else measured first and written after it, so
 * nothing is ever written past cap.
 */
#include "encode/encode.h"

#include "encode/pb_frame.h"
#include "flow.pb-enc.h"

_Static_assert(ENCODE_PBGEN_FLOW_WORST <= PB_FRAME_BODY_MAX,
	       "pb body must fit pb_frame");
_Static_assert(ENCODE_PBGEN_FLOW_WORST + PB_FRAME_PREFIX_MAX <= ENCODE_MAX_LEN,
	       "pb must fit ENCODE_MAX_LEN");
_Static_assert(ENCODE_PBGEN_FLOW_HAS_ENR, "flow.proto has enrichment fields");

static uint8_t *flow_body(const void *rec, const void *enr, uint8_t *p)
{
	return encode_pbgen_flow_body(rec, enr, p);
}

/* The length prefix a FlowMessage most likely takes: an IPv4 NetFlow or
 * IPFIX flow is under 128 bytes (1 byte); an IPv6 flow, or an sFlow sample
 * with its layer fields, is longer (2 bytes). */
static size_t prefix_guess(const struct flow_rec *rec)
{
	return rec->type == FLOW_TYPE_SFLOW_5 || rec->src_addr.len == 16 ? 2
									 : 1;
}

ssize_t encode_pb(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return pb_frame_write(flow_body, rec, NULL, ENCODE_PBGEN_FLOW_WORST,
			      prefix_guess(rec), buf, cap);
}

/* Enriched into a buffer short of the worst case: the bounded part aside
 * (it may scribble past its end), then the exact length decides. Kept out
 * of line, with its stack buffer, so the common case pays for neither. */
static __attribute__((noinline)) ssize_t
pb_enriched_short(const struct flow_rec *rec, const struct flow_enriched *enr,
		  size_t tail, uint8_t *buf, size_t cap)
{
	uint8_t tmp[ENCODE_PBGEN_FLOW_WORST];
	size_t head = (size_t)(encode_pbgen_flow_body(rec, enr, tmp) - tmp);
	size_t len = head + tail, k = pb_varint_len(len);
	uint8_t *p;

	if (len > cap || cap - len < k)
		return -ENOSPC;
	p = pb_varint_put(buf, len);
	memcpy(p, tmp, head);
	encode_pbgen_flow_enr(enr, p + head);
	return (ssize_t)(k + len);
}

/* Enriched: the bounded body, then the enrichment fields, exactly tail
 * bytes, measured first. */
static __attribute__((noinline)) ssize_t
pb_enriched_measured(const struct flow_rec *rec,
		     const struct flow_enriched *enr, uint8_t *buf, size_t cap)
{
	size_t tail = encode_pbgen_flow_enr_len(enr);
	size_t worst = ENCODE_PBGEN_FLOW_WORST + tail;
	size_t reserve = pb_varint_len(worst);
	uint8_t *end;

	if (cap < worst || cap - worst < reserve)
		return pb_enriched_short(rec, enr, tail, buf, cap);
	end = encode_pbgen_flow_body(rec, enr, buf + reserve);
	end = encode_pbgen_flow_enr(enr, end);
	return (ssize_t)pb_frame_close(buf, reserve,
				       (size_t)(end - buf - reserve));
}

/* Enriched, the common case in one pass: a 2-byte length prefix kept (an
 * enriched message is 128 to 16383 bytes long in practice), the bounded
 * body, then the enrichment fields while they surely fit in cap. A message
 * of another length, or one that might not fit, is encoded again the
 * measured way (only bytes before cap have been written). */
static ssize_t pb_enriched(const struct flow_rec *rec,
			   const struct flow_enriched *enr, uint8_t *buf,
			   size_t cap)
{
	enum { RESERVE = 2 };
	uint8_t *end;
	size_t len;

	if (cap < RESERVE + ENCODE_PBGEN_FLOW_WORST)
		return pb_enriched_measured(rec, enr, buf, cap);
	end = encode_pbgen_flow_body(rec, enr, buf + RESERVE);
	end = encode_pbgen_flow_enr_to(enr, end, buf + cap);
	if (!end)
		return pb_enriched_measured(rec, enr, buf, cap);
	len = (size_t)(end - buf - RESERVE);
	if (pb_varint_len(len) > RESERVE)
		return pb_enriched_measured(rec, enr, buf, cap);
	return (ssize_t)pb_frame_close(buf, RESERVE, len);
}

ssize_t encode_pb_enriched(const struct flow_rec *rec,
			   const struct flow_enriched *enr, uint8_t *buf,
			   size_t cap)
{
	if (!enr)
		return encode_pb(rec, buf, cap);
	return pb_enriched(rec, enr, buf, cap);
}
