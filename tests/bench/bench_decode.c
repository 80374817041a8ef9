// SPDX-License-Identifier: Apache-2.0
/*
 * In-process decode + protobuf encode speed on one core, for NetFlow v9
 * (20-field IPv4 template), IPFIX (20-field IPv6 template), PG_RECORDS
 * records per packet, and sFlow v5 (PG_SFLOW_SAMPLES flow samples of a raw
 * Ethernet/IPv4/TCP header plus extended switch and router records per
 * datagram); packets come from pktgen.h. Three modes per protocol: full
 * (decode_datagram into a sink that encodes every flow into a 256 KiB
 * buffer, as the daemon's pipeline does), decode only (a sink that touches
 * the record) and encode only (the encoder over records decoded
 * beforehand). --encoder picks the encoders: the generated protobuf one
 * (fast, the daemon's), protobuf-c's packer (protobuf-c, the reference and
 * the encoder before it), JSON, and the legacy schema's two; and the
 * first three again with every flow fully enriched (fast-enriched,
 * protobuf-c-enriched, json-enriched: every enrichment field set, strings
 * of typical lengths, bench_enr below), for the cost of writing the
 * enrichment fields beside the plain encoders. Rounds run
 * every (protocol, encoder, mode) in turn so machine noise hits all alike;
 * each figure is the median over rounds of thread CPU time per flow, with
 * wall time beside it. Prints a table, side-by-side ratios of the encoders
 * and one "RESULT" line per protocol and encoder for scripts/bench/bench.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "decode/decode.h"
#include "encode/encode.h"
#include "encode/encode_pbc.h"

#include "benchutil.h"
#include "pktgen.h"

#define N_PKTS 64 /* distinct data packets per protocol */
#define MAX_ROUNDS 101
#define OUT_CAP (256u << 10) /* the pipeline's buffer size */
#define STASH_MAX (N_PKTS * PG_RECORDS)

enum proto { P_NF9, P_IPFIX, P_SFLOW, P__N };
enum mode { M_FULL, M_DECODE, M_ENCODE, M__N };

static const char *const proto_name[P__N] = { "nf9", "ipfix", "sflow" };
static const char *const mode_name[M__N] = { "full", "decode", "encode" };

typedef ssize_t (*enc_fn)(const struct flow_rec *, uint8_t *, size_t);

enum enc {
	E_FAST,
	E_PBC,
	E_JSON,
	E_LEGACY,
	E_LEGACY_PBC,
	E_FAST_ENR,
	E_PBC_ENR,
	E_JSON_ENR,
	E__N
};

/* A fully enriched flow, with strings as long as real tables hold: an
 * ISO country, an MMDB AS organisation, networks-file names, SNMP ifName
 * and ifAlias, exporter classification. 24 strings, 210 bytes. */
static const struct flow_enriched bench_enr = {
	.src_as = 64496,
	.dst_as = 64511,
	.has_src_as = 1,
	.has_dst_as = 1,
	.src_country = "FR",
	.dst_country = "US",
	.src_as_name = "Example Networks SAS",
	.dst_as_name = "Documentation ASN Inc.",
	.src_net_name = "par-dc1-lan",
	.dst_net_name = "internet",
	.src_net_role = "servers",
	.dst_net_role = "transit",
	.src_net_site = "par1",
	.dst_net_site = "nyc2",
	.src_net_region = "eu-west",
	.dst_net_region = "us-east",
	.src_net_tenant = "acme",
	.dst_net_tenant = "globex",
	.in_if_name = "et-0/0/1",
	.out_if_name = "ae12.100",
	.in_if_description = "core: par1-core1 et-1/0/4",
	.out_if_description = "Transit: Example [100G]",
	.in_if_speed = 100000000000ULL,
	.out_if_speed = 100000000000ULL,
	.exporter_name = "edge1.par1",
	.exporter_group = "edge",
	.exporter_role = "border",
	.exporter_site = "par1",
	.exporter_region = "eu-west",
	.exporter_tenant = "acme",
};

static ssize_t fast_enr(const struct flow_rec *r, uint8_t *buf, size_t cap)
{
	return encode_pb_enriched(r, &bench_enr, buf, cap);
}

static ssize_t pbc_enr(const struct flow_rec *r, uint8_t *buf, size_t cap)
{
	return encode_pbc_flow_enriched(r, &bench_enr, buf, cap);
}

static ssize_t json_enr(const struct flow_rec *r, uint8_t *buf, size_t cap)
{
	return encode_json_enriched(r, &bench_enr, buf, cap);
}

