/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the decode stage's own files only: the context layout and each
 * protocol decoder's entry point. Nothing outside user/decode/ includes it.
 */
#ifndef XDPFLOW_DECODE_INTERNAL_H
#define XDPFLOW_DECODE_INTERNAL_H

#include "decode/decode.h"

struct nf_state; /* NetFlow v9/IPFIX templates, held sets, sampling rates */

struct decode_ctx {
	struct decode_config cfg;
	struct dstats_table stats;
	struct nf_state *nf;
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
