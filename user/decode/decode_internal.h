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

/* NetFlow v9/IPFIX state (user/decode/nf_state.c). */
struct nf_state *nf_state_new(const struct decode_config *cfg);
void nf_state_free(struct nf_state *nf);
void nf_state_expire(struct decode_ctx *ctx, uint64_t now_ns);
int nf_state_save(const struct nf_state *const *nfs, size_t n, const char *path);
bool nf_state_dirty(struct nf_state *nf);
int nf_state_load(struct nf_state *nf, const char *path);

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
