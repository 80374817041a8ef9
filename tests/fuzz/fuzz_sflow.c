// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the sFlow v5 decoder, through decode_datagram on an
 * sflow:// listener. The first word is forced to version 5 so every input
 * reaches the sFlow path; each emitted flow is checked for sane contents
 * (address lengths, repeated-field counts within their arrays).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"

static void check_addr(const struct flow_addr *a)
{
	if (a->len != 0 && a->len != 4 && a->len != 16)
		__builtin_trap();
}

static void check_emit(struct flow_sink *sink, const struct flow_rec *rec)
{
	(void)sink;
	if (rec->type != FLOW_TYPE_SFLOW_5 || rec->packets != 1)
		__builtin_trap();
	check_addr(&rec->sampler_address);
	check_addr(&rec->src_addr);
	check_addr(&rec->dst_addr);
	check_addr(&rec->next_hop);
	check_addr(&rec->bgp_next_hop);
	if (rec->n_as_path > FLOW_MAX_AS_PATH ||
	    rec->n_communities > FLOW_MAX_COMMUNITIES ||
	    rec->n_mpls > FLOW_MAX_MPLS || rec->n_layers > FLOW_MAX_LAYERS ||
	    rec->n_srv6 > FLOW_MAX_SRV6)
		__builtin_trap();
	for (unsigned i = 0; i < rec->n_layers; i++)
		if (rec->layer_stack[i] > FLOW_LAYER_TEREDO)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_sink sink = { check_emit };
	struct decode_config cfg;
	struct decode_ctx *ctx;
	uint8_t *buf;
	int rc;

	decode_config_defaults(&cfg);
	cfg.max_exporters = 4;
	cfg.max_templates = 16;
	cfg.max_held_sets = 4;
	cfg.max_held_bytes = 4096;
	ctx = decode_ctx_new(&cfg);
	buf = malloc(size ? size : 1);
	if (!ctx || !buf)
		abort();
	memcpy(buf, data, size);
	if (size >= 4)
		memcpy(buf, "\0\0\0\5", 4);

	struct datagram dg = {
		.data = buf,
		.len = size,
		.exporter = { .len = 4, .b = { 198, 18, 0, 1 } },
		.exporter_port = 6343,
		.local_port = 6343,
		.time_received_ns = 1,
		.hint = DECODE_SFLOW,
	};
	rc = decode_datagram(ctx, &dg, &sink);
	/* At most one flow per 8-byte sample header. */
	if (rc > (int)(size / 8))
		__builtin_trap();
	free(buf);
	decode_ctx_free(ctx);
	return 0;
}
