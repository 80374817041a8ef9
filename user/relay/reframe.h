/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One Kafka message of FlowMessages in, the same message transformed out,
 * in the same framing. A message is either one bare FlowMessage or a
 * concatenation of varint-length-prefixed ones (xdpflowd --kafka-batch,
 * GoFlow2's -format=bin); which one is decided as the inserter decides
 * (insert/pbdec.h): a strict length-delimited reading (every frame
 * non-empty and a FlowMessage with known fields only, covering the message
 * exactly), else a strict bare one, else the same two leniently (unknown
 * fields allowed). Flows are decoded (relay/flowdec.h) in chunks of up to
 * REFRAME_CHUNK records, each chunk handed to the caller's prepare (say,
 * enrich the chunk), then each flow to encode, which writes its
 * varint-length-prefixed frame; the output is those frames back to back
 * (delimited input) or the one frame without its prefix (bare input). A
 * delimited output longer than max_msg is cut at frame boundaries into
 * several messages, each still delimited. A flow that encodes to an empty
 * FlowMessage (it held only fields xdpflow does not know) is left out and
 * counted: an empty frame would make a batch unreadable; a message left
 * with no flow gives no output message.
 */
#ifndef XDPFLOW_RELAY_REFRAME_H
#define XDPFLOW_RELAY_REFRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/flow.h"

#define REFRAME_CHUNK 64

enum reframe_framing {
	REFRAME_SINGLE = 1,    /* one bare FlowMessage */
	REFRAME_DELIMITED = 2, /* varint length + FlowMessage, repeated */
};

struct reframe_ops {
	/* recs[0..n) (n <= REFRAME_CHUNK) are about to be encoded, in
	 * order, by encode with i = 0..n-1. */
	void (*prepare)(void *ctx, const struct flow_rec *recs, size_t n);
	/* Writes recs[i]'s varint-length-prefixed frame at buf (cap bytes,
	 * at least REFRAME_ROOM). Returns its length or -errno (the message
	 * then fails with it). */
	ssize_t (*encode)(void *ctx, const struct flow_rec *rec, size_t i,
			  uint8_t *buf, size_t cap);
	void *ctx;
};

/* Room given to each encode: the encoders' ENCODE_MAX_LEN. */
#define REFRAME_ROOM 16384

/* The output of one message; reused from message to message. */
struct reframe {
	uint8_t *buf;
	size_t len, cap;
	size_t *cuts; /* ends of the output messages, n_cuts of them */
	size_t n_cuts, cuts_cap;
	size_t max_msg; /* cut delimited output at this many bytes */
	size_t start;	/* where the first output message starts */
	struct flow_rec recs[REFRAME_CHUNK];
	struct flow_rec single;
};

/* What reframe_message found. */
struct reframe_info {
	enum reframe_framing framing;
	size_t flows;
	size_t reshaped; /* flows the record could not hold exactly */
	size_t empty;	 /* flows left out: nothing in them we know */
	const char *why; /* on -EBADMSG: a static reason */
};

/* Sets up r (max_msg: 0 for 900 KiB). 0 or -ENOMEM. */
int reframe_init(struct reframe *r, size_t max_msg);

/* Frees r's buffers. NULL-safe, idempotent. */
void reframe_fini(struct reframe *r);

/*
 * Transforms p[0..len) through ops into r: the output messages are
 * r->buf[start..r->cuts[0]), [r->cuts[0]..r->cuts[1]) ... up to
 * r->cuts[n_cuts - 1] == r->len, where start is r->start (after a
 * bare flow's length prefix, else 0); n_cuts is 0 when no flow is left. Returns
 * 0 with *info filled, -EBADMSG (info->why says why; nothing to send),
 * -ENOMEM, or an encode failure's -errno.
 */
int reframe_message(struct reframe *r, const uint8_t *p, size_t len,
		    const struct reframe_ops *ops, struct reframe_info *info);

#endif
