// SPDX-License-Identifier: Apache-2.0
/*
 * Prefix lookup speed on routing-table-shaped tables. Builds one table of
 * N IPv4 prefixes (default 1M; lengths weighted like a DFZ table: 60% /24,
 * the rest /16-/23, a few /8-/15 and /25-/32) and N IPv6 prefixes (/32
 * allocations with /36-/48 more-specifics inside, mostly /48), then times
 * lookups of addresses drawn inside random prefixes (so lookups walk as
 * deep as real traffic does), one thread, and prints per family the median
 * of the rounds in lookups/s, the build time, the table's bytes and the
 * process RSS.
 *
 *   build/bench/bench_enrich [-n PREFIXES] [-6 V6_PREFIXES] [-r ROUNDS] [-c CPU] [-f]
 *
 * -6 sets the IPv6 count apart (default: the same as -n); a real table
 * has about 5 times fewer IPv6 than IPv4 prefixes. -f also writes the
 * prefixes as a networks file, times its parse and build, and times
 * enrich_flow per flow through an enrich context.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "enrich/enrich.h"
#include "enrich/networks_file.h"
#include "enrich/prefix_table.h"
#include "netgen.h"

#define QUERIES (1u << 22)
/* Batch size of the batched lookups (a worker's batch of flows). */
#define BATCH 64

static long rss_kb(void)
{
	return bu_proc_kb("/proc/self/status", "VmRSS");
}

/* The same prefixes as a networks file (site and tenant columns, a few
 * hundred sites and thousands of tenants): parse time, then enrich_flow
 * per flow (IPv4 source and destination) through an enrich context. */
