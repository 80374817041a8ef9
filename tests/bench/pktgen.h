/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Synthetic export packets for the benchmarks, shared by bench_decode.c (in
 * process) and udp_replay.c (over the wire), so both measure the same bytes.
 * NetFlow v9: a 20-field IPv4 template and data flowsets of PG_RECORDS
 * records; IPFIX: a 20-field IPv6 template and data sets likewise; sFlow v5:
 * datagrams of PG_SFLOW_SAMPLES flow samples, each with a 128-byte raw
 * Ethernet/IPv4/TCP header record plus extended switch and router records;
 * and IPFIX template-only messages for the template-flood memory test.
 * Header-only (static functions) because it is test code included by two
 * programs; every writer is bounds-checked against the caller's capacity.
 */
#ifndef XDPFLOW_BENCH_PKTGEN_H
#define XDPFLOW_BENCH_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PG_RECORDS 25	     /* data records per NetFlow v9 / IPFIX packet */
#define PG_SFLOW_SAMPLES 7   /* flow samples per sFlow datagram */
#define PG_SFLOW_HDR_LEN 128 /* sampled header bytes (hsflowd's default) */
#define PG_TEMPLATE_ID 256
#define PG_FLOOD_FIELDS 8   /* fields per template in the template flood */
#define PG_FLOOD_PER_MSG 30 /* templates per flood message */
#define PG_MAX_PKT 4096	    /* no generated packet is longer */

/* A bounded byte writer: once cap would be passed, ok turns false and
 * nothing more is written. */
struct pg_w {
	uint8_t *p;
	size_t len, cap;
	bool ok;
};

static inline struct pg_w pg_w_make(uint8_t *p, size_t cap)
{
	struct pg_w w = { p, 0, cap, true };
	return w;
}

