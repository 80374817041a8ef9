// SPDX-License-Identifier: Apache-2.0
/*
 * Legacy protobuf encoder (--schema goflow-v3): struct flow_rec to a varint
 * length prefix followed by flow-pipeline's light FlowMessage
 * (proto/flow_legacy.proto, GoFlow v3 numbering, package flowprotob), so
 * flow-pipeline's inserter and ClickHouse tables read our output unchanged.
 * Times become Unix seconds; fields that schema lacks are dropped. Like
 * encode_pb, the body is straight-line C generated from the proto
 * (flow_legacy.pb-enc.c), byte for byte what protobuf-c's packer writes
 * (encode_pbc_legacy_enriched). That schema has no enrichment fields (its
 * proto is flow-pipeline's): of an enrichment only the AS numbers apply,
 * SrcAS/DstAS taking enr->src_as/dst_as when has_src_as/has_dst_as.
 */
#include "encode/encode.h"

#include "encode/pb_frame.h"
#include "flow_legacy.pb-enc.h"

_Static_assert(ENCODE_PBGEN_LEGACY_WORST <= PB_FRAME_BODY_MAX,
	       "legacy body must fit pb_frame");
_Static_assert(ENCODE_PBGEN_LEGACY_WORST + PB_FRAME_PREFIX_MAX <=
		       ENCODE_MAX_LEN,
	       "legacy pb must fit ENCODE_MAX_LEN");

static uint8_t *legacy_body(const void *rec, const void *enr, uint8_t *p)
{
	return encode_pbgen_legacy_body(rec, enr, p);
}

ssize_t encode_pb_legacy_enriched(const struct flow_rec *rec,
				  const struct flow_enriched *enr, uint8_t *buf,
				  size_t cap)
{
	return pb_frame_write(legacy_body, rec, enr, ENCODE_PBGEN_LEGACY_WORST,
			      2, buf, cap);
}

ssize_t encode_pb_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return encode_pb_legacy_enriched(rec, NULL, buf, cap);
}
