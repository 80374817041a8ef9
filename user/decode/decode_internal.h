/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the decode stage's own files only: the context layout and each
 * protocol decoder's entry point. Included by decode.c, nf5.c, nf9.c,
 * ipfix.c, sflow.c and nf_fields.c; nothing outside user/decode/.
 */
#ifndef XDPFLOW_DECODE_INTERNAL_H
#define XDPFLOW_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "common/flow.h"
#include "decode/decode_stats.h"

struct nf_state; /* NetFlow v9/IPFIX templates, held sets, sampling rates
		  * (nf_state.h) */

/* One receive worker's decode context (decode.h's opaque struct). */
/* Records handed to a sink's emit_batch at once (flow.h): enough for the
 * enricher's 64 address lookups to overlap their cache misses (IPFIX/IPv6
 * enrichment cost 37 ns per flow with 32, 45 ns with 8: bench_decode
 * --enrich, side by side), few enough for their scalars (10 KB) to stay
 * in the L1 cache. */
#define DECODE_BATCH 32

struct decode_ctx {
	struct dstats_table stats;
	struct nf_state *nf;
	bool biflow_split; /* decode_config.biflow == DECODE_BIFLOW_SPLIT */
	/* DECODE_BATCH records for sinks with emit_batch (nf_fields.c):
	 * zero past the part every record copies from its set's base
	 * between data sets, so that no set pays to clear them. */
	struct flow_rec *batch;
};

/* A record's scalars: everything before its arrays, which their counts
 * govern (flow.h). */
#define FLOW_SCALARS offsetof(struct flow_rec, bgp_communities)

/* Copies or zeroes a record's scalars, once per decoded flow. In constant
 * chunks of at most 128 bytes, which clang turns into vector moves: one
 * copy of the whole span became `rep movsq`, whose start-up cost was a
 * fifth of NetFlow v9 decode (bench_decode). */
static inline __attribute__((always_inline)) void
flow_copy_scalars(struct flow_rec *dst, const struct flow_rec *src)
{
	enum { C = 128 };
	char *d = (char *)dst;
	const char *s = (const char *)src;

	_Static_assert(FLOW_SCALARS > 2 * C && FLOW_SCALARS <= 3 * C,
		       "flow_copy_scalars: three chunks");
	memcpy(d, s, C);
	memcpy(d + C, s + C, C);
	memcpy(d + 2 * C, s + 2 * C, FLOW_SCALARS - 2 * C);
}

static inline __attribute__((always_inline)) void
flow_zero_scalars(struct flow_rec *dst)
{
	enum { C = 64 }; /* memset goes to `rep stos` above 64 */
	char *d = (char *)dst;
	size_t o = 0;

	for (; o + C <= FLOW_SCALARS; o += C)
		memset(d + o, 0, C);
	memset(d + o, 0, FLOW_SCALARS - o);
}

/*
 * Protocol decoders. Each is called with the datagram's exporter entry
 * already counted for DSTAT_PACKETS, emits flows into sink, and returns the
 * number emitted or -errno when the datagram was rejected as a whole (after
 * counting why in es).
 */
int nf5_decode(struct decode_ctx *ctx, const struct datagram *dg,
	       struct exporter_stats *es, struct flow_sink *sink);
int nf9_decode(struct decode_ctx *ctx, const struct datagram *dg,
	       struct exporter_stats *es, struct flow_sink *sink);
int ipfix_decode(struct decode_ctx *ctx, const struct datagram *dg,
		 struct exporter_stats *es, struct flow_sink *sink);
int sflow_decode(struct decode_ctx *ctx, const struct datagram *dg,
		 struct exporter_stats *es, struct flow_sink *sink);

#endif
