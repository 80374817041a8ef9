/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encode-internal: the protobuf-c reference encoder. encode_pb writes the
 * wire format by hand for speed; encode_pb_pbc produces the same bytes
 * through protobuf-c's generic packer and is what the tests hold encode_pb
 * against. Not for the hot path.
 */
#ifndef XDPFLOW_ENCODE_INTERNAL_H
#define XDPFLOW_ENCODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/flow.h"

/* Same contract and output as encode_pb: varint length prefix + FlowMessage
 * packed by protobuf_c_message_pack from a stack message pointing into rec.
 * Returns the bytes written or -ENOSPC. Allocates nothing. */
ssize_t encode_pb_pbc(const struct flow_rec *rec, uint8_t *buf, size_t cap);

#endif
