/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetFlow v9/IPFIX data records onto struct flow_rec (user/decode/
 * nf_fields.c): the set walk and data set decoding both protocols share,
 * and the replay and expiry of held data sets. Included by nf_fields.c,
 * nf9.c, ipfix.c and decode.c.
 */
#ifndef XDPFLOW_DECODE_NF_FIELDS_H
#define XDPFLOW_DECODE_NF_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "decode/nf_state.h"

struct decode_ctx;
struct exporter_stats;
struct flow_sink;

/* Decodes (then frees) every data set held for template k, which the
 * caller has just learnt, counting DSTAT_SETS_REPLAYED. Returns the number
 * of flows emitted. */
int nf_fields_replay(struct decode_ctx *ctx, struct exporter_stats *es,
		     const struct nf_key *k, struct flow_sink *sink);

/* Drops the held data sets older than the configured age at now_ns,
 * counting DSTAT_ERR_HELD_EXPIRED against each set's exporter. */
void nf_fields_expire(struct decode_ctx *ctx, uint64_t now_ns);

/* Drops every held data set, counted as DSTAT_ERR_HELD_EXPIRED. */
void nf_fields_drop_held(struct decode_ctx *ctx);

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
		   size_t msg_len, uint16_t tmpl_id, uint16_t opt_id,
		   nf_tmpl_set_fn tmpl_fn, struct flow_sink *sink);

#endif