static const char *const enc_name[E__N] = {
	"fast",
	"protobuf-c",
	"json",
	"legacy",
	"legacy-pbc",
	"fast-enriched",
	"protobuf-c-enriched",
	"json-enriched",
};
static const enc_fn enc_fns[E__N] = { encode_pb,	 encode_pbc_flow,
				      encode_json,	 encode_pb_legacy,
				      encode_pbc_legacy, fast_enr,
				      pbc_enr,		 json_enr };

struct sample {
	double cpu_ns_per_flow;
	double wall_ns_per_flow;
};

/* One protocol's input and state. */
struct workload {
	uint8_t tmpl[PG_MAX_PKT];
	size_t tmpl_len; /* 0: no template (sFlow) */
	uint8_t pkt[N_PKTS][PG_MAX_PKT];
	size_t len[N_PKTS];
	struct decode_ctx *ctx;
	struct flow_rec *stash; /* decoded records for encode-only */
	size_t n_stash;
	struct sample s[E__N][M__N][MAX_ROUNDS]; /* decode: in [first enc] */
};

struct full_sink {
	struct flow_sink sink;
	enc_fn enc;
	uint8_t *out;
	size_t off;
	uint64_t bytes;
	uint64_t flows;
	uint64_t errors;
};

struct count_sink {
	struct flow_sink sink;
	uint64_t flows;
	uint64_t sum;
};

struct stash_sink {
	struct flow_sink sink;
	struct flow_rec *recs;
	size_t n, cap;
};

struct opts {
	int runs;
	int ms;
	int cpu;
	unsigned protos; /* bit mask of enum proto */
	unsigned encs;	 /* bit mask of enum enc */
	int first_enc;
	int only_mode;	/* -1: all; else one mode (for perf record) */
	double seconds; /* --seconds: one long run per protocol, for perf */
	bool show;	/* --show: print each protocol's first flow as JSON */
};

static void full_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct full_sink *f = (struct full_sink *)s;
	ssize_t n = f->enc(rec, f->out + f->off, OUT_CAP - f->off);

	if (n == -ENOSPC) {
		/* "publish" the buffer: start over, as the file writer would */
		f->off = 0;
		n = f->enc(rec, f->out, OUT_CAP);
	}
	if (n < 0) {
		f->errors++;
		return;
	}
	f->off += (size_t)n;
	f->bytes += (uint64_t)n;
	f->flows++;
}

static void count_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct count_sink *c = (struct count_sink *)s;

	c->flows++;
	c->sum += rec->bytes + rec->src_port;
}

static void stash_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct stash_sink *st = (struct stash_sink *)s;

	if (st->n < st->cap)
		st->recs[st->n++] = *rec;
}

static struct datagram make_dg(const uint8_t *p, size_t len, enum proto pr)
{
	struct datagram dg = {
		.data = p,
		.len = len,
		.exporter = { .len = 4, .b = { 198, 18, 0, 1 } },
		.exporter_port = 40000,
		.local_port = pr == P_SFLOW ? 6343 : 2055,
		.time_received_ns = (uint64_t)PG_UNIX_SECS * 1000000000ULL,
		.hint = pr == P_SFLOW ? DECODE_SFLOW : DECODE_NETFLOW,
	};
	return dg;
}

/* Builds the packets, a context that knows the template, and the stash of
 * decoded records. 0, or -1 with a message. */
static int workload_init(struct workload *w, enum proto pr)
{
	struct decode_config cfg;
	struct stash_sink st = { { stash_emit }, NULL, 0, STASH_MAX };

	decode_config_defaults(&cfg);
	w->ctx = decode_ctx_new(&cfg);
	w->stash = calloc(STASH_MAX, sizeof(*w->stash));
	if (!w->ctx || !w->stash) {
		fprintf(stderr, "bench_decode: out of memory\n");
		return -1;
	}
	for (uint32_t i = 0; i < N_PKTS; i++) {
		switch (pr) {
		case P_NF9:
			w->len[i] =
				pg_nf9_data(w->pkt[i], PG_MAX_PKT, i + 1, 7);
			break;
		case P_IPFIX:
			w->len[i] =
				pg_ipfix_data(w->pkt[i], PG_MAX_PKT, i + 1, 7);
			break;
		default:
			w->len[i] = pg_sflow(w->pkt[i], PG_MAX_PKT, i + 1);
			break;
		}
		if (!w->len[i]) {
			fprintf(stderr, "bench_decode: %s packet too long\n",
				proto_name[pr]);
			return -1;
		}
	}
	if (pr == P_NF9)
		w->tmpl_len = pg_nf9_template(w->tmpl, PG_MAX_PKT, 0, 7);
	else if (pr == P_IPFIX)
		w->tmpl_len = pg_ipfix_template(w->tmpl, PG_MAX_PKT, 0, 7);
	if (w->tmpl_len) {
		struct datagram dg = make_dg(w->tmpl, w->tmpl_len, pr);
		int rc = decode_datagram(w->ctx, &dg, &st.sink);

		if (rc < 0) {
			fprintf(stderr,
				"bench_decode: %s template rejected: %s\n",
				proto_name[pr], strerror(-rc));
			return -1;
		}
	}
	st.recs = w->stash;
	for (int i = 0; i < N_PKTS; i++) {
		struct datagram dg = make_dg(w->pkt[i], w->len[i], pr);

		decode_datagram(w->ctx, &dg, &st.sink);
	}
	w->n_stash = st.n;
	if (st.n !=
	    (size_t)N_PKTS * (pr == P_SFLOW ? PG_SFLOW_SAMPLES : PG_RECORDS)) {
		fprintf(stderr,
			"bench_decode: %s: %zu flows decoded from %d packets, "
			"expected %d each\n",
			proto_name[pr], st.n, N_PKTS,
			pr == P_SFLOW ? PG_SFLOW_SAMPLES : PG_RECORDS);
		return -1;
	}
	return 0;
}

