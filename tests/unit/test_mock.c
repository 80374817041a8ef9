// SPDX-License-Identifier: Apache-2.0
/* Unit tests for xdpflow-mock: the flow generator (reproducible per seed,
 * every field in its documented range, per-exporter sequences and rates,
 * a sane mix of families, protocols and ports, every flow encodable in
 * every format and schema), its option parser with the output options
 * shared with xdpflowd (publish/publish_opts.h), and --help. */
#include "unit.h"
#include "unit_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "encode/encode.h"
#include "mock/mock_gen.h"
#include "mock/mock_opts.h"
#include "publish/publish_opts.h"

#define NOW 1700000000123456789ULL
#define N_FLOWS 200000

static struct flow_rec *new_rec(void)
{
	struct flow_rec *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	return r;
}

static void test_same_seed_same_flows(void **state)
{
	struct mock_gen_config cfg;
	struct mock_gen a, b, c;
	struct flow_rec *ra = new_rec(), *rb = new_rec(), *rc = new_rec();
	size_t differ = 0;

	(void)state;
	mock_gen_config_defaults(&cfg);
	cfg.seed = 42;
	mock_gen_init(&a, &cfg);
	mock_gen_init(&b, &cfg);
	cfg.seed = 43;
	mock_gen_init(&c, &cfg);
	for (int i = 0; i < 10000; i++) {
		mock_gen_next(&a, NOW + (uint64_t)i, ra);
		mock_gen_next(&b, NOW + (uint64_t)i, rb);
		mock_gen_next(&c, NOW + (uint64_t)i, rc);
		assert_memory_equal(ra, rb, sizeof(*ra));
		differ += memcmp(ra, rc, sizeof(*ra)) != 0;
	}
	/* Another seed, another stream. */
	assert_true(differ > 9900);
	free(ra);
	free(rb);
	free(rc);
}

static bool in_v4_range(const struct flow_addr *a)
{
	return a->len == 4 && a->b[0] == 198 && (a->b[1] & 0xfe) == 18;
}

static bool in_v6_range(const struct flow_addr *a)
{
	static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 };

	return a->len == 16 && memcmp(a->b, pfx, 8) == 0;
}

