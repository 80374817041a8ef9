// SPDX-License-Identifier: Apache-2.0
/*
 * sFlow v5 decoder (sflow.org SFLOW-DATAGRAM5, SFLOW-STRUCTS5, sflow_drops):
 * one flow per flow sample (0:1) and expanded flow sample (0:3), filled as
 * GoFlow2 v2.2.6's sFlow producer fills it; counter (0:2, 0:4) and discard
 * (0:5) samples are counted and skipped, as are unknown samples and records.
 * Every XDR length is checked against what is left before it is used: a
 * bad record costs at most its sample, a bad sample only itself when its
 * length is intact, and nothing read before a truncation is lost. Each
 * sample builds its flow in one struct flow_rec on the stack.
 *
 * The next sample or record starts right after the length given, as in
 * GoFlow2: the XDR padding of an odd length is not skipped. Agents pad
 * every structure inside so that lengths are multiples of 4; the odd
 * length the quirk cases hold, a last record whose padding its sample's
 * length covers, reads the same either way (tests/sys/quirk_cases.py,
 * sflow_odd_lengths).
 */
#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"
#include "decode/pkt_hdr.h"

/* Sample and record types: enterprise << 12 | format. */
enum {
	SF_SAMPLE_FLOW = 1,
	SF_SAMPLE_COUNTER = 2,
	SF_SAMPLE_FLOW_EXP = 3,
	SF_SAMPLE_COUNTER_EXP = 4,
	SF_SAMPLE_DISCARD = 5,

	SF_REC_RAW = 1,
	SF_REC_ETH = 2,
	SF_REC_IPV4 = 3,
	SF_REC_IPV6 = 4,
	SF_REC_SWITCH = 1001,
	SF_REC_ROUTER = 1002,
	SF_REC_GATEWAY = 1003,

	SF_HDR_ETHERNET = 1,
	SF_HDR_IPV4 = 11,
	SF_HDR_IPV6 = 12,
};

/* What every flow of one datagram shares. */
struct sf_dgram {
	const struct datagram *dg;
	struct exporter_stats *es;
	struct flow_addr agent;
	uint32_t seq;
};

/* Reads an XDR address (type, then 0, 4 or 16 bytes) into a; false when it
 * is cut short or of an unknown type. */
static bool read_addr(struct cur *c, struct flow_addr *a)
{
	const uint8_t *p;
	uint32_t type = cur_be32(c);

	switch (type) {
	case 0: /* UNKNOWN: no address bytes */
		a->len = 0;
		return !c->bad;
	case 1:
		a->len = 4;
		break;
	case 2:
		a->len = 16;
		break;
	default:
		c->bad = true;
		return false;
	}
	p = cur_take(c, a->len);
	if (!p)
		return false;
	memcpy(a->b, p, a->len);
	return true;
}

static bool rec_raw(struct cur *r, struct flow_rec *rec)
{
	uint32_t proto = cur_be32(r);
	uint32_t frame_len = cur_be32(r);
	const uint8_t *hdr;
	uint32_t hlen;

	cur_skip(r, 4); /* stripped */
	hlen = cur_be32(r);
	hdr = cur_take(r, hlen);
	if (!hdr)
		return false;
	rec->bytes = frame_len;
	switch (proto) {
	case SF_HDR_ETHERNET:
		pkt_hdr_parse(hdr, hlen, PKT_HDR_ETHERNET, rec);
		break;
	case SF_HDR_IPV4:
		pkt_hdr_parse(hdr, hlen, PKT_HDR_IPV4, rec);
		break;
	case SF_HDR_IPV6:
		pkt_hdr_parse(hdr, hlen, PKT_HDR_IPV6, rec);
		break;
	}
	return true;
}

static bool rec_eth(struct cur *r, struct flow_rec *rec)
{
	/* length, src_mac and dst_mac (each opaque[6], padded to 8), type */
	const uint8_t *p = cur_take(r, 24);

	if (!p)
		return false;
	rec->bytes = be32_at(p);
	rec->src_mac = (uint64_t)be16_at(p + 4) << 32 | be32_at(p + 6);
	rec->dst_mac = (uint64_t)be16_at(p + 12) << 32 | be32_at(p + 14);
	rec->etype = be32_at(p + 20);
	return true;
}

/* Sampled IPv4 (alen 4) or IPv6 (alen 16) record. */
static bool rec_ip(struct cur *r, struct flow_rec *rec, uint8_t alen)
{
	const uint8_t *p = cur_take(r, 8 + 2 * (size_t)alen + 16);
	const uint8_t *q;

	if (!p)
		return false;
	q = p + 8 + 2 * alen;
	rec->bytes = be32_at(p);
	rec->proto = be32_at(p + 4);
	rec->src_addr.len = alen;
	rec->dst_addr.len = alen;
	memcpy(rec->src_addr.b, p + 8, alen);
	memcpy(rec->dst_addr.b, p + 8 + alen, alen);
	rec->src_port = be32_at(q);
	rec->dst_port = be32_at(q + 4);
	rec->tcp_flags = be32_at(q + 8);
	rec->ip_tos = be32_at(q + 12);
	rec->etype = alen == 4 ? 0x0800 : 0x86dd;
	return true;
}