/* One timed run of at least ms milliseconds (CPU time). */
static struct sample run_once(struct workload *w, enum proto pr, enum enc e,
			      enum mode m, double ms, uint8_t *out,
			      uint64_t *sink_guard)
{
	struct full_sink fs = { { full_emit }, enc_fns[e], out, 0, 0, 0, 0 };
	struct count_sink cs = { { count_emit }, 0, 0 };
	struct flow_sink *sink = m == M_FULL ? &fs.sink : &cs.sink;
	uint64_t budget = (uint64_t)(ms * 1e6);
	uint64_t c0 = bu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t t0 = bu_clock_ns(CLOCK_MONOTONIC);
	uint64_t flows = 0, c1, t1;
	struct sample s;

	do {
		if (m == M_ENCODE) {
			for (size_t i = 0; i < w->n_stash; i++)
				full_emit(&fs.sink, &w->stash[i]);
			flows += w->n_stash;
		} else {
			for (int i = 0; i < N_PKTS; i++) {
				struct datagram dg =
					make_dg(w->pkt[i], w->len[i], pr);
				int rc = decode_datagram(w->ctx, &dg, sink);

				if (rc > 0)
					flows += (uint64_t)rc;
			}
		}
		c1 = bu_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	} while (c1 - c0 < budget);
	t1 = bu_clock_ns(CLOCK_MONOTONIC);
	*sink_guard += fs.bytes + cs.sum + fs.errors;
	if (fs.errors)
		fprintf(stderr, "bench_decode: %llu encode errors\n",
			(unsigned long long)fs.errors);
	s.cpu_ns_per_flow = flows ? (double)(c1 - c0) / (double)flows : 0;
	s.wall_ns_per_flow = flows ? (double)(t1 - t0) / (double)flows : 0;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of the n samples' field (cpu or wall). */
static void stats(const struct sample *s, int n, bool wall, double *med,
		  double *lo, double *hi)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		v[i] = wall ? s[i].wall_ns_per_flow : s[i].cpu_ns_per_flow;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[0];
	*hi = v[n - 1];
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_decode [--runs N] [--ms MS] [--cpu C] "
		"[--proto nf9,ipfix,sflow]\n"
		"                    [--encoder L] [--mode full|decode|encode] "
		"[--seconds S]\n"
		"  --runs N     rounds; each figure is the median (default 7)\n"
		"  --ms MS      CPU milliseconds per run (default 200)\n"
		"  --cpu C      pin to CPU C (default: the last CPU; -1: no pin)\n"
		"  --proto L    protocols to run (default all)\n"
		"  --encoder L  encoders, from fast,protobuf-c,json,legacy,"
		"legacy-pbc,\n"
		"               fast-enriched,protobuf-c-enriched,"
		"json-enriched\n"
		"               (default fast; with --seconds the first one)\n"
		"  --mode M     run only this mode (with --seconds: for perf)\n"
		"  --seconds S  one run of S seconds per protocol, no rounds\n"
		"  --show       print each protocol's first decoded flow (JSON)\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "ms", required_argument, NULL, 'm' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "proto", required_argument, NULL, 'p' },
		{ "encoder", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'M' },
		{ "seconds", required_argument, NULL, 's' },
		{ "show", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, v;

	o->runs = 7;
	o->ms = 200;
	o->cpu = -2;
	o->protos = (1u << P__N) - 1;
	o->encs = 1u << E_FAST;
	o->only_mode = -1;
	o->seconds = 0;
	o->show = false;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_int(optarg, 1, MAX_ROUNDS, &o->runs))
				goto bad;
			break;
		case 'm':
			if (parse_int(optarg, 1, 60000, &o->ms))
				goto bad;
			break;
		case 'c':
			if (parse_int(optarg, -1, 4095, &o->cpu))
				goto bad;
			break;
		case 'p': {
			char buf[64], *save = NULL, *tok;

			snprintf(buf, sizeof(buf), "%s", optarg);
			o->protos = 0;
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int i;

				for (i = 0; i < P__N; i++)
					if (!strcmp(tok, proto_name[i]))
						break;
				if (i == P__N)
					goto bad;
				o->protos |= 1u << i;
			}
			if (!o->protos)
				goto bad;
			break;
		}
		case 'e': {
			char buf[128], *save = NULL, *tok;

			snprintf(buf, sizeof(buf), "%s", optarg);
			o->encs = 0;
			for (tok = strtok_r(buf, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				int i;

				for (i = 0; i < E__N; i++)
					if (!strcmp(tok, enc_name[i]))
						break;
				if (i == E__N)
					goto bad;
				o->encs |= 1u << i;
			}
			if (!o->encs)
				goto bad;
			break;
		}
		case 'M':
			for (v = 0; v < M__N; v++)
				if (!strcmp(optarg, mode_name[v]))
					break;
			if (v == M__N)
				goto bad;
			o->only_mode = v;
			break;
		case 's':
			if (parse_int(optarg, 1, 600, &v))
				goto bad;
			o->seconds = v;
			break;
		case 'S':
			o->show = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc)
		goto bad;
	for (o->first_enc = 0; !(o->encs & (1u << o->first_enc));
	     o->first_enc++)
		;
	return 0;
