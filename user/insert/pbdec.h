/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FlowMessages out of a Kafka message, for the inserter. A Kafka message
 * holds either one bare FlowMessage (flow-pipeline's mocker, proto.Marshal)
 * or one or more varint-length-prefixed FlowMessages (xdpflow's pb format
 * with any --kafka-batch, GoFlow2's -format=bin). The two are told apart by
 * validating the wire format before anything is unpacked: a length-delimited
 * reading must cover the message exactly and every part must be a valid
 * FlowMessage (known fields with their wire types, addresses of 0, 4 or 16
 * bytes, the enrichment strings length-delimited); the strict check (no unknown field, a known flow type) is tried
 * for both readings before a lenient one (unknown fields and flow types
 * allowed, as newer producers may add some). Unpacking uses protobuf-c with a fixed arena, so nothing is
 * allocated per message.
 */
#ifndef XDPFLOW_INSERT_PBDEC_H
#define XDPFLOW_INSERT_PBDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "flow.pb-c.h"

enum pbdec_framing {
	PBDEC_SINGLE = 1,    /* one bare FlowMessage */
	PBDEC_DELIMITED = 2, /* varint length + FlowMessage, repeated */
};

/* Default arena: the largest unpacked FlowMessage accepted. */
#define PBDEC_ARENA_DEFAULT (1u << 20)
/* At most this many FlowMessages in one Kafka message. */
#define PBDEC_MAX_FLOWS 1000000u

struct pbdec {
	ProtobufCAllocator alloc;
	uint8_t *arena;
	size_t cap;
	size_t used;
};

/* Allocates the unpack arena (arena_cap bytes, 0 for the default).
 * 0 or -ENOMEM. */
int pbdec_init(struct pbdec *d, size_t arena_cap);

/* Frees the arena. NULL-safe, idempotent. */
void pbdec_fini(struct pbdec *d);

/* Decides how p[0..len) is framed without unpacking it. On success returns
 * 0 and sets *framing and *n (number of FlowMessages, >= 1); on failure
 * returns -EBADMSG and points *why at a static reason. Reads nothing outside
 * p[0..len). */
int pbdec_classify(const struct pbdec *d, const uint8_t *p, size_t len,
		   enum pbdec_framing *framing, size_t *n, const char **why);

/* Called once per FlowMessage; m is valid only during the call. Return 0 to
 * go on, non-zero to stop (pbdec_decode then returns -ECANCELED). */
typedef int (*pbdec_fn)(void *ctx, const Flowpb__FlowMessage *m);

/* Classifies p[0..len), then unpacks each FlowMessage and calls fn.
 * Returns the number of FlowMessages, -EBADMSG (nothing was passed to fn;
 * *why set) or -ECANCELED/-ENOMEM after fn may have seen some of them
 * (*why set): the caller undoes what fn did. */
int pbdec_decode(struct pbdec *d, const uint8_t *p, size_t len, pbdec_fn fn,
		 void *ctx, const char **why);

#endif