static inline uint8_t *pg_room(struct pg_w *w, size_t n)
{
	uint8_t *p;

	if (!w->ok || w->cap - w->len < n) {
		w->ok = false;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

static inline void pg_u8(struct pg_w *w, uint8_t v)
{
	uint8_t *p = pg_room(w, 1);

	if (p)
		p[0] = v;
}

static inline void pg_be16(struct pg_w *w, uint16_t v)
{
	uint8_t *p = pg_room(w, 2);

	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

static inline void pg_be32(struct pg_w *w, uint32_t v)
{
	pg_be16(w, (uint16_t)(v >> 16));
	pg_be16(w, (uint16_t)v);
}

static inline void pg_be64(struct pg_w *w, uint64_t v)
{
	pg_be32(w, (uint32_t)(v >> 32));
	pg_be32(w, (uint32_t)v);
}

static inline void pg_bytes(struct pg_w *w, const void *src, size_t n)
{
	uint8_t *p = pg_room(w, n);

	if (p)
		memcpy(p, src, n);
}

/* Patches a 16-bit big-endian value at offset off (already written). */
static inline void pg_patch16(struct pg_w *w, size_t off, uint16_t v)
{
	if (w->ok && off + 2 <= w->len) {
		w->p[off] = (uint8_t)(v >> 8);
		w->p[off + 1] = (uint8_t)v;
	}
}

/* xorshift64: deterministic field values, so runs are repeatable. */
static inline uint32_t pg_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return (uint32_t)(x >> 16);
}

/* Base time of every generated packet (2024-01-01T00:00:00Z) and the uptime
 * the exporter claims then. */
#define PG_UNIX_SECS 1704067200u
#define PG_UPTIME_MS 3600000u

struct pg_field {
	uint16_t id, len;
};

/* NetFlow v9, IPv4: 56-byte records. */
static const struct pg_field pg_nf9_fields[20] = {
	{ 8, 4 },  { 12, 4 }, { 15, 4 }, { 7, 2 },  { 11, 2 },
	{ 4, 1 },  { 5, 1 },  { 6, 1 },	 { 1, 4 },  { 2, 4 },
	{ 10, 4 }, { 14, 4 }, { 16, 4 }, { 17, 4 }, { 9, 1 },
	{ 13, 1 }, { 21, 4 }, { 22, 4 }, { 58, 2 }, { 89, 1 },
};

/* IPFIX, IPv6: 110-byte records with millisecond timestamps. */
static const struct pg_field pg_ipfix_fields[20] = {
	{ 27, 16 }, { 28, 16 }, { 62, 16 }, { 7, 2 },  { 11, 2 },
	{ 4, 1 },   { 5, 1 },	{ 6, 1 },   { 1, 8 },  { 2, 8 },
	{ 10, 4 },  { 14, 4 },	{ 16, 4 },  { 17, 4 }, { 29, 1 },
	{ 30, 1 },  { 152, 8 }, { 153, 8 }, { 31, 4 }, { 89, 1 },
};

/* The flood's small IPv4 template. */
static const struct pg_field pg_flood_fields[PG_FLOOD_FIELDS] = {
	{ 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 },
	{ 4, 1 }, { 1, 8 },  { 2, 8 }, { 153, 8 },
};

static inline void pg_template_fields(struct pg_w *w, const struct pg_field *f,
				      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pg_be16(w, f[i].id);
		pg_be16(w, f[i].len);
	}
}

static inline void pg_nf9_header(struct pg_w *w, uint16_t count, uint32_t seq,
				 uint32_t source_id)
{
	pg_be16(w, 9);
	pg_be16(w, count);
	pg_be32(w, PG_UPTIME_MS + seq);
	pg_be32(w, PG_UNIX_SECS + seq / 1000);
	pg_be32(w, seq);
	pg_be32(w, source_id);
}

/* A NetFlow v9 packet holding only the template. Returns its length, or 0
 * when cap is too small. */
static inline size_t pg_nf9_template(uint8_t *buf, size_t cap, uint32_t seq,
				     uint32_t source_id)
{
	struct pg_w w = pg_w_make(buf, cap);

	pg_nf9_header(&w, 1, seq, source_id);
	pg_be16(&w, 0);
	pg_be16(&w, (uint16_t)(4 + 4 + 4 * 20));
	pg_be16(&w, PG_TEMPLATE_ID);
	pg_be16(&w, 20);
	pg_template_fields(&w, pg_nf9_fields, 20);
	return w.ok ? w.len : 0;
}

/* A NetFlow v9 data packet of PG_RECORDS records; seq also varies the
 * field values. Returns its length or 0. */
static inline size_t pg_nf9_data(uint8_t *buf, size_t cap, uint32_t seq,
				 uint32_t source_id)
{
	struct pg_w w = pg_w_make(buf, cap);
	uint64_t rs = 0x1234567ULL + seq;
	uint32_t up = PG_UPTIME_MS + seq;
	size_t set_off;

	pg_nf9_header(&w, PG_RECORDS, seq, source_id);
	set_off = w.len;
	pg_be16(&w, PG_TEMPLATE_ID);
	pg_be16(&w, 0);
	for (int i = 0; i < PG_RECORDS; i++) {
		uint32_t r = pg_rand(&rs);

		pg_be32(&w, 0xc6120000u | (r & 0xffff)); /* 198.18.x.x */
		pg_be32(&w, 0xc6130000u | (pg_rand(&rs) & 0xffff)); /* 198.19 */
		pg_be32(&w, 0xc6120001u);
		pg_be16(&w, (uint16_t)(1024 + (r % 60000)));
		pg_be16(&w, (uint16_t)(i & 1 ? 443 : 53));
		pg_u8(&w, i & 1 ? 6 : 17);
		pg_u8(&w, 0);
		pg_u8(&w, i & 1 ? 0x1b : 0);
		pg_be32(&w, 64 + r % 100000);
		pg_be32(&w, 1 + r % 100);
		pg_be32(&w, 1 + r % 48);
		pg_be32(&w, 1 + (r >> 8) % 48);
		pg_be32(&w, 64512 + r % 100);
		pg_be32(&w, 65000 + (r >> 4) % 100);
		pg_u8(&w, 16);
		pg_u8(&w, 24);
		pg_be32(&w, up - 1000);	 /* last */
		pg_be32(&w, up - 30000); /* first */
		pg_be16(&w, (uint16_t)(1 + r % 4000));
		pg_u8(&w, 64);
	}
	pg_patch16(&w, set_off + 2, (uint16_t)(w.len - set_off));
	return w.ok ? w.len : 0;
}

static inline void pg_ipfix_header(struct pg_w *w, uint32_t seq,
				   uint32_t domain)
{
	pg_be16(w, 10);
	pg_be16(w, 0); /* length, patched at the end */
	pg_be32(w, PG_UNIX_SECS + seq / 1000);
	pg_be32(w, seq);
	pg_be32(w, domain);
}

static inline size_t pg_ipfix_finish(struct pg_w *w)
{
	pg_patch16(w, 2, (uint16_t)w->len);
	return w->ok ? w->len : 0;
}

/* An IPFIX message holding only the IPv6 template. Returns length or 0. */
static inline size_t pg_ipfix_template(uint8_t *buf, size_t cap, uint32_t seq,
				       uint32_t domain)
{
	struct pg_w w = pg_w_make(buf, cap);

	pg_ipfix_header(&w, seq, domain);
	pg_be16(&w, 2);
	pg_be16(&w, (uint16_t)(4 + 4 + 4 * 20));
	pg_be16(&w, PG_TEMPLATE_ID);
	pg_be16(&w, 20);
	pg_template_fields(&w, pg_ipfix_fields, 20);
	return pg_ipfix_finish(&w);
}

static inline void pg_ipv6(struct pg_w *w, uint16_t net, uint32_t host)
{
	pg_be32(w, 0x20010002u); /* 2001:2::/48 */
	pg_be16(w, 0);
	pg_be16(w, net);
	pg_be32(w, 0);
	pg_be32(w, host);
}

/* The seq-th (from 1) IPFIX data message of PG_RECORDS IPv6 records.
 * Returns its length or 0. */
static inline size_t pg_ipfix_data(uint8_t *buf, size_t cap, uint32_t seq,
				   uint32_t domain)
{
	struct pg_w w = pg_w_make(buf, cap);
	uint64_t rs = 0x7654321ULL + seq;
	uint64_t now_ms = (uint64_t)(PG_UNIX_SECS + seq / 1000) * 1000;
	size_t set_off;

	/* IPFIX sequence numbers count data records, not messages */
	pg_ipfix_header(&w, (seq - 1) * PG_RECORDS, domain);
	set_off = w.len;
	pg_be16(&w, PG_TEMPLATE_ID);
	pg_be16(&w, 0);
	for (int i = 0; i < PG_RECORDS; i++) {
		uint32_t r = pg_rand(&rs);

		pg_ipv6(&w, 1, r);
		pg_ipv6(&w, 2, pg_rand(&rs));
		pg_ipv6(&w, 3, 1);
		pg_be16(&w, (uint16_t)(1024 + (r % 60000)));
		pg_be16(&w, (uint16_t)(i & 1 ? 443 : 53));
		pg_u8(&w, i & 1 ? 6 : 17);
		pg_u8(&w, 0);
		pg_u8(&w, i & 1 ? 0x1b : 0);
		pg_be64(&w, 64 + r % 100000);
		pg_be64(&w, 1 + r % 100);
		pg_be32(&w, 1 + r % 48);
		pg_be32(&w, 1 + (r >> 8) % 48);
		pg_be32(&w, 64512 + r % 100);
		pg_be32(&w, 65000 + (r >> 4) % 100);
		pg_u8(&w, 48);
		pg_u8(&w, 64);
		pg_be64(&w, now_ms - 30000);
		pg_be64(&w, now_ms - 1000);
		pg_be32(&w, r & 0xfffff);
		pg_u8(&w, 64);
	}
	pg_patch16(&w, set_off + 2, (uint16_t)(w.len - set_off));
	return pg_ipfix_finish(&w);
}

/* An IPFIX message defining n (<= PG_FLOOD_PER_MSG) distinct templates,
 * ids first_tid.., in observation domain `domain`. Returns length or 0. */
static inline size_t pg_ipfix_flood(uint8_t *buf, size_t cap, uint32_t seq,
				    uint32_t domain, uint16_t first_tid,
				    unsigned n)
{
	struct pg_w w = pg_w_make(buf, cap);
	size_t set_off;

	pg_ipfix_header(&w, seq, domain);
	set_off = w.len;
	pg_be16(&w, 2);
	pg_be16(&w, 0);
	for (unsigned i = 0; i < n; i++) {
		pg_be16(&w, (uint16_t)(first_tid + i));
		pg_be16(&w, PG_FLOOD_FIELDS);
		pg_template_fields(&w, pg_flood_fields, PG_FLOOD_FIELDS);
	}
	pg_patch16(&w, set_off + 2, (uint16_t)(w.len - set_off));
	return pg_ipfix_finish(&w);
}

/* The sampled frame: Ethernet, IPv4, TCP, then payload up to
 * PG_SFLOW_HDR_LEN bytes. */
static inline void pg_sflow_frame(struct pg_w *w, uint32_t r, uint32_t flen)
{
	static const uint8_t dmac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	static const uint8_t smac[6] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x02 };
	size_t start = w->len;

	pg_bytes(w, dmac, 6);
	pg_bytes(w, smac, 6);
	pg_be16(w, 0x0800);
	pg_u8(w, 0x45);
	pg_u8(w, 0);
	pg_be16(w, (uint16_t)(flen - 14 - 4)); /* minus Ethernet and FCS */
	pg_be16(w, (uint16_t)r);
	pg_be16(w, 0x4000); /* DF */
	pg_u8(w, 64);
	pg_u8(w, 6);
	pg_be16(w, 0);
	pg_be32(w, 0xc6120000u | (r & 0xffff));
	pg_be32(w, 0xc6130000u | ((r >> 16) & 0xffff));
	pg_be16(w, (uint16_t)(1024 + r % 60000));
	pg_be16(w, 443);
	pg_be32(w, r);
	pg_be32(w, ~r);
	pg_u8(w, 0x50);
	pg_u8(w, 0x18);
	pg_be16(w, 65535);
	pg_be32(w, 0);
	while (w->ok && w->len - start < PG_SFLOW_HDR_LEN)
		pg_u8(w, 0xab);
}