static bool rec_switch(struct cur *r, struct flow_rec *rec)
{
	const uint8_t *p = cur_take(r, 16);

	if (!p)
		return false;
	rec->src_vlan = be32_at(p);
	rec->dst_vlan = be32_at(p + 8);
	return true;
}

static bool rec_router(struct cur *r, struct flow_rec *rec)
{
	struct flow_addr nh;
	uint32_t src_mask, dst_mask;

	if (!read_addr(r, &nh))
		return false;
	src_mask = cur_be32(r);
	dst_mask = cur_be32(r);
	if (r->bad)
		return false;
	rec->next_hop = nh;
	rec->src_net = src_mask;
	rec->dst_net = dst_mask;
	return true;
}

/*
 * Extended gateway: the AS path segments are flattened into as_path (capped;
 * dst_as is still the path's very last AS, next_hop_as its first), as
 * GoFlow2 does for its single segment. Nothing is set unless all is valid;
 * the arrays may be scribbled on, their counts are set last.
 */
static bool rec_gateway(struct cur *r, struct flow_rec *rec)
{
	uint32_t as, src_as, nseg, ncomm, first = 0, last = 0;
	size_t npath = 0;
	struct flow_addr nh;
	const uint8_t *p;
	uint8_t nstored = 0;

	if (!read_addr(r, &nh))
		return false;
	as = cur_be32(r);
	src_as = cur_be32(r);
	cur_skip(r, 4); /* src_peer_as */
	nseg = cur_be32(r);
	if (r->bad || nseg > r->left / 8)
		return false;
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t n;

		cur_skip(r, 4); /* segment type: set or sequence */
		n = cur_be32(r);
		if (r->bad || n > r->left / 4)
			return false;
		p = cur_take(r, (size_t)n * 4);
		if (!n)
			continue;
		if (!npath)
			first = be32_at(p);
		last = be32_at(p + ((size_t)n - 1) * 4);
		for (uint32_t k = 0; k < n && nstored < FLOW_MAX_AS_PATH; k++)
			rec->as_path[nstored++] = be32_at(p + (size_t)k * 4);
		npath += n;
	}
	ncomm = cur_be32(r);
	if (r->bad || ncomm > r->left / 4)
		return false;
	p = cur_take(r, (size_t)ncomm * 4);
	cur_skip(r, 4); /* localpref */
	if (r->bad)
		return false;
	rec->n_as_path = nstored;
	rec->n_communities = 0;
	for (uint32_t k = 0; k < ncomm && k < FLOW_MAX_COMMUNITIES; k++)
		rec->bgp_communities[rec->n_communities++] =
			be32_at(p + (size_t)k * 4);
	rec->bgp_next_hop = nh;
	if (npath) {
		rec->next_hop_as = first;
		rec->dst_as = last;
	} else {
		rec->dst_as = as;
	}
	rec->src_as = src_as ? src_as : as;
	return true;
}

/* Returns false when the record is malformed (its contents are ignored). */
static bool flow_record(const struct sf_dgram *d, uint32_t type, struct cur *r,
			struct flow_rec *rec)
{
	if (type >> 12) {
		d->es->c[DSTAT_SFLOW_UNKNOWN_RECORDS]++;
		return true;
	}
	switch (type) {
	case SF_REC_RAW:
		return rec_raw(r, rec);
	case SF_REC_ETH:
		return rec_eth(r, rec);
	case SF_REC_IPV4:
		return rec_ip(r, rec, 4);
	case SF_REC_IPV6:
		return rec_ip(r, rec, 16);
	case SF_REC_SWITCH:
		return rec_switch(r, rec);
	case SF_REC_ROUTER:
		return rec_router(r, rec);
	case SF_REC_GATEWAY:
		return rec_gateway(r, rec);
	}
	d->es->c[DSTAT_SFLOW_UNKNOWN_RECORDS]++;
	return true;
}

