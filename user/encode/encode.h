/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The encode stage: struct flow_rec, and the struct flow_enriched beside it
 * when the flow is enriched, to bytes on the wire.
 *   pb:   varint length prefix + FlowMessage (proto/flow.proto), what
 *         GoFlow2's -format=bin and ClickHouse's Protobuf format use.
 *   json: one object per line, GoFlow2's JSON keys, '\n'-terminated.
 * Encoders write into a caller-owned buffer and never allocate. Every
 * encoder has an _enriched form taking the enrichment (NULL: not enriched,
 * the bytes of the plain form); the plain forms are those with NULL.
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

/* No encoded flow without enrichment is longer than this, in either
 * format. Enrichment strings have no bound: an enriched flow may be longer
 * (-ENOSPC from a buffer of this size, for the caller to count). */
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

/* As encode_pb, with the enrichment fields (1010 and up) of enr and its AS
 * numbers (has_src_as/has_dst_as) in place of the record's; enr NULL is
 * encode_pb. Never writes past cap, whatever the strings' lengths: -ENOSPC
 * when the frame does not fit. */
ssize_t encode_pb_enriched(const struct flow_rec *rec,
			   const struct flow_enriched *enr, uint8_t *buf,
			   size_t cap);

/* As encode_json, with enr's fields after sampler_port under their proto
 * field names, in field-number order: a string key only when the string is
 * not NULL nor "", a speed only when not 0 (absent when unknown, unlike the
 * record's fields, which GoFlow2 always prints). Strings are escaped (", \,
 * control characters, U+2028/U+2029) and invalid UTF-8 becomes \ufffd,
 * one per maximal ill-formed subpart (Unicode's practice, Python's
 * errors="replace"). src_as/dst_as follow has_src_as/has_dst_as. enr NULL
 * is encode_json. */
ssize_t encode_json_enriched(const struct flow_rec *rec,
			     const struct flow_enriched *enr, uint8_t *buf,
			     size_t cap);

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

/* As encode_flow_schema, with the enrichment enr beside rec (NULL: not
 * enriched, the same bytes as encode_flow_schema): encode_pb_enriched,
 * encode_pb_legacy_enriched or encode_json_enriched. enr is borrowed for
 * the call. Returns the bytes written, -ENOSPC or -EINVAL (unknown fmt). */
ssize_t encode_flow_enriched(enum out_format fmt, enum out_schema schema,
			     const struct flow_rec *rec,
			     const struct flow_enriched *enr, uint8_t *buf,
			     size_t cap);

/* Varint length prefix + flow-pipeline's light FlowMessage (GoFlow v3
 * numbering, proto/flow_legacy.proto): times in Unix seconds, only the
 * fields that schema has. Same buffer contract as encode_pb. */
ssize_t encode_pb_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap);

/* As encode_pb_legacy. The legacy schema has no enrichment fields; only
 * enr's AS numbers apply (has_src_as/has_dst_as). enr NULL is
 * encode_pb_legacy. */
ssize_t encode_pb_legacy_enriched(const struct flow_rec *rec,
				  const struct flow_enriched *enr, uint8_t *buf,
				  size_t cap);

#endif
