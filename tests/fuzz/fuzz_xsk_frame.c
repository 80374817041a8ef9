// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for xsk_frame_parse, the parser of AF_XDP frames: any
 * bytes must be refused or parsed into a payload that lies inside the
 * frame, without reading out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xdp/xsk_frame.h"

/* Compiled in here rather than taken from the library, so the parser gets
 * the -fsanitize=fuzzer coverage instrumentation (library objects are built
 * without it); the archive's copy is then never linked. */
#include "../../user/xdp/xsk_frame.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so ASan sees any over-read. */
	uint8_t *frame = malloc(size ? size : 1);
	struct datagram dg;

	if (!frame)
		return 0;
	memcpy(frame, data, size);
	memset(&dg, 0, sizeof(dg));
	if (xsk_frame_parse(frame, size, &dg) == 0) {
		if (dg.data < frame || dg.data + dg.len > frame + size ||
		    (dg.exporter.len != 4 && dg.exporter.len != 16))
			abort();
		volatile uint8_t sink = 0;
		for (size_t i = 0; i < dg.len; i++)
			sink ^= dg.data[i];
		(void)sink;
	}
	free(frame);
	return 0;
}
