// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the sampled packet header parser: the first byte
 * picks the starting header (Ethernet, IPv4, IPv6, sniffed IP), the rest is
 * the packet. Checks that the parser stays in bounds (ASan) and that what it
 * fills is sane: address lengths, counts within their arrays, layer sizes
 * that add up to no more than a header chain could.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/pkt_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flow_rec rec;
	unsigned n;
	uint8_t *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, size - 1);
	memset(&rec, 0, sizeof(rec));
	n = pkt_hdr_parse(buf, size - 1, (enum pkt_hdr_start)(data[0] % 4),
			  &rec);
	if (n != rec.n_layers || n > FLOW_MAX_LAYERS ||
	    rec.n_mpls > FLOW_MAX_MPLS || rec.n_srv6 > FLOW_MAX_SRV6)
		__builtin_trap();
	if ((rec.src_addr.len != 0 && rec.src_addr.len != 4 &&
	     rec.src_addr.len != 16) ||
	    rec.src_addr.len != rec.dst_addr.len)
		__builtin_trap();
	for (unsigned i = 0; i < n; i++)
		if (rec.layer_stack[i] > FLOW_LAYER_TEREDO ||
		    rec.layer_size[i] > 2048 + 8 * 256 * PKT_HDR_MAX_EXT)
			__builtin_trap();
	free(buf);
	return 0;
}
