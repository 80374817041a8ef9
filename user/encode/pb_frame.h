/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to user/encode: the varint-length-delimited framing every
 * protobuf encoder writes (the fast ones in encode_pb.c and
 * encode_legacy.c, protobuf-c's reference in encode_pbc.c). A body is
 * written once, straight into the caller's buffer after room for the
 * longest prefix, then the prefix goes in front; a buffer smaller than the
 * encoder's worst case gets the frame built aside and copied if it fits.
 * Bodies stay below 16384 bytes, so the prefix is 1 or 2 bytes.
 */
#ifndef XDPFLOW_ENCODE_PB_FRAME_H
#define XDPFLOW_ENCODE_PB_FRAME_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#define PB_FRAME_PREFIX_MAX 2
/* The largest body any encoder may declare as its worst case. */
#define PB_FRAME_BODY_MAX 2048
_Static_assert(PB_FRAME_BODY_MAX < 16384, "prefix must fit 2 bytes");

/* Writes a body at p (room for the encoder's worst case) from src and
 * returns the end of what it wrote. */
typedef uint8_t *(*pb_frame_body_fn)(const void *src, uint8_t *p);

/* A body of len bytes sits at out + PB_FRAME_PREFIX_MAX: writes the varint
 * length in front, moving the body down when the prefix is one byte.
 * Returns the frame's total length. */
static inline size_t pb_frame_close(uint8_t *out, size_t len)
{
	if (len < 0x80) {
		out[0] = (uint8_t)len;
		memmove(out + 1, out + PB_FRAME_PREFIX_MAX, len);
		return len + 1;
	}
	out[0] = (uint8_t)(len | 0x80);
	out[1] = (uint8_t)(len >> 7);
	return len + 2;
}

/* Frames body(src) into buf (cap bytes). worst (at most PB_FRAME_BODY_MAX)
 * bounds what body writes. Returns the bytes written or -ENOSPC. */
static inline ssize_t pb_frame_write(pb_frame_body_fn body, const void *src,
				     size_t worst, uint8_t *buf, size_t cap)
{
	uint8_t tmp[PB_FRAME_BODY_MAX + PB_FRAME_PREFIX_MAX];
	uint8_t *end;
	size_t n;

	if (cap >= worst + PB_FRAME_PREFIX_MAX) {
		end = body(src, buf + PB_FRAME_PREFIX_MAX);
		return (ssize_t)pb_frame_close(buf,
					       (size_t)(end - buf -
							PB_FRAME_PREFIX_MAX));
	}
	end = body(src, tmp + PB_FRAME_PREFIX_MAX);
	n = pb_frame_close(tmp, (size_t)(end - tmp - PB_FRAME_PREFIX_MAX));
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (ssize_t)n;
}

#endif
