/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FlowMessage (proto/flow.proto) wire bytes straight into struct flow_rec,
 * for xdpflow-enrich's hot path: one pass with a switch on the field
 * number, no unpacked message and no allocation. It is the inverse of the
 * encoders in user/encode: whatever encode_pb wrote decodes to the record it
 * came from, so decoding then encoding again gives the same bytes. Input is
 * hostile: every read is bounds-checked. The wire rules are the inserter's
 * (insert/pbdec.h): known fields must have their wire types, addresses are
 * 0, 4 or 16 bytes, unknown fields are skipped but make the message
 * "lenient" rather than "strict", as does a flow type past IPFIX. What a
 * record cannot hold (more array entries than it has room for, a uint32
 * field holding more than 32 bits, layer_stack and layer_size of different
 * lengths, an SRv6 address that is not 16 bytes) is cut to fit and flagged.
 * The enrichment fields (1010 and up) are known and skipped: the caller
 * enriches again; in another wire type than theirs they are refused like
 * any known field (as the inserter's decoder refuses them, so both accept
 * the same messages).
 */
#ifndef XDPFLOW_RELAY_FLOWDEC_H
#define XDPFLOW_RELAY_FLOWDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"

/* Flags flowdec_flow sets (or'ed). */
enum flowdec_flags {
	FLOWDEC_LENIENT = 1,  /* an unknown field or flow type */
	FLOWDEC_RESHAPED = 2, /* the record could not hold the input exactly */
};

/*
 * Decodes the FlowMessage body p[0..len) into *rec, which it zeroes first.
 * Returns 0 and ors enum flowdec_flags into *flags, or -EBADMSG (*rec
 * undefined) when p is not a well-formed FlowMessage. Reads nothing outside
 * p[0..len).
 */
int flowdec_flow(const uint8_t *p, size_t len, struct flow_rec *rec,
		 unsigned *flags);

/*
 * Reads a protobuf varint at *p (before end) into *v and advances *p.
 * Returns false (nothing advanced) when it runs past end or is longer than
 * 64 bits.
 */
bool flowdec_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
