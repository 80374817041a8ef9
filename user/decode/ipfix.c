// SPDX-License-Identifier: Apache-2.0
/*
 * IPFIX decoder (RFC 7011): the 16-byte message header, then sets walked by
 * nf_fields_walk. This file parses template sets (id 2) and options
 * template sets (id 3): enterprise-specific fields (bit 15, then a 4-byte
 * PEN), variable-length fields (length 65535) and template withdrawals
 * (field count 0; template id 2 or 3 withdraws all templates or all options
 * templates of the observation domain).
 */
#include <errno.h>

#include "common/bytes.h"
#include "decode/decode_internal.h"
#include "decode/nf_compile.h"
#include "decode/nf_fields.h"
#include "decode/nf_state.h"

#define IPFIX_HDR_LEN 16

static bool ipfix_padding(const struct cur *c)
{
	for (size_t i = 0; i < c->left; i++)
		if (c->p[i])
			return false;
	return true;
}

static void ipfix_withdraw(struct decode_ctx *ctx, struct exporter_stats *es,
			   const struct nf_msg *msg, uint16_t tid, bool options)
{
	struct nf_key k;

	nf_state_key(&k, msg, tid, 0);
	es->c[DSTAT_TEMPLATE_WITHDRAWALS]++;
	if (tid == 2 || tid == 3)
		nf_state_tmpl_withdraw_all(ctx->nf, &k, tid == 3);
	else if (tid >= 256)
		nf_state_tmpl_withdraw(ctx->nf, &k);
	else
		dstats_error(es, DSTAT_ERR_TEMPLATE,
			     "%stemplate withdrawal for id %u",
			     options ? "options " : "", tid);
}

/* Template (id 2) and options template (id 3) sets. */
static int ipfix_tmpl_set(struct decode_ctx *ctx, struct exporter_stats *es,
			  const struct nf_msg *msg, uint16_t set_id,
			  const uint8_t *p, size_t len, struct flow_sink *sink)
{
	struct nf_field fields[NF_MAX_FIELDS];
	struct cur c = cur_make(p, len);
	bool options = set_id == 3;
	int flows = 0;

	while (c.left >= 4) {
		uint16_t tid = cur_be16(&c), n = cur_be16(&c), nscope = 0;
		struct nf_key k;
		int rc;

		if (n == 0) {
			if (tid == 0 && ipfix_padding(&c))
				break;
			ipfix_withdraw(ctx, es, msg, tid, options);
			continue;
		}
		if (tid < 256) {
			dstats_error(es, DSTAT_ERR_TEMPLATE,
				     "template id %u below 256", tid);
			break;
		}
		if (options) {
			nscope = cur_be16(&c);
			if (c.bad || nscope > n) {
				dstats_error(es, DSTAT_ERR_TEMPLATE,
					     "options template %u: scope count %u of %u fields",
					     tid, nscope, n);
				break;
			}
		}
		if (n > NF_MAX_FIELDS || (size_t)n * 4 > c.left) {
			dstats_error(es, DSTAT_ERR_TEMPLATE,
				     "template %u: %u fields do not fit (%zu bytes left, at most %u fields)",
				     tid, n, c.left, NF_MAX_FIELDS);
			break;
		}
		for (uint16_t i = 0; i < n; i++) {
			uint16_t ie = cur_be16(&c);

			fields[i].len = cur_be16(&c);
			fields[i].ie = ie & 0x7fff;
			fields[i].pen = (ie & 0x8000) ? cur_be32(&c) : 0;
		}
		if (c.bad) {
			dstats_error(es, DSTAT_ERR_TEMPLATE,
				     "template %u: fields run past the set",
				     tid);
			break;
		}
		nf_state_key(&k, msg, tid, 0);
		rc = nf_compile_learn(ctx->nf, es, &k, options, nscope, fields,
				      n);
		if (rc < 0)
			continue;
		nf_state_tmpl_seen(ctx->nf, &k, msg->time_received_ns);
		es->c[options ? DSTAT_OPTIONS_TEMPLATES : DSTAT_TEMPLATES]++;
		flows += nf_fields_replay(ctx, es, &k, sink);
	}
	return flows;
}

int ipfix_decode(struct decode_ctx *ctx, const struct datagram *dg,
		 struct exporter_stats *es, struct flow_sink *sink)
{
	const uint8_t *h = dg->data;
	struct nf_msg msg;
	size_t len;

	if (dg->len < IPFIX_HDR_LEN) {
		dstats_error(es, DSTAT_ERR_TRUNCATED,
			     "ipfix header needs 16 bytes, got %zu", dg->len);
		return -EINVAL;
	}
	len = be16_at(h + 2);
	if (len < IPFIX_HDR_LEN) {
		dstats_error(es, DSTAT_ERR_LENGTH, "ipfix message length %zu",
			     len);
		return -EINVAL;
	}
	if (len > dg->len) {
		/* Truncated in transit: decode the whole sets that are here. */
		dstats_error(es, DSTAT_ERR_TRUNCATED,
			     "ipfix message length %zu, datagram %zu", len,
			     dg->len);
		len = dg->len;
	}
	es->c[DSTAT_IPFIX_PACKETS]++;
	msg = (struct nf_msg){
		.exporter = dg->exporter,
		.exporter_port = dg->exporter_port,
		.ver = 10,
		.time_received_ns = dg->time_received_ns,
		.export_secs = be32_at(h + 4),
		.seq = be32_at(h + 8),
		.domain = be32_at(h + 12),
	};
	return nf_fields_walk(ctx, es, &msg, h + IPFIX_HDR_LEN,
			      dg->len - IPFIX_HDR_LEN, len - IPFIX_HDR_LEN, 2,
			      3, ipfix_tmpl_set, sink);
}
