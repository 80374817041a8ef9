// SPDX-License-Identifier: Apache-2.0
/*
 * NetFlow v9 decoder (RFC 3954): the 20-byte header, then flowsets walked
 * by nf_fields_walk. This file parses template flowsets (id 0) and options
 * template flowsets (id 1, scope fields first); data flowsets (id >= 256)
 * decode through the compiled templates in nf_fields.c.
 */
#include <errno.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"
#include "decode/nf_compile.h"
#include "decode/nf_fields.h"
#include "decode/nf_state.h"

#define NF9_HDR_LEN 20

/* The rest of a flowset is padding if it is all zero. */
static bool nf9_padding(const struct cur *c)
{
	for (size_t i = 0; i < c->left; i++)
		if (c->p[i])
			return false;
	return true;
}

static int nf9_learn(struct decode_ctx *ctx, struct exporter_stats *es,
		     const struct nf_msg *msg, uint16_t tid, bool options,
		     uint16_t nscope, const struct nf_field *fields,
		     uint16_t nfields, struct flow_sink *sink)
{
	struct nf_key k;
	int rc;

	nf_state_key(&k, msg, tid, 0);
	rc = nf_compile_learn(ctx->nf, es, &k, options, nscope, fields,
			      nfields);
	if (rc < 0)
		return 0;
	nf_state_tmpl_seen(ctx->nf, &k, msg->time_received_ns);
	es->c[options ? DSTAT_OPTIONS_TEMPLATES : DSTAT_TEMPLATES]++;
	return nf_fields_replay(ctx, es, &k, sink);
}

/* Template (id 0) and options template (id 1) flowsets. */
static int nf9_tmpl_set(struct decode_ctx *ctx, struct exporter_stats *es,
			const struct nf_msg *msg, uint16_t set_id,
			const uint8_t *p, size_t len, struct flow_sink *sink)
{
	struct nf_field fields[NF_MAX_FIELDS];
	struct cur c = cur_make(p, len);
	bool options = set_id == 1;
	int flows = 0;

	while (c.left >= (options ? 6u : 4u)) {
		uint16_t tid = cur_be16(&c), nscope = 0, n;

		if (options) {
			uint16_t slen = cur_be16(&c), olen = cur_be16(&c);

			if (tid < 256 && !tid && !slen && !olen &&
			    nf9_padding(&c))
				break;
			if (slen % 4 || olen % 4) {
				dstats_error(es, DSTAT_ERR_TEMPLATE,
					     "options template %u: scope length %u or option length %u not a multiple of 4",
					     tid, slen, olen);
				break;
			}
			nscope = slen / 4;
			n = (uint16_t)(nscope + olen / 4);
		} else {
			n = cur_be16(&c);
			if (!tid && !n && nf9_padding(&c))
				break;
		}
		if (tid < 256) {
			dstats_error(es, DSTAT_ERR_TEMPLATE,
				     "template id %u below 256", tid);
			break;
		}
		if (n == 0 || n > NF_MAX_FIELDS || (size_t)n * 4 > c.left) {
			dstats_error(es, DSTAT_ERR_TEMPLATE,
				     "template %u: %u fields do not fit (%zu bytes left, at most %u fields)",
				     tid, n, c.left, NF_MAX_FIELDS);
			break;
		}
		for (uint16_t i = 0; i < n; i++) {
			fields[i].ie = cur_be16(&c);
			fields[i].len = cur_be16(&c);
			fields[i].pen = 0;
		}
		flows += nf9_learn(ctx, es, msg, tid, options, nscope, fields,
				   n, sink);
	}
	return flows;
}

int nf9_decode(struct decode_ctx *ctx, const struct datagram *dg,
	       struct exporter_stats *es, struct flow_sink *sink)
{
	const uint8_t *h = dg->data;
	struct nf_msg msg;

	if (dg->len < NF9_HDR_LEN) {
		dstats_error(es, DSTAT_ERR_TRUNCATED,
			     "netflow v9 header needs 20 bytes, got %zu",
			     dg->len);
		return -EINVAL;
	}
	es->c[DSTAT_NF9_PACKETS]++;
	msg = (struct nf_msg){
		.exporter = dg->exporter,
		.exporter_port = dg->exporter_port,
		.ver = 9,
		.time_received_ns = dg->time_received_ns,
		.uptime_ms = be32_at(h + 4),
		.export_secs = be32_at(h + 8),
		.seq = be32_at(h + 12),
		.domain = be32_at(h + 16),
	};
	/* The header's count (records incl. templates) is unreliable in the
	 * wild; flowsets are walked to the end of the datagram instead. */
	return nf_fields_walk(ctx, es, &msg, h + NF9_HDR_LEN,
			      dg->len - NF9_HDR_LEN, dg->len - NF9_HDR_LEN, 0,
			      1, nf9_tmpl_set, sink);
}
