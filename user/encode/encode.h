/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The encode stage: struct flow_rec to bytes on the wire.
 *   pb:   varint length prefix + FlowMessage (proto/flow.proto, protobuf-c),
 *         what GoFlow2's -format=bin and ClickHouse's Protobuf format use.
 *   json: one object per line, GoFlow2's JSON keys, '\n'-terminated.
 * Encoders write into a caller-owned buffer and never allocate.
 */
#ifndef XDPFLOW_ENCODE_H
#define XDPFLOW_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/flow.h"

enum out_format {
	OUT_FORMAT_PB = 0,
	OUT_FORMAT_JSON = 1,
};

/* No encoded flow is longer than this, in either format. */
#define ENCODE_MAX_LEN 16384

/* Parses "pb" or "json" (also "bin", GoFlow2's name for pb). 0 or -EINVAL. */
int encode_format_parse(const char *s, enum out_format *fmt);

/* Appends the encoding of rec at buf. Returns the number of bytes written,
 * or -ENOSPC when cap is too small (nothing useful is written then). Bytes
 * of buf past the returned length (within cap) may be overwritten: the
 * encoders store whole words. */
ssize_t encode_flow(enum out_format fmt, const struct flow_rec *rec,
		    uint8_t *buf, size_t cap);

ssize_t encode_pb(const struct flow_rec *rec, uint8_t *buf, size_t cap);
ssize_t encode_json(const struct flow_rec *rec, uint8_t *buf, size_t cap);

/* Which protobuf schema pb output follows (--schema). JSON output is the
 * same under both. */
enum out_schema {
	OUT_SCHEMA_GOFLOW2 = 0,	  /* proto/flow.proto, GoFlow2 v2.2.6 */
	OUT_SCHEMA_GOFLOW_V3 = 1, /* proto/flow_legacy.proto, flow-pipeline */
};

/* Parses "goflow2" or "goflow-v3" (also "legacy"). 0 or -EINVAL. */
int encode_schema_parse(const char *s, enum out_schema *schema);

/* As encode_flow, in the given schema: pb under OUT_SCHEMA_GOFLOW_V3 is
 * encode_pb_legacy, everything else is encode_flow. */
ssize_t encode_flow_schema(enum out_format fmt, enum out_schema schema,
			   const struct flow_rec *rec, uint8_t *buf,
			   size_t cap);

/* Varint length prefix + flow-pipeline's light FlowMessage (GoFlow v3
 * numbering, proto/flow_legacy.proto): times in Unix seconds, only the
 * fields that schema has. Same buffer contract as encode_pb. */
ssize_t encode_pb_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap);

#endif
