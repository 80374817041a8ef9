// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for xdpflow-enrich's message path: arbitrary bytes as a
 * Kafka message value through reframe_message (framing decided as the
 * inserter decides, each flow decoded by relay/flowdec into struct
 * flow_rec, encoded again by the fast encoder). Must never crash, read out
 * of bounds or leak; it also checks what the decoder promises: it accepts
 * what the inserter accepts (pbdec_classify) with the same framing, and
 * every frame it wrote decodes again to a record that encodes to the same
 * bytes (decode -> encode is the identity on the encoder's output). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode/encode.h"
#include "insert/pbdec.h"
#include "relay/flowdec.h"
#include "relay/reframe.h"

static void nop(void *ctx, const struct flow_rec *recs, size_t n)
{
	(void)ctx;
	(void)recs;
	(void)n;
}

static ssize_t enc(void *ctx, const struct flow_rec *rec, size_t i,
		   uint8_t *buf, size_t cap)
{
	(void)ctx;
	(void)i;
	return encode_pb(rec, buf, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reframe a;
	static struct pbdec dec;
	static int ready;
	const struct reframe_ops ops = { nop, enc, NULL };
	struct reframe_info ia;
	enum pbdec_framing fr;
	const char *why;
	size_t n;
	int ra, rp;

	if (!ready) {
		if (reframe_init(&a, 0) || pbdec_init(&dec, 0))
			abort();
		ready = 1;
	}
	ra = reframe_message(&a, data, size, &ops, &ia);
	rp = pbdec_classify(&dec, data, size, &fr, &n, &why);
	if (ra != 0 && ra != -EBADMSG)
		abort();
	if (ra == -EBADMSG && !ia.why)
		abort(); /* every refusal has a reason */
	/* Both refuse or both accept, and with one framing. */
	if ((ra == 0) != (rp == 0))
		abort();
	if (!ra && ((int)fr != (int)ia.framing || n != ia.flows))
		abort();
	if (ra)
		return 0;
	/* Once through the record, the bytes are the encoder's: each frame
	 * written decodes again, strictly, and encodes to the same bytes. */
	if (a.n_cuts == 0) {
		if (ia.empty != ia.flows)
			abort(); /* no message only when no flow is left */
		return 0;
	}
	if (a.n_cuts != 1)
		abort();
	for (const uint8_t *p = a.buf, *end = a.buf + a.len; p < end;) {
		const uint8_t *frame = p;
		struct flow_rec rec;
		unsigned flags = 0;
		uint8_t again[ENCODE_MAX_LEN];
		uint64_t fl;
		ssize_t w;

		if (!flowdec_varint(&p, end, &fl) || fl > (uint64_t)(end - p) ||
		    flowdec_flow(p, (size_t)fl, &rec, &flags) ||
		    (flags & FLOWDEC_RESHAPED) ||
		    ((flags & FLOWDEC_LENIENT) && rec.type <= FLOW_TYPE_IPFIX))
			abort(); /* only a flow type past IPFIX stays odd */
		p += fl;
		w = encode_pb(&rec, again, sizeof(again));
		if (w != p - frame || memcmp(again, frame, (size_t)w))
			abort();
	}
	return 0;
}
