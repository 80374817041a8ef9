// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the networks file parser: the input is the file.
 * Checks that the parser stays in bounds (ASan), that a failure leaves no
 * table and says where ("fuzz.csv:LINE: ..."), and that a table it accepts
 * answers lookups of a few addresses with NUL-terminated strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/networks_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct flow_addr probes[] = {
		{ .len = 4, .b = { 10, 0, 0, 1 } },
		{ .len = 4, .b = { 198, 18, 0, 1 } },
		{ .len = 16, .b = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
		{ .len = 16, .b = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 } },
	};
	struct enrich_networks *n = NULL;
	char err[256] = "";
	int ret;

	ret = enrich_networks_parse((const char *)data, size, "fuzz.csv", &n,
				    err, sizeof(err));
	if (ret) {
		if (n || strncmp(err, "fuzz.csv:", 9) != 0)
			__builtin_trap();
		return 0;
	}
	if (!n)
		__builtin_trap();
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct enrich_net *r =
			enrich_networks_lookup(n, &probes[i]);

		if (r && ((r->name && strlen(r->name) > 255) ||
			  (r->country && strlen(r->country) != 2)))
			__builtin_trap();
	}
	enrich_networks_free(n);
	return 0;
}