bad:
	fprintf(stderr, "bench_decode: bad option %s\n",
		optind > 1 && optind <= argc ? argv[optind - 1] : "");
	return -1;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu == -1)
		return;
	if (cpu == -2) {
		if (sched_getaffinity(0, sizeof(set), &set))
			return;
		for (cpu = CPU_SETSIZE - 1; cpu >= 0 && !CPU_ISSET(cpu, &set);
		     cpu--)
			;
		if (cpu < 0)
			return;
	}
	if (!bu_pin_cpu(cpu, "bench_decode"))
		printf("pinned to CPU %d\n", cpu);
}

static void report(struct workload *w, const struct opts *o)
{
	/* Issue 11's targets for decode + encode on one core. */
	static const double target_ns[P__N] = { 120, 120, 150 };
	double med[E__N][M__N], lo, hi, wmed[E__N][M__N], wlo, whi;
	int n = o->runs;

	printf("\n%-6s %-10s %-7s %12s %12s %12s %10s\n", "proto", "encoder",
	       "mode", "ns/flow(cpu)", "min..max", "ns/flow(wall)", "Mflows/s");
	for (int p = 0; p < P__N; p++) {
		if (!(o->protos & (1u << p)))
			continue;
		for (int e = 0; e < E__N; e++) {
			if (!(o->encs & (1u << e)))
				continue;
			for (int m = 0; m < M__N; m++) {
				/* decode does not depend on the encoder */
				int se = m == M_DECODE ? o->first_enc : e;
				char range[32];

				stats(w[p].s[se][m], n, false, &med[e][m], &lo,
				      &hi);
				stats(w[p].s[se][m], n, true, &wmed[e][m], &wlo,
				      &whi);
				if (m == M_DECODE && e != o->first_enc)
					continue;
				snprintf(range, sizeof(range), "%.0f..%.0f", lo,
					 hi);
				printf("%-6s %-10s %-7s %12.1f %12s %12.1f "
				       "%10.2f\n",
				       proto_name[p],
				       m == M_DECODE ? "-" : enc_name[e],
				       mode_name[m], med[e][m], range,
				       wmed[e][m], 1e3 / med[e][m]);
			}
		}
		/* The cost of the enrichment fields: each enriched encoder
		 * against its plain form, in the same rounds. */
		for (int e = E_FAST_ENR; e <= E_JSON_ENR; e++) {
			int f = e - E_FAST_ENR; /* E_FAST, E_PBC, E_JSON */

			if (!(o->encs & (1u << e)) || !(o->encs & (1u << f)))
				continue;
			printf("%-6s enrichment cost, %s: full +%.1f ns "
			       "(%.1f / %.1f = %.2fx), encode +%.1f ns\n",
			       proto_name[p], enc_name[f],
			       med[e][M_FULL] - med[f][M_FULL], med[e][M_FULL],
			       med[f][M_FULL], med[e][M_FULL] / med[f][M_FULL],
			       med[e][M_ENCODE] - med[f][M_ENCODE]);
		}
		/* Side by side: each encoder against the first one. */
		for (int e = 0; e < E__N; e++) {
			int f = o->first_enc;

			if (e == f || !(o->encs & (1u << e)))
				continue;
			printf("%-6s %s / %s: full %.1f / %.1f ns = %.2fx, "
			       "encode %.1f / %.1f ns = %.2fx\n",
			       proto_name[p], enc_name[e], enc_name[f],
			       med[e][M_FULL], med[f][M_FULL],
			       med[e][M_FULL] / med[f][M_FULL],
			       med[e][M_ENCODE], med[f][M_ENCODE],
			       med[e][M_ENCODE] / med[f][M_ENCODE]);
		}
		/* RESULT lines: machine-readable, for scripts/bench/bench.sh. */
		for (int e = 0; e < E__N; e++) {
			if (!(o->encs & (1u << e)))
				continue;
			printf("RESULT proto=%s runs=%d full_ns=%.1f "
			       "decode_ns=%.1f encode_ns=%.1f full_wall_ns=%.1f "
			       "per_s=%.0f decode_share=%.2f encode_share=%.2f "
			       "target_ns=%.0f met=%s unit=%s encoder=%s\n",
			       proto_name[p], n, med[e][M_FULL],
			       med[e][M_DECODE], med[e][M_ENCODE],
			       wmed[e][M_FULL], 1e9 / med[e][M_FULL],
			       med[e][M_DECODE] / med[e][M_FULL],
			       med[e][M_ENCODE] / med[e][M_FULL], target_ns[p],
			       med[e][M_FULL] <= target_ns[p] ? "yes" : "no",
			       p == P_SFLOW ? "samples" : "flows", enc_name[e]);
		}
	}
}

