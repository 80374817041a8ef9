// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for IPFIX over TCP: the input is a stream, cut into
 * messages by rx_tcp_frame exactly as rx_tcp does, each decoded by one
 * context as the datagrams of a TCP exporter. The framing must never claim
 * more bytes than the stream holds, nor less than a header; a stream that
 * is not IPFIX ends the cutting, as it closes the connection.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "rx/rx_tcp.h"

static void fuzz_emit(struct flow_sink *s, const struct flow_rec *r)
{
	(void)s;
	(void)r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_sink sink = { fuzz_emit };
	struct decode_config cfg;
	struct decode_ctx *ctx;
	size_t off = 0;

	decode_config_defaults(&cfg);
	cfg.max_templates = 64;
	cfg.max_exporters = 8;
	ctx = decode_ctx_new(&cfg);
	if (!ctx)
		abort();
	for (;;) {
		int n = rx_tcp_frame(data + off, size - off);
		struct datagram dg = { 0 };
		uint8_t *copy;

		if (n == 0 || n == -EPROTO)
			break;
		if (n < 16 || (size_t)n > size - off)
			__builtin_trap();
		/* An exact-size copy, so ASan sees any read past the message. */
		copy = malloc((size_t)n);
		if (!copy)
			abort();
		memcpy(copy, data + off, (size_t)n);
		dg.data = copy;
		dg.len = (size_t)n;
		dg.exporter =
			(struct flow_addr){ .len = 4, .b = { 198, 18, 0, 1 } };
		dg.exporter_port = 40000;
		dg.local_port = 4739;
		dg.time_received_ns = 1700000000000000000ULL;
		dg.hint = DECODE_NETFLOW;
		decode_datagram(ctx, &dg, &sink);
		free(copy);
		off += (size_t)n;
	}
	decode_ctx_free(ctx);
	return 0;
}
