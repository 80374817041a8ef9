/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to user/encode: the varint-length-delimited framing every
 * protobuf encoder writes (the fast ones in encode_pb.c and
 * encode_legacy.c, protobuf-c's reference in encode_pbc.c). A body is
 * written once, straight into the caller's buffer after room for the
 * prefix it most likely needs (moved when that guess was wrong), then the
 * prefix goes in front; a
 * buffer smaller than the encoder's worst case gets the bounded part of
 * the frame built aside and copied if it fits. Bounded bodies stay below
 * 16384 bytes (a 1- or 2-byte prefix); an enriched body, whose strings
 * have no bound, may need a longer prefix.
 */
#ifndef XDPFLOW_ENCODE_PB_FRAME_H
#define XDPFLOW_ENCODE_PB_FRAME_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define PB_FRAME_PREFIX_MAX 2
/* The largest bounded body any encoder may declare as its worst case. */
#define PB_FRAME_BODY_MAX 2048
_Static_assert(PB_FRAME_BODY_MAX < 16384, "prefix must fit 2 bytes");

/* Writes the bounded body of src (and aux, which it may ignore) at p, with
 * room for the encoder's worst case, and returns the end of what it wrote
 * (bytes past it may be scribbled, within the worst case). */
typedef uint8_t *(*pb_frame_body_fn)(const void *src, const void *aux,
				     uint8_t *p);

/* The length of v as a varint (1 to 10). */
static inline size_t pb_varint_len(uint64_t v)
{
	return 1 + (size_t)(63 - __builtin_clzll(v | 1)) / 7;
}

/* Writes v as a varint at p; returns the end. */
static inline uint8_t *pb_varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A body of len bytes sits at out + reserve, reserve at least
 * pb_varint_len(len): writes the varint length in front, moving the body
 * down when the prefix is shorter than reserve. Returns the frame's total
 * length. */
static inline size_t pb_frame_close(uint8_t *out, size_t reserve, size_t len)
{
	size_t k;

	/* The common case (a bounded body), as cheap as it can be. */
	if (reserve == PB_FRAME_PREFIX_MAX && len < 0x80) {
		out[0] = (uint8_t)len;
		memmove(out + 1, out + PB_FRAME_PREFIX_MAX, len);
		return len + 1;
	}
	k = pb_varint_len(len);

	if (k < reserve)
		memmove(out + k, out + reserve, len);
	pb_varint_put(out, len);
	return k + len;
}

/* Frames body(src, aux) into buf (cap bytes). worst (at most
 * PB_FRAME_BODY_MAX) bounds what body writes; guess (1 or 2) is the
 * prefix's likely length: the body goes behind it, and moves only when the
 * guess was wrong. Returns the bytes written or -ENOSPC. */
static inline ssize_t pb_frame_write(pb_frame_body_fn body, const void *src,
				     const void *aux, size_t worst,
				     size_t guess, uint8_t *buf, size_t cap)
{
	uint8_t tmp[PB_FRAME_BODY_MAX + PB_FRAME_PREFIX_MAX];
	uint8_t *end;
	size_t n;

	if (cap >= worst + PB_FRAME_PREFIX_MAX) {
		if (guess == 1) {
			/* cap leaves room for a move up a byte. */
			end = body(src, aux, buf + 1);
			n = (size_t)(end - buf - 1);
			if (n < 0x80) {
				buf[0] = (uint8_t)n;
				return (ssize_t)n + 1;
			}
			memmove(buf + 2, buf + 1, n);
			pb_varint_put(buf, n);
			return (ssize_t)n + 2;
		}
		end = body(src, aux, buf + PB_FRAME_PREFIX_MAX);
		return (ssize_t)pb_frame_close(buf, PB_FRAME_PREFIX_MAX,
					       (size_t)(end - buf -
							PB_FRAME_PREFIX_MAX));
	}
	end = body(src, aux, tmp + PB_FRAME_PREFIX_MAX);
	n = pb_frame_close(tmp, PB_FRAME_PREFIX_MAX,
			   (size_t)(end - tmp - PB_FRAME_PREFIX_MAX));
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (ssize_t)n;
}

#endif
