/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference protobuf encoders: struct flow_rec to a protobuf-c message
 * struct, packed by protobuf_c_message_pack (the generated code of
 * proto/flow.proto and proto/flow_legacy.proto). The daemon encodes with
 * the fast generated encoders (encode_pb, encode_pb_legacy); these define
 * the bytes those must match, in tests, fuzzing and bench_decode's
 * --encoder protobuf-c.
 */
#ifndef XDPFLOW_ENCODE_PBC_H
#define XDPFLOW_ENCODE_PBC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/flow.h"

/* As encode_pb: varint length prefix + flowpb.FlowMessage in buf (cap
 * bytes). Returns the bytes written or -ENOSPC. */
ssize_t encode_pbc_flow(const struct flow_rec *rec, uint8_t *buf, size_t cap);

/* As encode_pb_legacy: varint length prefix + flowprotob.FlowMessage.
 * Returns the bytes written or -ENOSPC. */
ssize_t encode_pbc_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap);

/* As encode_pb_enriched and encode_pb_legacy_enriched (enr NULL: the plain
 * forms above). Returns the bytes written or -ENOSPC. */
ssize_t encode_pbc_flow_enriched(const struct flow_rec *rec,
				 const struct flow_enriched *enr, uint8_t *buf,
				 size_t cap);
ssize_t encode_pbc_legacy_enriched(const struct flow_rec *rec,
				   const struct flow_enriched *enr,
				   uint8_t *buf, size_t cap);

#endif
