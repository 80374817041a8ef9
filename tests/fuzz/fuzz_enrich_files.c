// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the other enrichment file parsers: the first byte
 * picks the interface names file or the exporter rules, the rest is the
 * file. Checks bounds (ASan), that a failure leaves no result and says
 * where ("fuzz.csv:LINE: ..."), and that accepted files answer lookups and
 * classifications with sane strings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/exporters.h"
#include "enrich/iface_file.h"

static const struct flow_addr probes[] = {
	{ .len = 4, .b = { 198, 18, 0, 1 } },
	{ .len = 4, .b = { 10, 0, 0, 1 } },
	{ .len = 16, .b = { 0x20, 0x01, 0, 2, [15] = 1 } },
	{ .len = 16, .b = { [10] = 0xff, [11] = 0xff, 198, 18, 0, 1 } },
};

#define N_PROBES (sizeof(probes) / sizeof(probes[0]))

static void check_str(const char *s)
{
	if (s && strlen(s) > 255)
		__builtin_trap();
}

static int ifaces(const char *buf, size_t len)
{
	struct enrich_ifaces *t = NULL;
	char err[256] = "";

	if (enrich_ifaces_parse(buf, len, "fuzz.csv", &t, err, sizeof(err))) {
		if (t || strncmp(err, "fuzz.csv:", 9) != 0)
			__builtin_trap();
		return 0;
	}
	for (size_t i = 0; i < N_PROBES; i++)
		for (uint32_t idx = 1; idx < 4; idx++) {
			const struct enrich_iface *f =
				enrich_ifaces_lookup(t, &probes[i], idx);

			if (f) {
				check_str(f->name);
				check_str(f->description);
			}
		}
	enrich_ifaces_free(t);
	return 0;
}

static int rules(const char *buf, size_t len)
{
	struct enrich_exporter_rules *r = NULL;
	struct enrich_exporters *x;
	char err[256] = "";

	if (enrich_exporter_rules_parse(buf, len, "fuzz.csv", &r, err,
					sizeof(err))) {
		if (r || strncmp(err, "fuzz.csv:", 9) != 0)
			__builtin_trap();
		return 0;
	}
	x = enrich_exporters_new();
	if (!x)
		abort();
	for (size_t i = 0; i < N_PROBES; i++) {
		struct enrich_exporter c;
		int ret;

		enrich_exporter_classify(r, &probes[i], i & 1 ? "edge-1" : NULL,
					 &c);
		check_str(c.name);
		check_str(c.group);
		check_str(c.tenant);
		ret = enrich_exporters_add(x, r, &probes[i], NULL);
		/* probes[3] is probes[0] IPv4-mapped: the same exporter. */
		if (ret && !(ret == -EEXIST && i == 3))
			__builtin_trap();
	}
	enrich_exporters_free(x);
	enrich_exporter_rules_free(r);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		return rules((const char *)data + 1, size - 1);
	return ifaces((const char *)data + 1, size - 1);
}