/* An sFlow v5 datagram (IPv4 agent 198.18.0.1) of PG_SFLOW_SAMPLES flow
 * samples. Returns its length or 0. */
static inline size_t pg_sflow(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct pg_w w = pg_w_make(buf, cap);
	uint64_t rs = 0xabcdef1ULL + seq;

	pg_be32(&w, 5);
	pg_be32(&w, 1);
	pg_be32(&w, 0xc6120001u);
	pg_be32(&w, 0);
	pg_be32(&w, seq);
	pg_be32(&w, PG_UPTIME_MS + seq);
	pg_be32(&w, PG_SFLOW_SAMPLES);
	for (uint32_t i = 0; i < PG_SFLOW_SAMPLES; i++) {
		uint32_t r = pg_rand(&rs);
		uint32_t flen = 64 + r % 1454;
		size_t len_off;

		if (flen < PG_SFLOW_HDR_LEN + 4)
			flen = PG_SFLOW_HDR_LEN + 4;
		pg_be32(&w, 1); /* enterprise 0, flow sample */
		len_off = w.len;
		pg_be32(&w, 0);
		pg_be32(&w, seq * PG_SFLOW_SAMPLES + i);
		pg_be32(&w, 1 + i % 48); /* source id: ifIndex */
		pg_be32(&w, 1024);	 /* sampling rate */
		pg_be32(&w, (seq * PG_SFLOW_SAMPLES + i) * 1024u);
		pg_be32(&w, 0);
		pg_be32(&w, 1 + i % 48);
		pg_be32(&w, 1 + (r >> 8) % 48);
		pg_be32(&w, 3);
		/* raw packet header */
		pg_be32(&w, 1);
		pg_be32(&w, 16 + PG_SFLOW_HDR_LEN);
		pg_be32(&w, 1); /* Ethernet */
		pg_be32(&w, flen);
		pg_be32(&w, 4);
		pg_be32(&w, PG_SFLOW_HDR_LEN);
		pg_sflow_frame(&w, r, flen);
		/* extended switch */
		pg_be32(&w, 1001);
		pg_be32(&w, 16);
		pg_be32(&w, 100 + i);
		pg_be32(&w, 0);
		pg_be32(&w, 200 + i);
		pg_be32(&w, 0);
		/* extended router */
		pg_be32(&w, 1002);
		pg_be32(&w, 16);
		pg_be32(&w, 1);
		pg_be32(&w, 0xc6120001u);
		pg_be32(&w, 16);
		pg_be32(&w, 24);
		if (w.ok) {
			uint32_t sl = (uint32_t)(w.len - len_off - 4);

			w.p[len_off] = (uint8_t)(sl >> 24);
			w.p[len_off + 1] = (uint8_t)(sl >> 16);
			w.p[len_off + 2] = (uint8_t)(sl >> 8);
			w.p[len_off + 3] = (uint8_t)sl;
		}
	}
	return w.ok ? w.len : 0;
}

#endif
