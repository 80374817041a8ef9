/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetFlow v9/IPFIX information element mapping onto struct flow_rec
 * (GoFlow2's mapping, plus the few elements GoFlow2 leaves out), and the
 * set walking and data record decoding both protocols share. Internal to
 * user/decode.
 */
#ifndef XDPFLOW_DECODE_NF_FIELDS_H
#define XDPFLOW_DECODE_NF_FIELDS_H

#include "decode/nf_state.h"

/*
 * Decodes the records of one data set (set header excluded) with template
 * t: flows go to sink; options records update the sampler entries. Returns
 * the number of flows emitted.
 */
int nf_fields_decode_set(struct decode_ctx *ctx, struct exporter_stats *es,
			 const struct nf_msg *msg, const struct nf_tmpl *t,
			 const uint8_t *p, size_t len, struct flow_sink *sink);

/*
 * Parses one template or options template set body (set header excluded),
 * learning its templates; returns the flows of held sets they unlocked.
 */
typedef int (*nf_tmpl_set_fn)(struct decode_ctx *ctx, struct exporter_stats *es,
			      const struct nf_msg *msg, uint16_t set_id,
			      const uint8_t *p, size_t len,
			      struct flow_sink *sink);

/*
 * Walks the sets of one message body (after the message header) in three
 * passes: templates and options templates first, then options data, so
 * templates and sampling rates exported anywhere in the message apply to
 * all of its data; then data sets (held when their template is unknown). Sets start
 * within the first msg_len bytes but may run to len (a message length a few
 * bytes short is an exporter bug GoFlow2 tolerates; counted). Set ids
 * tmpl_id and opt_id go to tmpl_fn; ids 256 and up are data; others are
 * counted as bad sets. Returns the number of flows emitted.
 */
int nf_fields_walk(struct decode_ctx *ctx, struct exporter_stats *es,
		   const struct nf_msg *msg, const uint8_t *p, size_t len,
		   size_t msg_len, uint16_t tmpl_id, uint16_t opt_id, nf_tmpl_set_fn tmpl_fn,
		   struct flow_sink *sink);

#endif
