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
 *
 * --enrich N adds the in-collector enrichment mode (xdpflowd --enrich):
 * a networks file of N IPv4 and N/5 IPv6 prefixes shaped like a routing
 * table (netgen.h, bench_enrich's generator) loaded through an enricher;
 * the NetFlow v9 and IPFIX packets then carry source and destination
 * addresses drawn inside random prefixes of it, and the enrich mode is the
 * full mode with enricher_apply and encode_flow_enriched per flow (the
 * daemon's pipeline), one enricher_begin/end per datagram. Its "ENRICH"
 * line gives the ns per flow enrichment adds, against the full mode of the
 * same rounds and packets (target: <= 40 ns).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "decode/decode.h"
#include "encode/encode.h"
#include "encode/encode_pbc.h"
#include "enrich/enricher.h"

#include "benchutil.h"
#include "netgen.h"
#include "pktgen.h"

#define N_PKTS 64 /* distinct data packets per protocol */
#define MAX_ROUNDS 101
#define OUT_CAP (256u << 10) /* the pipeline's buffer size */
#define STASH_MAX (N_PKTS * PG_RECORDS)

enum proto { P_NF9, P_IPFIX, P_SFLOW, P__N };
enum mode { M_FULL, M_DECODE, M_ENCODE, M_ENRICH, M__N };

static const char *const proto_name[P__N] = { "nf9", "ipfix", "sflow" };
static const char *const mode_name[M__N] = { "full", "decode", "encode",
					     "enrich" };
#define ENRICH_TARGET_NS 40.0 /* issue 9: added per flow by enrichment */

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

/* A string literal as a struct flow_str. */
#define BS(lit)                                                                \
	{                                                                      \
		lit, sizeof(lit) - 1                                           \
	}

/* A fully enriched flow, with strings as long as real tables hold: an
 * ISO country, an MMDB AS organisation, networks-file names, SNMP ifName
 * and ifAlias, exporter classification. 24 strings, 210 bytes. */
static const struct flow_enriched bench_enr = {
	.src_as = 64496,
	.dst_as = 64511,
	.has_src_as = 1,
	.has_dst_as = 1,
	.src_country = BS("FR"),
	.dst_country = BS("US"),
	.src_as_name = BS("Example Networks SAS"),
	.dst_as_name = BS("Documentation ASN Inc."),
	.src_net_name = BS("par-dc1-lan"),
	.dst_net_name = BS("internet"),
	.src_net_role = BS("servers"),
	.dst_net_role = BS("transit"),
	.src_net_site = BS("par1"),
	.dst_net_site = BS("nyc2"),
	.src_net_region = BS("eu-west"),
	.dst_net_region = BS("us-east"),
	.src_net_tenant = BS("acme"),
	.dst_net_tenant = BS("globex"),
	.in_if_name = BS("et-0/0/1"),
	.out_if_name = BS("ae12.100"),
	.in_if_description = BS("core: par1-core1 et-1/0/4"),
	.out_if_description = BS("Transit: Example [100G]"),
	.in_if_speed = 100000000000ULL,
	.out_if_speed = 100000000000ULL,
	.exporter_name = BS("edge1.par1"),
	.exporter_group = BS("edge"),
	.exporter_role = BS("border"),
	.exporter_site = BS("par1"),
	.exporter_region = BS("eu-west"),
	.exporter_tenant = BS("acme"),
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
/* The encoders encode_flow_enriched has (the daemon's): format and schema;
 * the protobuf-c packers have none (enrich mode skipped). */
static const struct {
	bool ok;
	enum out_format fmt;
	enum out_schema schema;
} enc_enriched[E__N] = {
	[E_FAST] = { true, OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2 },
	[E_JSON] = { true, OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2 },
	[E_LEGACY] = { true, OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW_V3 },
};

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
	struct enricher *enr; /* --enrich (shared), NULL: off */
	int slot;	      /* its reader slot */
};

struct full_sink {
	struct flow_sink sink;
	enc_fn enc;
	/* enrich mode: the enricher, the tables of the datagram and the
	 * encoder's format */
	const struct enricher *enr;
	const struct enrich_tables *tables;
	enum out_format fmt;
	enum out_schema schema;
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
	int only_mode;	 /* -1: all; else one mode (for perf record) */
	unsigned enrich; /* --enrich: IPv4 prefixes of the table, 0: off */
	double seconds;	 /* --seconds: one long run per protocol, for perf */
	bool show;	 /* --show: print each protocol's first flow as JSON */
};

/* Whether (p, e, m) is measured: decode once (first encoder), enrich only
 * with --enrich, for NetFlow v9 and IPFIX and encoders that have it. */
static bool mode_on(const struct opts *o, int p, int e, int m)
{
	if (m == M_DECODE)
		return e == o->first_enc;
	if (m == M_ENRICH)
		return o->enrich && enc_enriched[e].ok && p != P_SFLOW;
	return true;
}

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

/* What the daemon's pipeline does with an enriched flow: encode it with e
 * into the buffer (started over when full, as the writer would). */
static void enrich_put(struct full_sink *f, const struct flow_rec *rec,
		       const struct flow_enriched *e)
{
	ssize_t n = encode_flow_enriched(f->fmt, f->schema, rec, e,
					 f->out + f->off, OUT_CAP - f->off);

	if (n == -ENOSPC) {
		f->off = 0;
		n = encode_flow_enriched(f->fmt, f->schema, rec, e, f->out,
					 OUT_CAP);
	}
	if (n < 0) {
		f->errors++;
		return;
	}
	f->off += (size_t)n;
	f->bytes += (uint64_t)n;
	f->flows++;
}

/* The pipeline's emit and emit_batch with an enricher (pipeline.c). */
static void enrich_emit(struct flow_sink *s, const struct flow_rec *rec)
{
	struct full_sink *f = (struct full_sink *)s;
	struct flow_enriched e;

	enricher_apply(f->enr, f->tables, rec, &e);
	enrich_put(f, rec, &e);
}

static void enrich_emit_batch(struct flow_sink *s, const struct flow_rec *recs,
			      size_t n)
{
	enum { CHUNK = 32 };
	struct full_sink *f = (struct full_sink *)s;
	struct flow_enriched e[CHUNK];

	for (size_t at = 0; at < n; at += CHUNK) {
		size_t m = n - at < CHUNK ? n - at : CHUNK;

		enricher_apply_batch(f->enr, f->tables, recs + at, m, e);
		for (size_t i = 0; i < m; i++)
			enrich_put(f, &recs[at + i], &e[i]);
	}
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

/* The table of --enrich: n IPv4 and n/5 IPv6 routing-table-shaped
 * prefixes (about a real table's ratio) in a networks file under a
 * temporary folder, loaded through an enricher as xdpflowd --enrich does.
 * The prefixes stay in p4, l4, p6 and l6 to draw flow addresses from. */
struct ng_table {
	struct flow_addr *p4, *p6;
	uint8_t *l4, *l6;
	unsigned n4, n6;
};

static struct enricher *enrich_setup(unsigned n, struct ng_table *t)
{
	char dir[] = "/tmp/bench_decode_XXXXXX", path[96], err[512];
	struct enricher *x = NULL;
	uint64_t t0 = bu_now_ns();
	size_t len;
	char *csv;
	FILE *f;

	t->n4 = n;
	t->n6 = n / 5 ? n / 5 : 1;
	t->p4 = calloc(t->n4, sizeof(*t->p4));
	t->p6 = calloc(t->n6, sizeof(*t->p6));
	t->l4 = calloc(t->n4, 1);
	t->l6 = calloc(t->n6, 1);
	if (!t->p4 || !t->p6 || !t->l4 || !t->l6 ||
	    ng_prefixes(t->p4, t->l4, t->n4, t->p6, t->l6, t->n6))
		return NULL;
	csv = ng_networks_csv(t->p4, t->l4, t->n4, t->p6, t->l6, t->n6, &len);
	if (!csv || !mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/networks.csv", dir);
	f = fopen(path, "w");
	if (!f || fwrite(csv, 1, len, f) != len || fclose(f))
		return NULL;
	free(csv);
	snprintf(path, sizeof(path), "%s/enrich.conf", dir);
	f = fopen(path, "w");
	if (!f || fputs("networks = networks.csv\n", f) < 0 || fclose(f))
		return NULL;
	x = enricher_open(path, err, sizeof(err));
	if (!x)
		fprintf(stderr, "bench_decode: %s\n", err);
	unlink(path);
	snprintf(path, sizeof(path), "%s/networks.csv", dir);
	unlink(path);
	rmdir(dir);
	if (x)
		printf("enrich: networks file of %u IPv4 + %u IPv6 prefixes "
		       "loaded in %.2f s\n",
		       t->n4, t->n6, (double)(bu_now_ns() - t0) / 1e9);
	return x;
}

/* An address inside a random prefix of t (family of len: 4 or 16). */
static void ng_draw(const struct ng_table *t, int len, uint8_t *out)
{
	const struct flow_addr *p;
	unsigned plen;

	if (len == 4) {
		unsigned k = (unsigned)(ng_rng() % t->n4);

		p = &t->p4[k];
		plen = t->l4[k];
	} else {
		unsigned k = (unsigned)(ng_rng() % t->n6);

		p = &t->p6[k];
		plen = t->l6[k];
	}
	for (int i = 0; i < len; i++) {
		unsigned bits = (unsigned)i * 8;
		uint8_t host = (uint8_t)ng_rng();
		uint8_t mask = bits >= plen ? 0
			       : bits + 8 <= plen
				       ? 0xff
				       : (uint8_t)(0xff << (bits + 8 - plen));

		out[i] = (uint8_t)((p->b[i] & mask) | (host & ~mask));
	}
}

/* Rewrites the source and destination addresses of every record of the
 * NetFlow v9 (IPv4, at 0 and 4 of a record) or IPFIX (IPv6, at 0 and 16)
 * data packets with addresses drawn from t. */
static void patch_addrs(struct workload *w, enum proto pr,
			const struct ng_table *t)
{
	size_t hdr = pr == P_NF9 ? 20 : 16;
	int alen = pr == P_NF9 ? 4 : 16;

	for (int i = 0; i < N_PKTS; i++) {
		uint8_t *set = w->pkt[i] + hdr;
		size_t set_len = (size_t)set[2] << 8 | set[3];
		size_t rec = (set_len - 4) / PG_RECORDS;

		for (int r = 0; r < PG_RECORDS; r++) {
			ng_draw(t, alen, set + 4 + (size_t)r * rec);
			ng_draw(t, alen, set + 4 + (size_t)r * rec + alen);
		}
	}
}

/* Builds the packets, a context that knows the template, and the stash of
 * decoded records. 0, or -1 with a message. */
static int workload_init(struct workload *w, enum proto pr,
			 const struct ng_table *tbl)
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
	if (tbl && pr != P_SFLOW)
		patch_addrs(w, pr, tbl);
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
	struct full_sink fs = {
		.sink = { m == M_ENRICH ? enrich_emit : full_emit,
			  m == M_ENRICH ? enrich_emit_batch : NULL },
		.enc = enc_fns[e],
		.enr = w->enr,
		.fmt = enc_enriched[e].fmt,
		.schema = enc_enriched[e].schema,
		.out = out
	};
	struct count_sink cs = { { count_emit }, 0, 0 };
	struct flow_sink *sink = m == M_FULL || m == M_ENRICH ? &fs.sink
							      : &cs.sink;
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
				int rc;

				/* As a worker, with a batch of one datagram:
				 * the most begin/end pairs per flow. */
				if (m == M_ENRICH)
					fs.tables =
						enricher_begin(w->enr, w->slot);
				rc = decode_datagram(w->ctx, &dg, sink);
				if (m == M_ENRICH)
					enricher_end(w->enr, w->slot);
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

/* Median, min and max of the n samples' field (cpu or wall). */
static void stats(const struct sample *s, int n, bool wall, double *med,
		  double *lo, double *hi)
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < n; i++)
		v[i] = wall ? s[i].wall_ns_per_flow : s[i].cpu_ns_per_flow;
	qsort(v, (size_t)n, sizeof(v[0]), bu_cmp_double);
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
		"  --show       print each protocol's first decoded flow (JSON)\n"
		"  --enrich N   add the enrich mode: a networks file of N IPv4 "
		"(and N/5\n"
		"               IPv6) routing-table-shaped prefixes, flows' "
		"addresses in it\n");
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
		{ "enrich", required_argument, NULL, 'E' },
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
	o->enrich = 0;
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
		case 'E':
			if (parse_int(optarg, 0, 16000000, &v))
				goto bad;
			o->enrich = (unsigned)v;
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

				if (!mode_on(o, p, se, m))
					continue;
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
		/* Side by side: what enrichment adds to the full path. */
		for (int e = 0; e < E__N; e++) {
			if (!(o->encs & (1u << e)) ||
			    !mode_on(o, p, e, M_ENRICH))
				continue;
			double add = med[e][M_ENRICH] - med[e][M_FULL];

			printf("ENRICH proto=%s encoder=%s prefixes=%u runs=%d "
			       "full_ns=%.1f enrich_ns=%.1f added_ns=%.1f "
			       "ratio=%.2f target_ns=%.0f met=%s\n",
			       proto_name[p], enc_name[e], o->enrich, n,
			       med[e][M_FULL], med[e][M_ENRICH], add,
			       med[e][M_ENRICH] / med[e][M_FULL],
			       ENRICH_TARGET_NS,
			       add <= ENRICH_TARGET_NS ? "yes" : "no");
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
	struct ng_table tbl = { 0 };
	struct enricher *enr = NULL;
	int slot = 0;

	if (parse_opts(argc, argv, &o))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_LVL_WARN);
	pin(o.cpu);
	out = malloc(OUT_CAP);
	if (!out)
		return 1;
	if (o.enrich) {
		enr = enrich_setup(o.enrich, &tbl);
		if (!enr) {
			fprintf(stderr,
				"bench_decode: could not set up the "
				"enrichment table\n");
			return 1;
		}
		slot = enricher_reader_add(enr);
	}
	for (int p = 0; p < P__N; p++) {
		w[p].enr = enr;
		w[p].slot = slot;
		if ((o.protos & (1u << p)) &&
		    workload_init(&w[p], p, enr ? &tbl : NULL))
			return 1;
	}
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

			if (!(o.protos & (1u << p)) ||
			    !mode_on(&o, p, o.first_enc, m))
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

						if (!mode_on(&o, p, e, m))
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
	enricher_close(enr);
	free(tbl.p4);
	free(tbl.p6);
	free(tbl.l4);
	free(tbl.l6);
	free(out);
	return 0;
}
