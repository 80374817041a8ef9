// SPDX-License-Identifier: Apache-2.0
/*
 * Protobuf encoder: struct flow_rec to a varint length prefix followed by a
 * FlowMessage (proto/flow.proto, GoFlow2 v2.2.6 numbering), the framing of
 * GoFlow2's -format=bin and of ClickHouse's Protobuf input. Zero fields are
 * absent (proto3), addresses are 4 or 16 bytes, repeated scalars packed.
 *
 * The body is written by straight-line C generated at build time from
 * proto/flow.proto (scripts/gen/gen-pb-encoder.py -> flow.pb-enc.c): no
 * allocation, no protobuf-c struct, no descriptor walk. Its bytes are
 * those of protobuf-c's packer (encode_pbc_flow), which the tests check.
 */
#include "encode/encode.h"

#include "encode/pb_frame.h"
#include "flow.pb-enc.h"

_Static_assert(ENCODE_PBGEN_FLOW_WORST <= PB_FRAME_BODY_MAX,
	       "pb body must fit pb_frame");
_Static_assert(ENCODE_PBGEN_FLOW_WORST + PB_FRAME_PREFIX_MAX <= ENCODE_MAX_LEN,
	       "pb must fit ENCODE_MAX_LEN");

static uint8_t *flow_body(const void *rec, uint8_t *p)
{
	return encode_pbgen_flow_body(rec, p);
}

ssize_t encode_pb(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return pb_frame_write(flow_body, rec, ENCODE_PBGEN_FLOW_WORST, buf,
			      cap);
}