static void test_fields_in_range(void **state)
{
	struct mock_gen_config cfg;
	struct mock_gen g;
	struct flow_rec *r = new_rec();
	uint32_t next_seq[4] = { 0 };
	size_t v6 = 0, per_type[5] = { 0 }, per_proto[256] = { 0 };
	size_t service = 0, as_seen[3] = { 0 };
	uint64_t max_bytes = 0, max_packets = 0;
	/* Flows per source host: a few hosts talk most. */
	static uint32_t host_flows[65536];
	uint32_t top = 0;

	(void)state;
	memset(host_flows, 0, sizeof(host_flows));
	mock_gen_config_defaults(&cfg);
	cfg.seed = 7;
	mock_gen_init(&g, &cfg);
	for (int i = 0; i < N_FLOWS; i++) {
		uint32_t ex;

		mock_gen_next(&g, NOW, r);
		assert_int_equal(r->time_received_ns, NOW);
		assert_true(r->time_flow_end_ns <= NOW);
		assert_true(r->time_flow_start_ns <= r->time_flow_end_ns);
		assert_true(NOW - r->time_flow_start_ns <= 61000000000ULL);
		/* Exporters 198.18.0.1..4, each one protocol and rate. */
		assert_int_equal(r->sampler_address.len, 4);
		assert_memory_equal(r->sampler_address.b, "\xc6\x12\x00", 3);
		ex = r->sampler_address.b[3] - 1u;
		assert_true(ex < 4);
		assert_int_equal(r->sequence_num, next_seq[ex]);
		next_seq[ex]++;
		switch (ex) {
		case 0:
			assert_int_equal(r->type, FLOW_TYPE_NETFLOW_V9);
			assert_int_equal(r->sampling_rate, 1);
			break;
		case 1:
			assert_int_equal(r->type, FLOW_TYPE_IPFIX);
			assert_int_equal(r->sampling_rate, 100);
			assert_int_equal(r->observation_domain_id, 1);
			break;
		case 2:
			assert_int_equal(r->type, FLOW_TYPE_SFLOW_5);
			assert_int_equal(r->sampling_rate, 512);
			assert_int_equal(r->time_flow_start_ns, NOW);
			break;
		default:
			assert_int_equal(r->type, FLOW_TYPE_NETFLOW_V5);
			assert_int_equal(r->src_addr.len, 4);
		}
		per_type[r->type]++;
		if (r->src_addr.len == 16) {
			v6++;
			assert_true(in_v6_range(&r->src_addr));
			assert_true(in_v6_range(&r->dst_addr));
			assert_int_equal(r->etype, 0x86dd);
			assert_true(r->proto == 6 || r->proto == 17 ||
				    r->proto == 58);
			host_flows[(r->src_addr.b[14] << 8) |
				   r->src_addr.b[15]]++;
		} else {
			assert_true(in_v4_range(&r->src_addr));
			assert_true(in_v4_range(&r->dst_addr));
			assert_int_equal(r->etype, 0x0800);
			assert_true(r->proto == 6 || r->proto == 17 ||
				    r->proto == 1);
		}
		per_proto[r->proto]++;
		if (r->proto == 6 || r->proto == 17) {
			assert_true(r->src_port >= 1024 &&
				    r->src_port <= 65535);
			assert_true(r->dst_port >= 1 && r->dst_port <= 65535);
			service += r->dst_port == 443 || r->dst_port == 80 ||
				   r->dst_port == 53 || r->dst_port == 22;
		} else {
			assert_int_equal(r->src_port, 0);
			assert_int_equal(r->dst_port, 0);
			assert_true(r->icmp_type == 0 || r->icmp_type == 8 ||
				    r->icmp_type == 128 || r->icmp_type == 129);
		}
		if (r->proto != 6)
			assert_int_equal(r->tcp_flags, 0);
		assert_true(r->bytes <= 1499);
		assert_true(r->packets <= 99);
		max_bytes = r->bytes > max_bytes ? r->bytes : max_bytes;
		max_packets = r->packets > max_packets ? r->packets
						       : max_packets;
		assert_true(r->src_as >= 65000 && r->src_as <= 65002);
		assert_true(r->dst_as >= 65000 && r->dst_as <= 65002);
		as_seen[r->src_as - 65000]++;
		assert_true(r->ip_ttl >= 1 && r->ip_ttl <= 255);
		/* Nothing the generator does not own is touched. */
		assert_int_equal(r->n_layers, 0);
		assert_int_equal(r->src_mac, 0);
	}
	/* The full ranges are used, and the mix is as documented. */
	assert_int_equal(max_bytes, 1499);
	assert_int_equal(max_packets, 99);
	for (int t = 1; t <= 4; t++)
		assert_true(per_type[t] > N_FLOWS / 5);
	for (int k = 0; k < 3; k++)
		assert_true(as_seen[k] > N_FLOWS / 4);
	/* v5 (a quarter) never carries IPv6; half of the rest does. */
	assert_true(v6 > N_FLOWS * 3 / 8 * 9 / 10 &&
		    v6 < N_FLOWS * 3 / 8 * 11 / 10);
	assert_true(per_proto[6] > N_FLOWS * 65 / 100);
	assert_true(per_proto[17] > N_FLOWS * 20 / 100);
	assert_true(per_proto[1] + per_proto[58] > N_FLOWS * 3 / 100);
	/* Most flows go to a handful of services. */
	assert_true(service > N_FLOWS / 4);
	for (size_t h = 0; h < 65536; h++)
		top = host_flows[h] > top ? host_flows[h] : top;
	/* A uniform draw over 4096 hosts would give about v6/4096 each. */
	assert_true(top > 10 * (v6 / 4096));
	free(r);
}

