// SPDX-License-Identifier: Apache-2.0
/*
 * Legacy protobuf encoder (--schema goflow-v3): struct flow_rec to a varint
 * length prefix followed by flow-pipeline's light FlowMessage
 * (proto/flow_legacy.proto, GoFlow v3 numbering, package flowprotob), so
 * flow-pipeline's inserter and ClickHouse tables read our output unchanged.
 * Times become Unix seconds; fields that schema lacks are dropped. Like
 * encode_pb, the message is filled on the stack pointing into the record
 * and packed once by protobuf-c's generated packer (nothing allocated).
 * Also the schema name parser and the schema-aware dispatch.
 */
#include "encode/encode.h"

#include <errno.h>
#include <string.h>

#include "encode/pb_frame.h"
#include "flow_legacy.pb-c.h"

/* The light message has 27 scalars (at most 11 bytes each with the key) and
 * three 16-byte addresses: well under 512 bytes. */
#define LEGACY_WORST 512
_Static_assert(LEGACY_WORST <= PB_FRAME_BODY_MAX, "legacy body must fit pb_frame");
_Static_assert(LEGACY_WORST + PB_FRAME_PREFIX_MAX <= ENCODE_MAX_LEN,
	       "legacy pb must fit ENCODE_MAX_LEN");

#define NS_PER_S 1000000000ULL

int encode_schema_parse(const char *s, enum out_schema *schema)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "goflow2")) {
		*schema = OUT_SCHEMA_GOFLOW2;
		return 0;
	}
	if (!strcmp(s, "goflow-v3") || !strcmp(s, "legacy")) {
		*schema = OUT_SCHEMA_GOFLOW_V3;
		return 0;
	}
	return -EINVAL;
}

ssize_t encode_flow_schema(enum out_format fmt, enum out_schema schema,
			   const struct flow_rec *rec, uint8_t *buf,
			   size_t cap)
{
	if (fmt == OUT_FORMAT_PB && schema == OUT_SCHEMA_GOFLOW_V3)
		return encode_pb_legacy(rec, buf, cap);
	return encode_flow(fmt, rec, buf, cap);
}

static inline void bin(ProtobufCBinaryData *d, const struct flow_addr *a)
{
	/* Only 4 and 16 are valid lengths; anything else is left absent. */
	d->len = (a->len == 4 || a->len == 16) ? a->len : 0;
	d->data = (uint8_t *)a->b;
}

ssize_t encode_pb_legacy(const struct flow_rec *rec, uint8_t *buf, size_t cap)
{
	static const Flowprotob__FlowMessage init =
		FLOWPROTOB__FLOW_MESSAGE__INIT;
	Flowprotob__FlowMessage m = init;

	/* Types outside the enum are unknown to flow-pipeline too. */
	m.type = rec->type <= FLOW_TYPE_IPFIX ?
			 (Flowprotob__FlowMessage__FlowType)rec->type :
			 FLOWPROTOB__FLOW_MESSAGE__FLOW_TYPE__FLOWUNKNOWN;
	m.timereceived = rec->time_received_ns / NS_PER_S;
	m.sequencenum = rec->sequence_num;
	m.samplingrate = rec->sampling_rate;
	bin(&m.sampleraddress, &rec->sampler_address);
	m.timeflowstart = rec->time_flow_start_ns / NS_PER_S;
	m.timeflowend = rec->time_flow_end_ns / NS_PER_S;
	m.bytes = rec->bytes;
	m.packets = rec->packets;
	bin(&m.srcaddr, &rec->src_addr);
	bin(&m.dstaddr, &rec->dst_addr);
	m.etype = rec->etype;
	m.proto = rec->proto;
	m.srcport = rec->src_port;
	m.dstport = rec->dst_port;
	m.inif = rec->in_if;
	m.outif = rec->out_if;
	m.iptos = rec->ip_tos;
	m.forwardingstatus = rec->forwarding_status;
	m.ipttl = rec->ip_ttl;
	m.tcpflags = rec->tcp_flags;
	m.icmptype = rec->icmp_type;
	m.icmpcode = rec->icmp_code;
	m.ipv6flowlabel = rec->ipv6_flow_label;
	m.srcas = rec->src_as;
	m.dstas = rec->dst_as;

	return pb_frame_write(&m.base, LEGACY_WORST, buf, cap);
}