static int bench_flows(const struct flow_addr *pfx4, const uint8_t *len4,
		       unsigned n, const struct flow_addr *pfx6,
		       const uint8_t *len6, unsigned n6, const uint32_t *q4,
		       unsigned rounds)
{
	size_t len = 0;
	char *csv = ng_networks_csv(pfx4, len4, n, pfx6, len6, n6, &len);
	char err[256];
	struct enrich_networks *nets = NULL;
	struct enrich *e = enrich_new();
	struct flow_addr *fa = calloc(QUERIES, sizeof(*fa));
	double ns[64], nsb[64];
	struct flow_rec *recs = calloc(64, sizeof(*recs));
	struct enrich_result *res = calloc(64, sizeof(*res));
	uint64_t t0, sink = 0;
	int slot;

	if (!csv || !e || !fa || !recs || !res)
		return -1;
	t0 = bu_now_ns();
	if (enrich_networks_parse(csv, len, "bench.csv", &nets, err,
				  sizeof(err))) {
		fprintf(stderr, "bench_enrich: %s\n", err);
		return -1;
	}
	printf("networks file: %u lines (%.1f MB) parsed and built in %.2f s, %.1f MB; RSS %.1f MB\n",
	       n + n6, (double)len / 1048576.0,
	       (double)(bu_now_ns() - t0) / 1e9,
	       (double)enrich_networks_bytes(nets) / 1048576.0,
	       (double)rss_kb() / 1024.0);
	free(csv);
	if (enrich_set_networks(e, nets))
		return -1;
	slot = enrich_reader_add(e);
	for (unsigned i = 0; i < QUERIES; i++) {
		fa[i].len = 4;
		fa[i].b[0] = (uint8_t)(q4[i] >> 24);
		fa[i].b[1] = (uint8_t)(q4[i] >> 16);
		fa[i].b[2] = (uint8_t)(q4[i] >> 8);
		fa[i].b[3] = (uint8_t)q4[i];
	}
	for (unsigned r = 0; r < rounds; r++) {
		const struct flow_addr none = { 0 };
		uint64_t s = bu_now_ns();

		/* One read section per batch of 64 flows, as a worker. */
		for (unsigned i = 0; i + 1 < QUERIES; i += 64) {
			const struct enrich_tables *t =
				enrich_read_begin(e, slot);

			for (unsigned j = i; j < i + 64 && j + 1 < QUERIES;
			     j += 2) {
				struct enrich_result res;

				enrich_flow(t, &fa[j], &fa[j + 1], &none, 1, 2,
					    &res);
				sink += res.src.net != NULL;
			}
			enrich_read_end(e, slot);
		}
		ns[r] = (double)(bu_now_ns() - s) / (QUERIES / 2);
		s = bu_now_ns();
		for (unsigned i = 0; i + 128 <= QUERIES; i += 128) {
			const struct enrich_tables *t =
				enrich_read_begin(e, slot);

			for (unsigned j = 0; j < 64; j++) {
				recs[j].src_addr = fa[i + 2 * j];
				recs[j].dst_addr = fa[i + 2 * j + 1];
			}
			enrich_flow_recs(t, recs, 64, res);
			sink += res[i % 64].src.net != NULL;
			enrich_read_end(e, slot);
		}
		nsb[r] = (double)(bu_now_ns() - s) / (QUERIES / 2);
	}
	qsort(ns, rounds, sizeof(double), bu_cmp_double);
	qsort(nsb, rounds, sizeof(double), bu_cmp_double);
	printf("enrich_flow: %.1f ns per flow one at a time, %.1f ns in batches of 64 (enrich_flow_recs); networks table, IPv4 src and dst; medians of %u rounds of %u flows\n",
	       ns[rounds / 2], nsb[rounds / 2], rounds, QUERIES / 2);
	if (!sink)
		return -1;
	enrich_free(e);
	free(fa);
	free(recs);
	free(res);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = 1000000, n6 = 0, rounds = 7;
	bool flows = false;
	int cpu = -1, opt;
	struct prefix_table_builder *b;
	struct prefix_table *t = NULL;
	struct flow_addr *pfx4, *pfx6;
	uint8_t *len4, *len6;
	uint32_t *q4;
	uint8_t(*q6)[16];
	double r4[64], r6[64], b4[64], b6[64];
	uint32_t *res;
	uint64_t t0, sink = 0;
	long rss0;
	int err;

	while ((opt = getopt(argc, argv, "n:6:r:c:f")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case '6':
			n6 = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'f':
			flows = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n PREFIXES] [-6 V6_PREFIXES] [-r ROUNDS] [-c CPU] [-f]\n",
				argv[0]);
			return 2;
		}
	}
	if (!n6)
		n6 = n;
	if (n == 0 || rounds == 0 || rounds > 64) {
		fprintf(stderr, "bench_enrich: -n must be > 0, -r 1..64\n");
		return 2;
	}
	if (cpu >= 0 && bu_pin_cpu(cpu, "bench_enrich"))
		return 1;
	rss0 = rss_kb();
	b = prefix_table_builder_new();
	pfx4 = calloc(n, sizeof(*pfx4));
	pfx6 = calloc(n6, sizeof(*pfx6));
	len4 = calloc(n, 1);
	len6 = calloc(n6, 1);
	q4 = calloc(QUERIES, sizeof(*q4));
	q6 = calloc(QUERIES, sizeof(*q6));
	res = calloc(BATCH, sizeof(*res));
	if (!b || !pfx4 || !pfx6 || !len4 || !len6 || !q4 || !q6 || !res)
		return 1;

	/* Exactly n (n6) distinct prefixes (netgen.h). */
	if (ng_prefixes(pfx4, len4, n, pfx6, len6, n6))
		return 1;
	t0 = bu_now_ns();
	for (unsigned i = 0; i < n; i++)
		if (prefix_table_builder_add(b, &pfx4[i], len4[i], i + 1, i))
			return 1;
	for (unsigned i = 0; i < n6; i++)
		if (prefix_table_builder_add(b, &pfx6[i], len6[i], i + 1, i))
			return 1;
	err = prefix_table_build(b, NULL, NULL, &t, NULL);
	if (err) {
		fprintf(stderr, "bench_enrich: build failed: %s\n",
			strerror(-err));
		return 1;
	}
	double build_s = (double)(bu_now_ns() - t0) / 1e9;

	prefix_table_builder_free(b);

	/* Queries inside random prefixes, host bits random. */
	for (unsigned i = 0; i < QUERIES; i++) {
		unsigned k = (unsigned)(ng_rng() % n);
		uint32_t a = (uint32_t)pfx4[k].b[0] << 24 |
			     (uint32_t)pfx4[k].b[1] << 16 |
			     (uint32_t)pfx4[k].b[2] << 8 | pfx4[k].b[3];
		unsigned len = len4[k];

		q4[i] = a | (len == 32 ? 0 : (uint32_t)ng_rng() >> len);
		k = (unsigned)(ng_rng() % n6);
		memcpy(q6[i], pfx6[k].b, 16);
		for (int j = 6; j < 16; j++)
			q6[i][j] = (uint8_t)ng_rng();
	}
	long rss_t = rss_kb();

	for (unsigned r = 0; r < rounds; r++) {
		uint64_t s = bu_now_ns();

		for (unsigned i = 0; i < QUERIES; i++)
			sink += prefix_table_lookup4(t, q4[i]);
		r4[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
		s = bu_now_ns();
		for (unsigned i = 0; i < QUERIES; i++)
			sink += prefix_table_lookup6(t, q6[i]);
		r6[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
		s = bu_now_ns();
		for (unsigned i = 0; i < QUERIES; i += BATCH) {
			prefix_table_lookup4_batch(t, q4 + i, BATCH, res);
			sink += res[i % BATCH];
		}
		b4[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
		s = bu_now_ns();
		for (unsigned i = 0; i < QUERIES; i += BATCH) {
			prefix_table_lookup6_batch(t, q6 + i, BATCH, res);
			sink += res[i % BATCH];
		}
		b6[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
	}
	qsort(r4, rounds, sizeof(double), bu_cmp_double);
	qsort(r6, rounds, sizeof(double), bu_cmp_double);
	qsort(b4, rounds, sizeof(double), bu_cmp_double);
	qsort(b6, rounds, sizeof(double), bu_cmp_double);
	printf("prefixes: %u IPv4 + %u IPv6, build %.2f s\n", n, n6, build_s);
	printf("table: %.1f MB; RSS %.1f MB (%.1f MB before the table, %.1f MB in huge pages)\n",
	       (double)prefix_table_bytes(t) / 1048576.0,
	       (double)rss_t / 1024.0, (double)rss0 / 1024.0,
	       (double)bu_proc_kb("/proc/self/smaps_rollup", "AnonHugePages") /
		       1024.0);
	printf("ipv4: %.1f M lookups/s one at a time, %.1f M/s in batches of %u (medians of %u rounds of %u)\n",
	       r4[rounds / 2] / 1e6, b4[rounds / 2] / 1e6, BATCH, rounds,
	       QUERIES);
	printf("ipv6: %.1f M lookups/s one at a time, %.1f M/s in batches of %u (medians of %u rounds of %u)\n",
	       r6[rounds / 2] / 1e6, b6[rounds / 2] / 1e6, BATCH, rounds,
	       QUERIES);
	printf("checksum: %llu\n", (unsigned long long)sink);
	prefix_table_free(t);
	if (flows && bench_flows(pfx4, len4, n, pfx6, len6, n6, q4, rounds))
		return 1;
	free(pfx4);
	free(pfx6);
	free(len4);
	free(len6);
	free(q4);
	free(q6);
	free(res);
	return 0;
}