static void test_config(void **state)
{
	struct mock_gen_config cfg;
	struct mock_gen g;
	struct flow_rec *r = new_rec();
	bool seen[MOCK_MAX_EXPORTERS] = { false };

	(void)state;
	mock_gen_config_defaults(&cfg);
	assert_int_equal(cfg.exporters, 4);
	assert_int_equal(cfg.ipv6_percent, 50);
	assert_int_equal(cfg.sampling_rate, 0);

	/* Clamped: 1000 exporters -> 64; 300% IPv6 -> all (but v5). */
	cfg.exporters = 1000;
	cfg.ipv6_percent = 300;
	cfg.sampling_rate = 4096;
	mock_gen_init(&g, &cfg);
	for (int i = 0; i < 20000; i++) {
		mock_gen_next(&g, NOW, r);
		seen[r->sampler_address.b[3] - 1] = true;
		assert_int_equal(r->sampling_rate, 4096);
		if (r->type != FLOW_TYPE_NETFLOW_V5)
			assert_int_equal(r->src_addr.len, 16);
	}
	for (int i = 0; i < MOCK_MAX_EXPORTERS; i++)
		assert_true(seen[i]);

	/* No IPv6, one exporter (NetFlow v9). */
	cfg.exporters = 0;
	cfg.ipv6_percent = 0;
	mock_gen_init(&g, &cfg);
	for (int i = 0; i < 1000; i++) {
		mock_gen_next(&g, NOW, r);
		assert_int_equal(r->src_addr.len, 4);
		assert_int_equal(r->sampler_address.b[3], 1);
		assert_int_equal(r->sequence_num, (uint32_t)i);
	}
	free(r);
}

static void test_every_flow_encodes(void **state)
{
	static const struct {
		enum out_format fmt;
		enum out_schema schema;
	} outs[] = {
		{ OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW2 },
		{ OUT_FORMAT_PB, OUT_SCHEMA_GOFLOW_V3 },
		{ OUT_FORMAT_JSON, OUT_SCHEMA_GOFLOW2 },
	};
	struct mock_gen_config cfg;
	struct mock_gen g;
	struct flow_rec *r = new_rec();
	static uint8_t buf[ENCODE_MAX_LEN];

	(void)state;
	mock_gen_config_defaults(&cfg);
	mock_gen_init(&g, &cfg);
	for (int i = 0; i < 20000; i++) {
		mock_gen_next(&g, NOW, r);
		for (size_t k = 0; k < sizeof(outs) / sizeof(outs[0]); k++) {
			ssize_t n = encode_flow_schema(outs[k].fmt,
						       outs[k].schema, r, buf,
						       sizeof(buf));

			assert_true(n > 10 && n < 2048);
		}
	}
	free(r);
}

#define MAX_ARGS 40

static int parse(struct mock_opts *o, char *err, size_t errlen, ...)
{
	char *argv[MAX_ARGS + 2];
	int argc;
	va_list ap;

	va_start(ap, errlen);
	unit_argv(argv, &argc, MAX_ARGS, "xdpflow-mock", ap);
	va_end(ap);
	err[0] = '\0';
	return mock_opts_parse(o, argc, argv, err, errlen);
}

static void test_options(void **state)
{
	struct mock_opts *o = calloc(1, sizeof(*o));
	struct publish_config pc;
	char err[256];

	(void)state;
	assert_non_null(o);
	assert_int_equal(parse(o, err, sizeof(err), NULL), MOCK_OPTS_RUN);
	assert_int_equal(o->rate, 1000);
	assert_int_equal(o->count, 0);
	assert_false(o->seed_given);
	assert_int_equal(o->gen.exporters, 4);
	assert_int_equal(o->gen.ipv6_percent, 50);
	assert_int_equal(o->stats_interval, 0);
	/* The output defaults are xdpflowd's. */
	assert_int_equal(o->out.output, OUT_KIND_FILE);
	assert_int_equal(o->out.format, OUT_FORMAT_JSON);
	assert_int_equal(o->out.schema, OUT_SCHEMA_GOFLOW2);
	assert_string_equal(o->out.file, "-");
	assert_string_equal(o->out.kafka_brokers, "127.0.0.1:9092");
	assert_string_equal(o->out.kafka_topic, "flows");
	assert_int_equal(o->out.kafka_key, KAFKA_KEY_EXPORTER);
	assert_int_equal(o->out.kafka_batch, 1);

	assert_int_equal(parse(o, err, sizeof(err), "--rate", "0", "-n",
			       "1000000", "--seed=18446744073709551615",
			       "--exporters", "64", "--ipv6-percent", "0",
			       "--sampling-rate", "100", "--stats-interval",
			       "1", "--log-level", "warn", "-o", "kafka",
			       "--format", "pb", "--schema", "goflow-v3",
			       "--kafka-brokers", "k1:1,k2:2", "--kafka-topic",
			       "t", "--kafka-key", "none", "--kafka-batch",
			       "64", "-X", "linger.ms=5", "--property",
			       "acks=1", NULL),
			 MOCK_OPTS_RUN);
	assert_string_equal(err, "");
	assert_int_equal(o->rate, 0);
	assert_int_equal(o->count, 1000000);
	assert_true(o->seed_given);
	assert_true(o->gen.seed == UINT64_MAX);
	assert_int_equal(o->gen.exporters, 64);
	assert_int_equal(o->gen.ipv6_percent, 0);
	assert_int_equal(o->gen.sampling_rate, 100);
	assert_int_equal(o->stats_interval, 1);
	assert_int_equal(o->log_level, LOG_LVL_WARN);
	publish_opts_config(&o->out, &pc);
	assert_int_equal(pc.kind, OUT_KIND_KAFKA);
	assert_int_equal(pc.format, OUT_FORMAT_PB);
	assert_int_equal(o->out.schema, OUT_SCHEMA_GOFLOW_V3);
	assert_string_equal(pc.brokers, "k1:1,k2:2");
	assert_string_equal(pc.topic, "t");
	assert_int_equal(pc.key, KAFKA_KEY_NONE);
	assert_int_equal(pc.batch, 64);
	assert_int_equal(pc.n_props, 2);
	assert_string_equal(pc.props[0], "linger.ms=5");
	assert_string_equal(pc.props[1], "acks=1");
	assert_string_equal(pc.file_path, "-");

	/* A second parse starts from the defaults again. */
	assert_int_equal(parse(o, err, sizeof(err), "-r", "5", NULL),
			 MOCK_OPTS_RUN);
	assert_int_equal(o->rate, 5);
	assert_int_equal(o->out.n_props, 0);
	assert_int_equal(o->out.output, OUT_KIND_FILE);
	assert_false(o->seed_given);
	assert_int_equal(parse(o, err, sizeof(err), "--file", "x", NULL),
			 MOCK_OPTS_RUN);
	assert_string_equal(o->out.file, "x");

	assert_int_equal(parse(o, err, sizeof(err), "-h", NULL),
			 MOCK_OPTS_HELP);
	assert_int_equal(parse(o, err, sizeof(err), "--version", NULL),
			 MOCK_OPTS_VERSION);
	free(o);
}

