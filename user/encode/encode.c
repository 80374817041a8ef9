// SPDX-License-Identifier: Apache-2.0
/*
 * The encode stage's front door: parses the output format and schema names
 * given on the command line and dispatches one flow, with its enrichment
 * or without, to the protobuf (either schema) or JSON encoder.
 */
#include "encode/encode.h"

#include <errno.h>
#include <string.h>

int encode_format_parse(const char *s, enum out_format *fmt)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "pb") || !strcmp(s, "bin")) {
		*fmt = OUT_FORMAT_PB;
		return 0;
	}
	if (!strcmp(s, "json")) {
		*fmt = OUT_FORMAT_JSON;
		return 0;
	}
	return -EINVAL;
}

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

ssize_t encode_flow_enriched(enum out_format fmt, enum out_schema schema,
			     const struct flow_rec *rec,
			     const struct flow_enriched *enr, uint8_t *buf,
			     size_t cap)
{
	switch (fmt) {
	case OUT_FORMAT_PB:
		if (schema == OUT_SCHEMA_GOFLOW_V3)
			return encode_pb_legacy_enriched(rec, enr, buf, cap);
		return encode_pb_enriched(rec, enr, buf, cap);
	case OUT_FORMAT_JSON:
		return encode_json_enriched(rec, enr, buf, cap);
	}
	return -EINVAL;
}

ssize_t encode_flow(enum out_format fmt, const struct flow_rec *rec,
		    uint8_t *buf, size_t cap)
{
	return encode_flow_enriched(fmt, OUT_SCHEMA_GOFLOW2, rec, NULL, buf,
				    cap);
}

ssize_t encode_flow_schema(enum out_format fmt, enum out_schema schema,
			   const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	return encode_flow_enriched(fmt, schema, rec, NULL, buf, cap);
}
