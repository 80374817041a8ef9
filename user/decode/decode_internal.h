/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the decode stage's own files only: the context layout and each
 * protocol decoder's entry point. Included by decode.c, nf5.c, nf9.c,
 * ipfix.c, sflow.c and nf_fields.c; nothing outside user/decode/.
 */
#ifndef XDPFLOW_DECODE_INTERNAL_H
#define XDPFLOW_DECODE_INTERNAL_H

#include <stdbool.h>

#include "common/flow.h"
#include "decode/decode_stats.h"

struct nf_state; /* NetFlow v9/IPFIX templates, held sets, sampling rates
		  * (nf_state.h) */

/* One receive worker's decode context (decode.h's opaque struct). */
/* Records handed to a sink's emit_batch at once (flow.h): enough for the
 * sink's lookups to overlap, few enough to stay in the L1 cache. */
#define DECODE_BATCH 8

struct decode_ctx {
	struct dstats_table stats;
	struct nf_state *nf;
	bool biflow_split; /* decode_config.biflow == DECODE_BIFLOW_SPLIT */
	/* DECODE_BATCH records for sinks with emit_batch (nf_fields.c):
	 * zero past the part every record copies from its set's base
	 * between data sets, so that no set pays to clear them. */
	struct flow_rec *batch;
};

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
