// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the NetFlow v5/v9/IPFIX decoders and the templates
 * file loader. Each input is decoded as one datagram under every listener
 * hint, by a fresh context and by a long-lived one (so templates, options
 * and held sets from earlier inputs meet later data), then given to the
 * templates file loader twice: as is, and with the magic and CRC made valid
 * so the fuzzer reaches the record parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "decode/nf_persist.h"

struct fuzz_sink {
	struct flow_sink sink;
	uint64_t n, bytes;
};

static void fuzz_emit(struct flow_sink *s, const struct flow_rec *r)
{
	struct fuzz_sink *fs = (struct fuzz_sink *)s;

	/* Touch the record so ASan sees every field is readable. */
	fs->n++;
	fs->bytes += r->bytes + r->src_addr.len + r->n_mpls + r->n_mpls_ip;
}

static void fuzz_config(struct decode_config *cfg)
{
	decode_config_defaults(cfg);
	cfg->max_templates = 64;
	cfg->max_held_sets = 16;
	cfg->max_held_bytes = 64 << 10;
	cfg->held_max_age_ns = 1000000000ULL;
	cfg->max_exporters = 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct decode_ctx *reused;
	static uint64_t runs;
	struct fuzz_sink fs = { { fuzz_emit }, 0, 0 };
	struct decode_config cfg;
	struct decode_ctx *fresh;
	struct datagram dg = { 0 };
	uint8_t *copy;

	fuzz_config(&cfg);
	if (!reused || ++runs % 20000 == 0) {
		decode_ctx_free(reused);
		reused = decode_ctx_new(&cfg);
	}
	fresh = decode_ctx_new(&cfg);
	if (!fresh || !reused)
		abort();
	/* An exact-size heap copy so ASan catches a read one past the end. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	dg.data = copy;
	dg.len = size;
	dg.exporter.len = 4;
	memcpy(dg.exporter.b, (uint8_t[]){ 198, 18, 0, 1 }, 4);
	dg.exporter_port = 2055;
	dg.time_received_ns = 1700000000000000000ULL + runs * 100000000ULL;
	for (int hint = DECODE_ANY; hint <= DECODE_SFLOW; hint++) {
		dg.hint = (enum decode_hint)hint;
		decode_datagram(fresh, &dg, &fs.sink);
		decode_datagram(reused, &dg, &fs.sink);
	}
	decode_expire(reused, dg.time_received_ns);
	(void)decode_templates_dirty(reused);

	/* The templates file loader: raw, then with valid magic and CRC. */
	decode_ctx_free(fresh);
	fresh = decode_ctx_new(&cfg);
	decode_templates_load_buf(fresh, copy, size);
	if (size >= 12) {
		uint8_t *img = malloc(size + 12);
		uint32_t crc;

		memcpy(img, "XFNFTPL\n\0\0\0\1", 12);
		memcpy(img + 12, copy + 4, size - 4);
		crc = nf_persist_crc32(img, size + 8);
		for (int i = 0; i < 4; i++)
			img[size + 8 + i] = (uint8_t)(crc >> (24 - 8 * i));
		if (decode_templates_load_buf(fresh, img, size + 12) == 0) {
			/* Loaded templates then meet the datagram itself. */
			dg.hint = DECODE_NETFLOW;
			decode_datagram(fresh, &dg, &fs.sink);
		}
		free(img);
	}
	decode_ctx_free(fresh);
	free(copy);
	return 0;
}
