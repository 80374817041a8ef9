// SPDX-License-Identifier: Apache-2.0
/*
 * Memory and lookup speed of an MMDB source (issue 9's memory report for
 * a GeoLite2-sized database): loads the MaxMind-format database FILE
 * through geo_db (as xdpflowd --enrich and xdpflow-enrich do: converted
 * into a prefix table at load time), then sweeps it with lookups of
 * uniformly random addresses, half IPv4 (1.0.0.0-223.255.255.255) and
 * half IPv6 (2000::/4), one at a time and in batches of 64, one thread.
 * Prints the file's size, the process RSS before the load, after it and
 * after the sweep, the networks converted and the lookups/s (medians of
 * the rounds). scripts/gen/gen-mmdb-big.pl writes such a database.
 *
 *   build/bench/bench_geo [-r ROUNDS] [-c CPU] FILE
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchutil.h"
#include "enrich/geo_db.h"
#include "netgen.h"

#define QUERIES (1u << 21)
#define BATCH 64

/* Query i: even ones IPv4 in 1.0.0.0-223.255.255.255, odd ones IPv6 in
 * 2000::/4, uniformly random. */
static void make_queries(struct flow_addr *q, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		memset(&q[i], 0, sizeof(q[i]));
		if (i % 2 == 0) {
			uint32_t a = (uint32_t)(ng_rng() % (223u << 24)) +
				     (1u << 24);

			q[i].len = 4;
			q[i].b[0] = (uint8_t)(a >> 24);
			q[i].b[1] = (uint8_t)(a >> 16);
			q[i].b[2] = (uint8_t)(a >> 8);
			q[i].b[3] = (uint8_t)a;
		} else {
			uint64_t hi = ng_rng(), lo = ng_rng();

			hi = (hi >> 4) | 0x2000000000000000ULL;
			q[i].len = 16;
			for (int k = 0; k < 8; k++) {
				q[i].b[k] = (uint8_t)(hi >> (56 - 8 * k));
				q[i].b[8 + k] = (uint8_t)(lo >> (56 - 8 * k));
			}
		}
	}
}

int main(int argc, char **argv)
{
	unsigned rounds = 5;
	int cpu = -1, opt;
	struct enrich_geo_db *g = NULL;
	struct flow_addr *q;
	const struct flow_addr **qp;
	const struct enrich_geo *res[BATCH];
	double one[64], bat[64], load_s;
	uint64_t t0, sink = 0, hits[2] = { 0, 0 };
	long rss0, rss_load, rss_sweep;
	char err[512];
	struct stat st;
	int ret;

	while ((opt = getopt(argc, argv, "r:c:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: bench_geo [-r ROUNDS] [-c CPU] FILE\n");
			return 2;
		}
	}
	if (optind + 1 != argc || rounds == 0 || rounds > 64) {
		fprintf(stderr,
			"usage: bench_geo [-r ROUNDS (1..64)] [-c CPU] "
			"FILE\n");
		return 2;
	}
	if (stat(argv[optind], &st)) {
		fprintf(stderr, "bench_geo: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	if (cpu >= 0 && bu_pin_cpu(cpu, "bench_geo"))
		return 1;
	q = calloc(QUERIES, sizeof(*q));
	qp = calloc(QUERIES, sizeof(*qp));
	if (!q || !qp)
		return 1;
	make_queries(q, QUERIES);
	for (unsigned i = 0; i < QUERIES; i++)
		qp[i] = &q[i];
	rss0 = bu_proc_kb("/proc/self/status", "VmRSS");
	t0 = bu_now_ns();
	ret = enrich_geo_db_load(argv[optind], &g, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench_geo: %s\n", err);
		return 1;
	}
	load_s = (double)(bu_now_ns() - t0) / 1e9;
	rss_load = bu_proc_kb("/proc/self/status", "VmRSS");
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t s = bu_now_ns();

		for (unsigned i = 0; i < QUERIES; i++) {
			const struct enrich_geo *e =
				enrich_geo_db_lookup(g, &q[i]);

			hits[i % 2] += e != NULL;
			sink += e ? e->asn : 0;
		}
		one[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
		s = bu_now_ns();
		for (unsigned i = 0; i < QUERIES; i += BATCH) {
			enrich_geo_db_lookup_batch(g, qp + i, BATCH, res);
			sink += res[i % BATCH] ? res[i % BATCH]->asn : 0;
		}
		bat[r] = QUERIES / ((double)(bu_now_ns() - s) / 1e9);
	}
	rss_sweep = bu_proc_kb("/proc/self/status", "VmRSS");
	qsort(one, rounds, sizeof(double), bu_cmp_double);
	qsort(bat, rounds, sizeof(double), bu_cmp_double);
	printf("mmdb: %s, %.1f MB, %zu networks converted in %.2f s, "
	       "%.1f MB held\n",
	       argv[optind], (double)st.st_size / 1048576.0,
	       enrich_geo_db_count(g), load_s,
	       (double)enrich_geo_db_bytes(g) / 1048576.0);
	printf("rss: %.1f MB before the load, %.1f MB after it, %.1f MB "
	       "after the lookup sweep\n",
	       (double)rss0 / 1024.0, (double)rss_load / 1024.0,
	       (double)rss_sweep / 1024.0);
	printf("lookups: %.1f M/s one at a time, %.1f M/s in batches of %u "
	       "(uniformly random addresses, half IPv4, %.0f%% found, half "
	       "IPv6 in 2000::/4, %.0f%% found; medians of %u rounds of %u)\n",
	       one[rounds / 2] / 1e6, bat[rounds / 2] / 1e6, BATCH,
	       200.0 * (double)hits[0] / ((double)rounds * QUERIES),
	       200.0 * (double)hits[1] / ((double)rounds * QUERIES), rounds,
	       QUERIES);
	printf("RESULT bench=geo file_mb=%.1f networks=%zu rss_before_mb=%.1f "
	       "rss_load_mb=%.1f rss_sweep_mb=%.1f lookups_per_s=%.0f "
	       "batch_lookups_per_s=%.0f checksum=%llu\n",
	       (double)st.st_size / 1048576.0, enrich_geo_db_count(g),
	       (double)rss0 / 1024.0, (double)rss_load / 1024.0,
	       (double)rss_sweep / 1024.0, one[rounds / 2], bat[rounds / 2],
	       (unsigned long long)sink);
	enrich_geo_db_free(g);
	free(q);
	free(qp);
	return 0;
}