int main(int argc, char **argv)
{
	static struct workload w[P__N];
	struct opts o;
	uint8_t *out;
	uint64_t guard = 0;

	if (parse_opts(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_LVL_WARN);
	pin(o.cpu);
	out = malloc(OUT_CAP);
	if (!out)
		return 1;
	for (int p = 0; p < P__N; p++)
		if ((o.protos & (1u << p)) && workload_init(&w[p], p))
			return 1;
	printf("packets: nf9 %zu B (%d records), ipfix %zu B (%d records), "
	       "sflow %zu B (%d samples)\n",
	       w[P_NF9].len[0], PG_RECORDS, w[P_IPFIX].len[0], PG_RECORDS,
	       w[P_SFLOW].len[0], PG_SFLOW_SAMPLES);

	if (o.show) {
		for (int p = 0; p < P__N; p++) {
			ssize_t n;

			if (!(o.protos & (1u << p)))
				continue;
			n = encode_json(&w[p].stash[0], out, OUT_CAP);
			if (n > 0)
				printf("%s: %.*s%s", proto_name[p], (int)n, out,
				       out[n - 1] == '\n' ? "" : "\n");
		}
	} else if (o.seconds > 0) {
		for (int p = 0; p < P__N; p++) {
			enum mode m = o.only_mode < 0 ? M_FULL : o.only_mode;
			struct sample s;

			if (!(o.protos & (1u << p)))
				continue;
			s = run_once(&w[p], p, o.first_enc, m, o.seconds * 1e3,
				     out, &guard);
			printf("%s %s %s: %.1f ns/flow (cpu), %.1f (wall)\n",
			       proto_name[p], enc_name[o.first_enc],
			       mode_name[m], s.cpu_ns_per_flow,
			       s.wall_ns_per_flow);
		}
	} else {
		/* warm-up, then rounds with every triple in turn */
		for (int r = -1; r < o.runs; r++)
			for (int p = 0; p < P__N; p++) {
				if (!(o.protos & (1u << p)))
					continue;
				for (int e = 0; e < E__N; e++) {
					if (!(o.encs & (1u << e)))
						continue;
					for (int m = 0; m < M__N; m++) {
						struct sample s;

						if (m == M_DECODE &&
						    e != o.first_enc)
							continue;
						s = run_once(&w[p], p, e, m,
							     r < 0 ? 20 : o.ms,
							     out, &guard);
						if (r >= 0)
							w[p].s[e][m][r] = s;
					}
				}
			}
		report(w, &o);
	}
	fprintf(stderr, "(checksum %llu)\n", (unsigned long long)guard);
	for (int p = 0; p < P__N; p++) {
		decode_ctx_free(w[p].ctx);
		free(w[p].stash);
	}
	free(out);
	return 0;
}
