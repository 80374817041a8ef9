// SPDX-License-Identifier: Apache-2.0
/*
 * Framing detection and the chunked decode -> prepare -> encode pass of
 * one Kafka message (see reframe.h). The delimited reading is tried first
 * and written as it goes, so a batch from xdpflowd (strict, delimited) is
 * read once; only a message that is not a strict delimited batch is read
 * again as a bare FlowMessage, and the output of the reading chosen is the
 * one kept.
 */
#include "relay/reframe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "relay/flowdec.h"

#define REFRAME_MAX_MSG_DEFAULT (900u * 1024u)

int reframe_init(struct reframe *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg ? max_msg : REFRAME_MAX_MSG_DEFAULT;
	r->cap = 4 * REFRAME_ROOM;
	r->buf = malloc(r->cap);
	r->cuts_cap = 16;
	r->cuts = malloc(r->cuts_cap * sizeof(*r->cuts));
	if (!r->buf || !r->cuts) {
		reframe_fini(r);
		return -ENOMEM;
	}
	return 0;
}

void reframe_fini(struct reframe *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->cuts);
	r->buf = NULL;
	r->cuts = NULL;
	r->len = r->cap = r->n_cuts = r->cuts_cap = 0;
}

/* Room for REFRAME_ROOM more bytes after r->len. */
static int room(struct reframe *r)
{
	size_t cap;
	uint8_t *b;

	if (r->cap - r->len >= REFRAME_ROOM)
		return 0;
	cap = r->cap * 2;
	b = realloc(r->buf, cap);
	if (!b)
		return -ENOMEM;
	r->buf = b;
	r->cap = cap;
	return 0;
}

static int cut(struct reframe *r, size_t end)
{
	if (r->n_cuts == r->cuts_cap) {
		size_t *c = realloc(r->cuts, 2 * r->cuts_cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		r->cuts = c;
		r->cuts_cap *= 2;
	}
	r->cuts[r->n_cuts++] = end;
	return 0;
}

/* Decodes up to REFRAME_CHUNK frames at *q (before end) into r->recs.
 * Returns how many, or -EBADMSG. */
static int decode_chunk(struct reframe *r, const uint8_t **q,
			const uint8_t *end, unsigned *flags, size_t *reshaped)
{
	int k = 0;

	while (k < REFRAME_CHUNK && *q < end) {
		unsigned f = 0;
		uint64_t fl;

		if (!flowdec_varint(q, end, &fl) || fl == 0 ||
		    fl > (uint64_t)(end - *q))
			return -EBADMSG;
		if (flowdec_flow(*q, (size_t)fl, &r->recs[k], &f))
			return -EBADMSG;
		*flags |= f;
		if (f & FLOWDEC_RESHAPED)
			(*reshaped)++;
		*q += fl;
		k++;
	}
	return k;
}

/* The delimited reading, written into r as it goes. Returns the number of
 * flows, -EBADMSG when p is not delimited, or another -errno. */
static int run_delimited(struct reframe *r, const uint8_t *p, size_t len,
			 const struct reframe_ops *ops, unsigned *flags,
			 size_t *reshaped, size_t *empty)
{
	const uint8_t *q = p, *end = p + len;
	size_t msg_start = 0, n = 0;
	int k, rc;

	r->len = r->n_cuts = r->start = 0;
	while (q < end) {
		k = decode_chunk(r, &q, end, flags, reshaped);
		if (k < 0)
			return k;
		ops->prepare(ops->ctx, r->recs, (size_t)k);
		for (int i = 0; i < k; i++) {
			ssize_t w;

			rc = room(r);
			if (rc)
				return rc;
			w = ops->encode(ops->ctx, &r->recs[i], (size_t)i,
					r->buf + r->len, r->cap - r->len);
			if (w < 0)
				return (int)w;
			if (w == 1 && r->buf[r->len] == 0) {
				(*empty)++; /* nothing we know: no frame */
				continue;
			}
			if (r->len > msg_start &&
			    r->len - msg_start + (size_t)w > r->max_msg) {
				rc = cut(r, r->len);
				if (rc)
					return rc;
				msg_start = r->len;
			}
			r->len += (size_t)w;
		}
		n += (size_t)k;
	}
	rc = r->len > msg_start ? cut(r, r->len) : 0;
	return rc ? rc : (int)n;
}

/* Encodes r->single as a bare message. 0 or -errno. */
static int write_single(struct reframe *r, const struct reframe_ops *ops)
{
	const uint8_t *q;
	uint64_t body;
	ssize_t w;
	int rc;

	r->len = r->n_cuts = r->start = 0;
	rc = room(r);
	if (rc)
		return rc;
	ops->prepare(ops->ctx, &r->single, 1);
	w = ops->encode(ops->ctx, &r->single, 0, r->buf, r->cap);
	if (w < 0)
		return (int)w;
	q = r->buf;
	if (!flowdec_varint(&q, r->buf + w, &body) ||
	    body != (uint64_t)(r->buf + w - q))
		return -EPROTO; /* the encoder broke its contract */
	r->start = (size_t)(q - r->buf);
	r->len = (size_t)w;
	if (body == 0)
		return 1; /* nothing we know: no message */
	return cut(r, r->len);
}

int reframe_message(struct reframe *r, const uint8_t *p, size_t len,
		    const struct reframe_ops *ops, struct reframe_info *info)
{
	unsigned fd = 0, fs = 0;
	size_t rd = 0, ed = 0;
	bool single_ok;
	int nd, rc;

	memset(info, 0, sizeof(*info));
	if (!p || len == 0) {
		info->why = "empty message";
		return -EBADMSG;
	}
	nd = run_delimited(r, p, len, ops, &fd, &rd, &ed);
	if (nd < 0 && nd != -EBADMSG)
		return nd;
	if (nd > 0 && !(fd & FLOWDEC_LENIENT))
		goto delimited;
	single_ok = flowdec_flow(p, len, &r->single, &fs) == 0;
	if (single_ok && (!(fs & FLOWDEC_LENIENT) || nd <= 0)) {
		info->framing = REFRAME_SINGLE;
		info->flows = 1;
		info->reshaped = (fs & FLOWDEC_RESHAPED) ? 1 : 0;
		rc = write_single(r, ops);
		if (rc == 1)
			info->empty = 1;
		return rc > 0 ? 0 : rc;
	}
	if (nd > 0)
		goto delimited;
	r->len = r->n_cuts = r->start = 0;
	info->why = "not a FlowMessage, bare or length-delimited";
	return -EBADMSG;
delimited:
	info->framing = REFRAME_DELIMITED;
	info->flows = (size_t)nd;
	info->reshaped = rd;
	info->empty = ed;
	return 0;
}
