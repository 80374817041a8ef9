/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to user/encode: the varint-length-delimited framing both
 * protobuf encoders (encode_pb.c, encode_legacy.c) write. A message is
 * packed once by protobuf-c, straight into the caller's buffer after room
 * for the longest prefix, then the prefix goes in front; a buffer smaller
 * than the encoder's worst case gets the frame built aside and copied if it
 * fits. Bodies stay below 16384 bytes, so the prefix is 1 or 2 bytes.
 */
#ifndef XDPFLOW_ENCODE_PB_FRAME_H
#define XDPFLOW_ENCODE_PB_FRAME_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

#define PB_FRAME_PREFIX_MAX 2
/* The largest body any encoder may declare as its worst case. */
#define PB_FRAME_BODY_MAX 2048
_Static_assert(PB_FRAME_BODY_MAX < 16384, "prefix must fit 2 bytes");

/* Packs m after PB_FRAME_PREFIX_MAX reserved bytes at out (which holds at
 * least worst + PB_FRAME_PREFIX_MAX bytes), then writes the varint length
 * in front, moving the body down when the prefix is one byte. Returns the
 * total. */
static inline size_t pb_frame_pack(const ProtobufCMessage *m, uint8_t *out)
{
	uint8_t *body = out + PB_FRAME_PREFIX_MAX;
	size_t len = protobuf_c_message_pack(m, body);

	if (len < 0x80) {
		out[0] = (uint8_t)len;
		memmove(out + 1, body, len);
		return len + 1;
	}
	out[0] = (uint8_t)(len | 0x80);
	out[1] = (uint8_t)(len >> 7);
	return len + 2;
}

/* Frames m into buf (cap bytes). worst (at most PB_FRAME_BODY_MAX) bounds
 * m's packed size. Returns the bytes written or -ENOSPC. */
static inline ssize_t pb_frame_write(const ProtobufCMessage *m, size_t worst,
				     uint8_t *buf, size_t cap)
{
	uint8_t tmp[PB_FRAME_BODY_MAX + PB_FRAME_PREFIX_MAX];
	size_t n;

	if (cap >= worst + PB_FRAME_PREFIX_MAX)
		return (ssize_t)pb_frame_pack(m, buf);
	n = pb_frame_pack(m, tmp);
	if (n > cap)
		return -ENOSPC;
	memcpy(buf, tmp, n);
	return (ssize_t)n;
}

#endif
