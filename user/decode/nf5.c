// SPDX-License-Identifier: Apache-2.0
/*
 * NetFlow v5 decoder: a 24-byte header followed by `count` fixed 48-byte
 * records. Each record becomes one struct flow_rec mapped as GoFlow2 does;
 * flow start/end come from the First/Last uptime stamps, converted against
 * the header's SysUptime and wall clock with a signed 32-bit difference so a
 * router whose uptime counter wrapped still yields correct times.
 */
#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"

#define NF5_HDR_LEN 24
#define NF5_REC_LEN 48

/* Wall-clock ns of an uptime stamp: base - (sysuptime - stamp) ms, with the
 * difference taken modulo 2^32 as a signed value (uptime wraps ~49.7 days). */
static uint64_t nf5_stamp_ns(uint64_t base_ns, uint32_t uptime, uint32_t stamp)
{
	int64_t diff_ms = (int32_t)(uptime - stamp);
	int64_t ns = (int64_t)base_ns - diff_ms * 1000000;

	return ns < 0 ? 0 : (uint64_t)ns;
}

static void nf5_addr4(struct flow_addr *a, const uint8_t *p)
{
	a->len = 4;
	memcpy(a->b, p, 4);
}

int nf5_decode(struct decode_ctx *ctx, const struct datagram *dg,
	       struct exporter_stats *es, struct flow_sink *sink)
{
	const uint8_t *h = dg->data;
	struct flow_rec rec;
	uint32_t count, uptime, seq, rate;
	uint64_t base_ns;
	size_t avail;

	(void)ctx;
	if (dg->len < NF5_HDR_LEN) {
		dstats_error(es, DSTAT_ERR_TRUNCATED,
			     "netflow v5 header needs 24 bytes, got %zu",
			     dg->len);
		return -EINVAL;
	}
	count = be16_at(h + 2);
	uptime = be32_at(h + 4);
	base_ns = (uint64_t)be32_at(h + 8) * 1000000000ULL + be32_at(h + 12);
	seq = be32_at(h + 16);
	/* h[20] engine type, h[21] engine id; sampling mode in the top 2 bits. */
	rate = be16_at(h + 22) & 0x3fff;

	avail = (dg->len - NF5_HDR_LEN) / NF5_REC_LEN;
	if (count == 0 || count > avail) {
		/* A count past the datagram is a truncated or lying header:
		 * keep the whole records that are there, but count it. */
		dstats_error(es, count ? DSTAT_ERR_TRUNCATED : DSTAT_ERR_LENGTH,
			     "netflow v5 count %u but room for %zu records in %zu bytes",
			     count, avail, dg->len);
		if (count == 0)
			return -EINVAL;
		count = (uint32_t)avail;
	} else {
		/* Bytes past the records: padding, counted, not an error. */
		es->c[DSTAT_PADDING_BYTES] +=
			dg->len - NF5_HDR_LEN - (size_t)count * NF5_REC_LEN;
	}
	es->c[DSTAT_NF5_PACKETS]++;

	memset(&rec, 0, sizeof(rec));
	rec.type = FLOW_TYPE_NETFLOW_V5;
	rec.time_received_ns = dg->time_received_ns;
	rec.sequence_num = seq;
	rec.sampling_rate = rate;
	rec.sampler_address = dg->exporter;
	rec.sampler_port = dg->exporter_port;
	rec.etype = 0x0800;

	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *r = h + NF5_HDR_LEN + (size_t)i * NF5_REC_LEN;

		nf5_addr4(&rec.src_addr, r);
		nf5_addr4(&rec.dst_addr, r + 4);
		nf5_addr4(&rec.next_hop, r + 8);
		rec.in_if = be16_at(r + 12);
		rec.out_if = be16_at(r + 14);
		rec.packets = be32_at(r + 16);
		rec.bytes = be32_at(r + 20);
		rec.time_flow_start_ns =
			nf5_stamp_ns(base_ns, uptime, be32_at(r + 24));
		rec.time_flow_end_ns =
			nf5_stamp_ns(base_ns, uptime, be32_at(r + 28));
		rec.src_port = be16_at(r + 32);
		rec.dst_port = be16_at(r + 34);
		/* r[36] pad1 */
		rec.tcp_flags = r[37];
		rec.proto = r[38];
		rec.ip_tos = r[39];
		rec.src_as = be16_at(r + 40);
		rec.dst_as = be16_at(r + 42);
		rec.src_net = r[44];
		rec.dst_net = r[45];
		/* r[46..47] pad2 */
		sink->emit(sink, &rec);
	}
	es->c[DSTAT_FLOWS] += count;
	return (int)count;
}
