// SPDX-License-Identifier: Apache-2.0
/* libFuzzer target for the inserter's Kafka message reader: arbitrary bytes
 * as a Kafka message value through pbdec_decode (framing detection, wire
 * validation, arena unpack) into binary COPY rows (copybin_row). Must never
 * crash, read out of bounds or leak; accepted input must yield whole rows. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "insert/copybin.h"
#include "insert/pbdec.h"

static int row(void *ctx, const Flowpb__FlowMessage *m)
{
	struct copybin *b = ctx;

	b->len = 0; /* keep the buffer small: one row at a time */
	return copybin_row(b, m) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pbdec dec;
	static struct copybin cb;
	static int ready;
	const char *why = NULL;
	int n;

	if (!ready) {
		if (pbdec_init(&dec, 64 * 1024) ||
		    copybin_init(&cb, 4096, 4 << 20))
			abort();
		ready = 1;
	}
	n = pbdec_decode(&dec, data, size, row, &cb, &why);
	if (n < 0 && !why)
		abort(); /* every refusal has a reason */
	if (n == 0)
		abort(); /* accepted input holds at least one flow */
	return 0;
}