/* One flow sample (compact or expanded) in s. Returns flows emitted. */
static int flow_sample(const struct sf_dgram *d, struct cur *s, bool expanded,
		       uint32_t idx, struct flow_sink *sink)
{
	uint32_t rate, in_if, out_if, nrec;
	struct flow_rec rec;

	d->es->c[DSTAT_SFLOW_FLOW_SAMPLES]++;
	/* sequence, source id (1 or 2 words), rate, pool, drops */
	cur_skip(s, expanded ? 12 : 8);
	rate = cur_be32(s);
	cur_skip(s, 8);
	if (expanded)
		cur_skip(s, 4); /* input format */
	in_if = cur_be32(s);
	if (expanded)
		cur_skip(s, 4); /* output format */
	out_if = cur_be32(s);
	nrec = cur_be32(s);
	if (s->bad) {
		dstats_error(d->es, DSTAT_ERR_SFLOW_SAMPLE,
			     "flow sample %u: fixed fields cut short", idx);
		return 0;
	}
	if (nrec > s->left / 8) {
		dstats_error(d->es, DSTAT_ERR_SFLOW_COUNT,
			     "flow sample %u: %u records in %zu bytes", idx,
			     nrec, s->left);
		return 0;
	}

	/* The arrays are governed by their counts: zero up to them only. */
	flow_zero_scalars(&rec);
	rec.type = FLOW_TYPE_SFLOW_5;
	rec.time_received_ns = d->dg->time_received_ns;
	rec.time_flow_start_ns = d->dg->time_received_ns;
	rec.time_flow_end_ns = d->dg->time_received_ns;
	rec.sequence_num = d->seq;
	rec.sampler_address = d->agent;
	rec.sampler_port = d->dg->exporter_port;
	rec.sampling_rate = rate;
	rec.in_if = in_if;
	rec.out_if = out_if;
	rec.packets = 1;

	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t type = cur_be32(s);
		uint32_t len = cur_be32(s);
		struct cur r;

		if (s->bad || len > s->left) {
			dstats_error(d->es, DSTAT_ERR_SFLOW_RECORD,
				     "flow sample %u record %u: length %u past "
				     "the sample's end",
				     idx, i, len);
			return 0;
		}
		r = cur_sub(s, len);
		if (!flow_record(d, type, &r, &rec))
			dstats_error(d->es, DSTAT_ERR_SFLOW_RECORD,
				     "flow sample %u record %u (%u:%u): "
				     "malformed in %u bytes",
				     idx, i, type >> 12, type & 0xfff, len);
	}
	sink->emit(sink, &rec);
	d->es->c[DSTAT_FLOWS]++;
	return 1;
}

int sflow_decode(struct decode_ctx *ctx, const struct datagram *dg,
		 struct exporter_stats *es, struct flow_sink *sink)
{
	struct cur c = cur_make(dg->data, dg->len);
	struct sf_dgram d = { .dg = dg, .es = es };
	uint32_t atype, nsamples;
	const uint8_t *p;
	int flows = 0;

	(void)ctx;
	es->c[DSTAT_SFLOW_PACKETS]++;
	cur_skip(&c, 4); /* version, checked by the caller */
	atype = cur_be32(&c);
	if (!c.bad && atype > 2) {
		dstats_error(es, DSTAT_ERR_SFLOW_HEADER,
			     "agent address type %u", atype);
		return -EINVAL;
	}
	d.agent.len = atype == 1 ? 4 : atype == 2 ? 16 : 0;
	p = cur_take(&c, d.agent.len);
	if (p)
		memcpy(d.agent.b, p, d.agent.len);
	cur_skip(&c, 4); /* sub-agent id */
	d.seq = cur_be32(&c);
	cur_skip(&c, 4); /* uptime */
	nsamples = cur_be32(&c);
	if (c.bad) {
		dstats_error(es, DSTAT_ERR_TRUNCATED,
			     "datagram header cut short: %zu bytes", dg->len);
		return -EINVAL;
	}
	if (nsamples > c.left / 8) {
		dstats_error(es, DSTAT_ERR_SFLOW_COUNT,
			     "%u samples in %zu bytes", nsamples, c.left);
		return -EINVAL;
	}

	for (uint32_t i = 0; i < nsamples; i++) {
		uint32_t type = cur_be32(&c);
		uint32_t len = cur_be32(&c);
		struct cur s;

		if (c.bad || len > c.left) {
			dstats_error(es, DSTAT_ERR_TRUNCATED,
				     "sample %u of %u: length %u past the "
				     "datagram's end",
				     i, nsamples, len);
			break;
		}
		s = cur_sub(&c, len);
		switch (type) {
		case SF_SAMPLE_FLOW:
		case SF_SAMPLE_FLOW_EXP:
			flows += flow_sample(&d, &s, type == SF_SAMPLE_FLOW_EXP,
					     i, sink);
			break;
		case SF_SAMPLE_COUNTER:
		case SF_SAMPLE_COUNTER_EXP:
			es->c[DSTAT_SFLOW_COUNTER_SAMPLES]++;
			break;
		case SF_SAMPLE_DISCARD:
			es->c[DSTAT_SFLOW_DISCARD_SAMPLES]++;
			break;
		default: /* other formats and enterprises */
			es->c[DSTAT_SFLOW_UNKNOWN_SAMPLES]++;
			break;
		}
	}
	return flows;
}
