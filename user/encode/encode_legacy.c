// SPDX-License-Identifier: Apache-2.0
/*
 * Legacy protobuf encoder (--schema goflow-v3): struct flow_rec to a varint
 * length prefix followed by flow-pipeline's light FlowMessage
 * (proto/flow_legacy.proto, GoFlow v3 numbering, package flowprotob), so
 * flow-pipeline's inserter and ClickHouse tables read our output unchanged.
 * Times become Unix seconds; fields that schema lacks are dropped. Like
 * encode_pb, the body is straight-line C generated from the proto
 * (flow_legacy.pb-enc.c), byte for byte what protobuf-c's packer writes
 * (encode_pbc_legacy). Also the schema name parser and the schema-aware
 * dispatch.
 */
#include "encode/encode.h"

#include <errno.h>
#include <string.h>

#include "encode/pb_frame.h"
#include "flow_legacy.pb-enc.h"

_Static_assert(ENCODE_PBGEN_LEGACY_WORST <= PB_FRAME_BODY_MAX,
	       "legacy body must fit pb_frame");
_Static_assert(ENCODE_PBGEN_LEGACY_WORST + PB_FRAME_PREFIX_MAX <=
		       ENCODE_MAX_LEN,
	       "legacy pb must fit ENCODE_MAX_LEN");

int encode_schema_parse(const char *s, enum out_schema *schema)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "goflow2")) {
		*schema = OUT_SCHEMA_GOFLOW2;
		return 0;
	}
	if (!strcmp(s, "goflow-v3") || !strcmp(s, "legacy")) {
		*schema = OUT_SCHEMA_GOFLOW_V3;
		return 0;
	}
	return -EINVAL;
}

ssize_t encode_flow_schema(enum out_format fmt, enum out_schema schema,
			   const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	if (fmt == OUT_FORMAT_PB && schema == OUT_SCHEMA_GOFLOW_V3)
		return encode_pb_legacy(rec, buf, cap);
	return encode_flow(fmt, rec, buf, cap);
}

static uint8_t *legacy_body(const void *rec, uint8_t *p)
{
	return encode_pbgen_legacy_body(rec, p);
}

ssize_t encode_pb_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return pb_frame_write(legacy_body, rec, ENCODE_PBGEN_LEGACY_WORST, buf,
			      cap);
}
