// SPDX-License-Identifier: Apache-2.0
/*
 * The encode stage's front door: parses the output format name given on the
 * command line and dispatches one flow to the protobuf or JSON encoder.
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

ssize_t encode_flow(enum out_format fmt, const struct flow_rec *rec,
		    uint8_t *buf, size_t cap)
{
	switch (fmt) {
	case OUT_FORMAT_PB:
		return encode_pb(rec, buf, cap);
	case OUT_FORMAT_JSON:
		return encode_json(rec, buf, cap);
	}
	return -EINVAL;
}