static void test_bad_options(void **state)
{
	static const struct {
		const char *a, *b, *needle;
	} bad[] = {
		{ "--bogus", NULL, "--bogus" },
		{ "-q", NULL, "-q" },
		{ "stray", NULL, "stray" },
		{ "--rate", NULL, "--rate" },
		{ "--rate", "-1", "rate" },
		{ "--rate", "1000000001", "rate" },
		{ "--rate", "1e6", "rate" },
		{ "--count", "99999999999999999999", "count" },
		{ "--seed", "x", "seed" },
		{ "--exporters", "0", "exporters" },
		{ "--exporters", "65", "1..64" },
		{ "--ipv6-percent", "101", "ipv6-percent" },
		{ "--sampling-rate", "4294967296", "sampling-rate" },
		{ "--stats-interval", "86401", "stats-interval" },
		{ "--log-level", "trace", "trace" },
		/* Output options: xdpflowd's checks. */
		{ "-o", "stdout", "stdout" },
		{ "--format", "text", "text" },
		{ "--schema", "goflow-v4", "goflow-v4" },
		{ "--kafka-key", "src", "kafka-key" },
		{ "--kafka-batch", "0", "kafka-batch" },
		{ "--kafka-batch", "100001", "kafka-batch" },
		{ "--kafka-batch", "4x", "kafka-batch" },
		{ "--kafka-topic", "", "kafka-topic" },
		{ "--file", "", "file" },
		{ "-X", "novalue", "property=value" },
		{ "-X", "=v", "property" },
		{ "--help=x", NULL, "--help" },
	};
	struct mock_opts *o = calloc(1, sizeof(*o));

	(void)state;
	assert_non_null(o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256];
		int rc = bad[i].b ? parse(o, err, sizeof(err), bad[i].a,
					  bad[i].b, NULL)
				  : parse(o, err, sizeof(err), bad[i].a, NULL);

		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a,
				 bad[i].b ? bad[i].b : "");
		if (!strstr(err, bad[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", bad[i].a,
				 bad[i].b ? bad[i].b : "", bad[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
	free(o);
}

static void test_usage(void **state)
{
	static const char *const names[] = {
		"-r, --rate",	    "-n, --count",    "-s, --seed",
		"--exporters",	    "--ipv6-percent", "--sampling-rate",
		"--stats-interval", "--log-level",    "-h, --help",
		"-V, --version",    "-o, --output",   "--format",
		"--schema",	    "--file",	      "--kafka-brokers",
		"--kafka-topic",    "--kafka-key",    "--kafka-batch",
		"-X, --property",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	mock_opts_usage(f, "xdpflow-mock");
	fclose(f);
	unit_check_usage(buf, names, sizeof(names) / sizeof(names[0]));
	free(buf);
}

/* Plumbing: output_opts_getopt and output_opts_set (now publish_opts.h) left when
 * the machinery moved to common/cli.h; these give the same view of the
 * output table through it (getopt rows without cli_getopt's leading ':',
 * 1 for an option that is not the table's). */
static void oo_getopt(struct option *lo, char *so)
{
	struct publish_opts oo;
	struct cli_table t = publish_opts_table(&oo);
	struct option all[CLI_MAX_OPTS + 1];
	char s[CLI_SHORTOPTS_LEN];

	assert_int_equal(cli_getopt(&t, 1, all, s), 0);
	memcpy(lo, all, PUBLISH_OPTS_N * sizeof(*lo));
	strcpy(so, s + 1);
}

static int oo_set(struct publish_opts *oo, int c, const char *arg, char *err,
		  size_t errlen)
{
	struct cli_table t = publish_opts_table(oo);
	int rc = cli_apply(&t, 1, c, arg, err, errlen);

	return rc == -ENOENT ? 1 : rc;
}

/* The shared table hands back only its own options and fills getopt
 * arrays that getopt_long accepts. */
static void test_publish_opts_table(void **state)
{
	struct option lo[PUBLISH_OPTS_N + 1];
	char so[2 * PUBLISH_OPTS_N + 1];
	struct publish_opts oo;
	char err[128];
	size_t letters = 0;

	(void)state;
	memset(lo, 0xa5, sizeof(lo));
	oo_getopt(lo, so);
	assert_string_equal(so, "o:X:");
	for (size_t i = 0; i < PUBLISH_OPTS_N; i++) {
		assert_non_null(lo[i].name);
		assert_int_equal(lo[i].has_arg, required_argument);
		letters += lo[i].val < 256;
	}
	assert_int_equal(letters, 2);
	assert_int_equal(publish_opts_defaults(&oo), 0);
	assert_int_equal(oo_set(&oo, 'r', "1", err, sizeof(err)), 1);
	assert_int_equal(oo_set(&oo, 'o', "kafka", err, sizeof(err)), 0);
	assert_int_equal(oo.output, OUT_KIND_KAFKA);
	for (int i = 0; i < PUBLISH_OPTS_MAX_PROPS; i++)
		assert_int_equal(oo_set(&oo, 'X', "a=b", err, sizeof(err)), 0);
	assert_int_equal(oo_set(&oo, 'X', "a=b", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too many"));
}

/* As xdpflowd: an output option that would do nothing is refused (the
 * mocker used to write JSON to stdout for --kafka-* without -o kafka). */
static void test_no_effect(void **state)
{
	static const struct {
		const char *a[4];
		const char *needle;
	} refused[] = {
		{ { "--kafka-brokers", "b:9092", "--kafka-topic", "t" },
		  "--kafka-brokers has no effect without -o kafka (add -o kafka)" },
		{ { "--kafka-batch", "64" }, "add -o kafka" },
		{ { "-X", "acks=1" }, "-X has no effect without -o kafka" },
		{ { "-o", "kafka", "--file", "f" },
		  "--file has no effect with -o kafka" },
		{ { "--schema", "goflow-v3" }, "add --format pb" },
	};
	struct mock_opts *o = calloc(1, sizeof(*o));
	char err[256];

	(void)state;
	assert_non_null(o);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *const *a = refused[i].a;

		err[0] = '\0';
		if (parse(o, err, sizeof(err), a[0], a[1], a[2], a[3], NULL) !=
		    -EINVAL)
			fail_msg("accepted %s %s", a[0], a[1]);
		if (!strstr(err, refused[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", a[0], a[1],
				 refused[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(parse(o, err, sizeof(err), "-o", "kafka",
			       "--kafka-topic", "t", "--format", "pb",
			       "--schema", "goflow-v3", NULL),
			 MOCK_OPTS_RUN);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_flows),
		cmocka_unit_test(test_fields_in_range),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_every_flow_encodes),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_no_effect),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_publish_opts_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
