/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the NetFlow v9/IPFIX unit tests (test_nf9.c, test_ipfix.c,
 * test_nf_state.c): a tiny export packet builder (big-endian writes, set
 * length patching, IPFIX message length patching, template fields) and the
 * per-exporter counter lookups the tests assert on, and the test fixture
 * they share (a decode context, a collecting sink, one datagram). Test-only;
 * everything is static inline so each test uses what it needs.
 */
#ifndef XDPFLOW_TESTS_NF_BUILD_H
#define XDPFLOW_TESTS_NF_BUILD_H

#include <stdio.h>
#include <stdlib.h>

#include "decode/decode.h"
#include "unit.h"

/* One export packet under construction; set is where the open set began. */
struct pb {
	uint8_t b[8192];
	size_t n;
	size_t set;
};

static inline void pb_u8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static inline void pb_u16(struct pb *p, uint16_t v)
{
	pb_u8(p, (uint8_t)(v >> 8));
	pb_u8(p, (uint8_t)v);
}

static inline void pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, (uint16_t)(v >> 16));
	pb_u16(p, (uint16_t)v);
}

static inline void pb_u64(struct pb *p, uint64_t v)
{
	pb_u32(p, (uint32_t)(v >> 32));
	pb_u32(p, (uint32_t)v);
}

static inline void pb_bytes(struct pb *p, const void *v, size_t n)
{
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

/* Opens a set (or v9 flowset) with id; its length is patched at the end. */
static inline void pb_set_begin(struct pb *p, uint16_t id)
{
	p->set = p->n;
	pb_u16(p, id);
	pb_u16(p, 0);
}

/* Ends the set, padding it with zeros to a multiple of `align`. */
static inline void pb_set_end(struct pb *p, size_t align)
{
	while ((p->n - p->set) % align)
		pb_u8(p, 0);
	p->b[p->set + 2] = (uint8_t)((p->n - p->set) >> 8);
	p->b[p->set + 3] = (uint8_t)(p->n - p->set);
}

/* Writes the IPFIX message length (the whole packet) into its header. */
static inline void ipfix_fin(struct pb *p)
{
	p->b[2] = (uint8_t)(p->n >> 8);
	p->b[3] = (uint8_t)p->n;
}

/* A template field: element id and length. */
static inline void field(struct pb *p, uint16_t ie, uint16_t len)
{
	pb_u16(p, ie);
	pb_u16(p, len);
}

/* An IPFIX enterprise-specific template field (bit 15, then the PEN). */
static inline void efield(struct pb *p, uint16_t ie, uint16_t len, uint32_t pen)
{
	pb_u16(p, ie | 0x8000);
	pb_u16(p, len);
	pb_u32(p, pen);
}

/* One counter of exporter's entry in ctx's statistics. */
static inline uint64_t nfb_stat(const struct decode_ctx *ctx,
				const struct flow_addr *exporter, enum dstat s)
{
	struct exporter_stats *es =
		dstats_get((struct dstats_table *)decode_stats(ctx), exporter);
	return es->c[s];
}

/* The sum of exporter's error counters in ctx. */
static inline uint64_t nfb_errors(const struct decode_ctx *ctx,
				  const struct flow_addr *exporter)
{
	uint64_t n = 0;

	for (int s = DSTAT_ERR_FIRST; s < DSTAT__COUNT; s++)
		n += nfb_stat(ctx, exporter, (enum dstat)s);
	return n;
}

/* A decode context fed from one packet builder. path is scratch room for
 * tests that save a templates file. */
struct nf_fixture {
	struct decode_config cfg;
	struct decode_ctx *ctx;
	struct unit_sink us;
	struct datagram dg;
	struct pb p;
	char path[64];
};

/* cmocka setup: a fixture in *state with a context made from cfg, and a
 * datagram from exporter (alen address bytes) port received at now_ns. */
static inline int nfb_setup(void **state, const struct decode_config *cfg,
			    const uint8_t *exporter, uint8_t alen,
			    uint16_t port, uint64_t now_ns)
{
	struct nf_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cfg = *cfg;
	f->ctx = decode_ctx_new(&f->cfg);
	assert_non_null(f->ctx);
	unit_sink_init(&f->us);
	f->dg.exporter.len = alen;
	memcpy(f->dg.exporter.b, exporter, alen);
	f->dg.exporter_port = port;
	f->dg.time_received_ns = now_ns;
	*state = f;
	return 0;
}

/* cmocka teardown for nfb_setup; removes f->path if one was set. */
static inline int nfb_teardown(void **state)
{
	struct nf_fixture *f = *state;

	decode_ctx_free(f->ctx);
	if (f->path[0])
		remove(f->path);
	free(f);
	return 0;
}

/* Decodes the packet built in f->p with ctx (as is: IPFIX callers patch
 * the message length first). Returns what decode_datagram returns. */
static inline int nfb_feed(struct nf_fixture *f, struct decode_ctx *ctx)
{
	f->dg.data = f->p.b;
	f->dg.len = f->p.n;
	return decode_datagram(ctx, &f->dg, &f->us.sink);
}

#endif
