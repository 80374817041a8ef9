// SPDX-License-Identifier: Apache-2.0
/* Unit tests for xdpflowd's option parsing: defaults, each option, every
 * bad form rejected with a one-line reason, and --help covering the table. */
#include "unit.h"
#include "unit_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/options.h"

#define MAX_ARGS 40

/* Parses a NULL-terminated argument list after "xdpflowd". */
static int parse(struct options *o, char *err, size_t errlen, ...)
{
	char *argv[MAX_ARGS + 2];
	int argc;
	va_list ap;

	va_start(ap, errlen);
	unit_argv(argv, &argc, MAX_ARGS, "xdpflowd", ap);
	va_end(ap);
	err[0] = '\0';
	return options_parse(o, argc, argv, err, errlen);
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct options));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_defaults(void **state)
{
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), NULL), OPTIONS_RUN);
	assert_int_equal(o->n_listen, 2);
	assert_int_equal(o->listen[0].hint, DECODE_NETFLOW);
	assert_int_equal(o->listen[0].port, 2055);
	assert_true(o->listen[0].any);
	assert_int_equal(o->listen[1].hint, DECODE_SFLOW);
	assert_int_equal(o->listen[1].port, 6343);
	assert_int_equal(o->workers, 1);
	assert_int_equal(o->rcvbuf, 32UL << 20);
	assert_int_equal(o->batch, 64);
	assert_int_equal(o->allow.n, 0);
	assert_null(o->pcap);
	assert_int_equal(o->out.output, OUT_KIND_FILE);
	assert_int_equal(o->out.format, OUT_FORMAT_JSON);
	assert_int_equal(o->out.schema, OUT_SCHEMA_GOFLOW2);
	assert_string_equal(o->out.file, "-");
	assert_string_equal(o->out.kafka_topic, "flows");
	assert_int_equal(o->out.kafka_key, KAFKA_KEY_EXPORTER);
	assert_int_equal(o->out.kafka_batch, 1);
	assert_int_equal(o->out.n_props, 0);
	assert_null(o->templates_file);
	assert_int_equal(o->max_templates, 65536);
	assert_int_equal(o->biflow, DECODE_BIFLOW_SPLIT);
	assert_int_equal(o->log_level, LOG_LVL_INFO);
	assert_false(o->metrics);
	assert_int_equal(o->stats_interval, 0);
}

static void test_every_option(void **state)
{
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), "-l",
			       "netflow://127.0.0.1:2055",
			       "--listen=sflow://[::1]:6343?count=3,flow://:9995",
			       "--workers", "4", "--rcvbuf", "8M",
			       "--allow-exporter", "198.18.0.0/15",
			       "--allow-exporter=2001:2::/48", "-o", "kafka",
			       "--format", "pb", "--kafka-topic", "t1",
			       "--kafka-key", "none", "--kafka-batch", "64",
			       "-X", "compression.codec=lz4", "--kafka-brokers",
			       "k1:9092,k2:9092", NULL),
			 OPTIONS_RUN);
	assert_string_equal(err, "");
	/* -l replaces the defaults and accumulates. */
	assert_int_equal(o->n_listen, 3);
	assert_int_equal(o->listen[0].port, 2055);
	assert_int_equal(o->listen[1].count, 3);
	assert_int_equal(o->listen[2].hint, DECODE_ANY);
	assert_int_equal(o->workers, 4);
	assert_int_equal(o->rcvbuf, 8UL << 20);
	assert_int_equal(o->allow.n, 2);
	assert_int_equal(o->out.output, OUT_KIND_KAFKA);
	assert_int_equal(o->out.format, OUT_FORMAT_PB);
	assert_string_equal(o->out.kafka_topic, "t1");
	assert_int_equal(o->out.kafka_key, KAFKA_KEY_NONE);
	assert_int_equal(o->out.kafka_batch, 64);
	assert_int_equal(o->out.n_props, 1);
	assert_string_equal(o->out.props[0], "compression.codec=lz4");
	assert_string_equal(o->out.kafka_brokers, "k1:9092,k2:9092");

	assert_int_equal(parse(o, err, sizeof(err), "--pcap", "x.pcap",
			       "--file", "/tmp/out", "--format", "bin",
			       "--templates-file", "/tmp/t", "--max-templates",
			       "100", "--log-level", "debug", "--metrics",
			       "127.0.0.1:9100", "--stats-interval", "10",
			       "--schema", "goflow-v3", "--biflow", "forward",
			       NULL),
			 OPTIONS_RUN);
	assert_string_equal(o->pcap, "x.pcap");
	assert_string_equal(o->out.file, "/tmp/out");
	assert_int_equal(o->out.format, OUT_FORMAT_PB);
	assert_string_equal(o->templates_file, "/tmp/t");
	assert_int_equal(o->max_templates, 100);
	assert_int_equal(o->biflow, DECODE_BIFLOW_FORWARD);
	assert_int_equal(o->log_level, LOG_LVL_DEBUG);
	assert_true(o->metrics);
	assert_int_equal(o->metrics_addr.ss_family, AF_INET);
	assert_int_equal(o->stats_interval, 10);
	assert_int_equal(o->out.schema, OUT_SCHEMA_GOFLOW_V3);
	/* The second parse started from the defaults again. */
	assert_int_equal(o->n_listen, 2);
	assert_int_equal(o->allow.n, 0);
	assert_string_equal(o->out.kafka_brokers, "127.0.0.1:9092");

	assert_int_equal(parse(o, err, sizeof(err), "--batch", "1", "--rcvbuf",
			       "0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->batch, 1);
	assert_int_equal(o->rcvbuf, 0);

	assert_int_equal(parse(o, err, sizeof(err), "--metrics", ":9100",
			       "--rcvbuf", "64KiB", NULL),
			 OPTIONS_RUN);
	assert_true(o->metrics_any);
	assert_int_equal(o->metrics_addr.ss_family, AF_INET6);
	assert_int_equal(o->rcvbuf, 64 << 10);
}

static void test_help_version(void **state)
{
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), "-h", NULL), OPTIONS_HELP);
	assert_int_equal(parse(o, err, sizeof(err), "--help", NULL),
			 OPTIONS_HELP);
	assert_int_equal(parse(o, err, sizeof(err), "-V", NULL),
			 OPTIONS_VERSION);
	assert_int_equal(parse(o, err, sizeof(err), "--version", NULL),
			 OPTIONS_VERSION);
	/* A bad option still fails even with --help. */
	assert_int_equal(parse(o, err, sizeof(err), "--help", "--bogus", NULL),
			 -EINVAL);
}

struct bad_case {
	const char *a, *b;  /* b may be NULL */
	const char *needle; /* must appear in the message */
};

static void test_bad_forms(void **state)
{
	static const struct bad_case bad[] = {
		{ "--bogus", NULL, "--bogus" },
		{ "-q", NULL, "-q" },
		{ "stray", NULL, "stray" },
		{ "--workers", NULL, "--workers" },
		{ "-l", NULL, "-l" },
		{ "--workers", "0", "workers" },
		{ "--workers", "65", "1..64" },
		{ "--workers", "-1", "workers" },
		{ "--workers", "1.5", "workers" },
		{ "--workers", "", "workers" },
		{ "--workers", "4x", "workers" },
		{ "--workers", " 4", "workers" },
		{ "--workers", "99999999999999999999", "workers" },
		{ "--rcvbuf", "2G", "rcvbuf" },
		{ "--rcvbuf", "1T", "rcvbuf" },
		{ "--rcvbuf", "M", "rcvbuf" },
		{ "--batch", "0", "batch" },
		{ "--batch", "1025", "batch" },
		{ "--kafka-batch", "0", "kafka-batch" },
		{ "--max-templates", "0", "max-templates" },
		{ "--stats-interval", "86401", "stats-interval" },
		{ "-l", "netflow://:70000", "netflow://:70000" },
		{ "-l", "ipfix://:4739", "ipfix" },
		{ "--listen", "netflow://:2055,", "empty" },
		{ "--allow-exporter", "10.0.0.0/33", "10.0.0.0/33" },
		{ "--allow-exporter", "example.org", "allow-exporter" },
		{ "-o", "stdout", "stdout" },
		{ "--output", "", "output" },
		{ "--format", "text", "text" },
		{ "--kafka-key", "src", "kafka-key" },
		{ "--schema", "goflow-v4", "goflow-v4" },
		{ "--biflow", "both", "split or forward" },
		{ "-X", "novalue", "property=value" },
		{ "-X", "=v", "property" },
		{ "--log-level", "trace", "trace" },
		{ "--metrics", "9100", "metrics" },
		{ "--metrics", "host:9100", "metrics" },
		{ "--metrics", ":9100?count=2", "metrics" },
		{ "--file", "", "file" },
		{ "--pcap", "", "pcap" },
		{ "--help=x", NULL, "--help" },
	};
	struct options *o = *state;

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
}

static void test_usage_lists_every_option(void **state)
{
	static const char *const names[] = {
		"--listen",
		"--workers",
		"--rcvbuf",
		"--allow-exporter",
		"--pcap",
		"--output",
		"--format",
		"--file",
		"--kafka-brokers",
		"--kafka-topic",
		"--kafka-key",
		"--kafka-batch",
		"-X,",
		"--templates-file",
		"--max-templates",
		"--metrics",
		"--log-level",
		"--schema",
		"--batch",
		"--stats-interval",
		"--xdp-busy-poll USECS",
		"--xdp-busy-poll-budget N",
		"--xdp-coalesce-us USECS",
		"--coalesce-us USECS",
		"-h, --help",
		"-V, --version",
		"-l, --listen",
		"-o, --output",
		"netflow://:2055,sflow://:6343",
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	options_usage(f, "xdpflowd");
	fclose(f);
	unit_check_usage(buf, names, sizeof(names) / sizeof(names[0]));
	free(buf);
}

/* An option that would do nothing in the mode chosen is refused, with
 * the fix in the one line; the same option where it has an effect is
 * taken, and defaults never count as given. */
static void test_no_effect(void **state)
{
	static const struct {
		const char *args[6];
		const char *needle;
	} refused[] = {
		{ { "--kafka-brokers", "b:9092", "--kafka-topic", "t" },
		  "--kafka-brokers has no effect without -o kafka (add -o kafka)" },
		{ { "--kafka-topic", "t" }, "add -o kafka" },
		{ { "--kafka-key", "none" }, "--kafka-key" },
		{ { "--kafka-batch", "64", "-o", "file" }, "add -o kafka" },
		{ { "-X", "acks=1" }, "-X has no effect without -o kafka" },
		{ { "-o", "kafka", "--file", "f" },
		  "--file has no effect with -o kafka" },
		{ { "--schema", "goflow-v3" }, "add --format pb" },
		{ { "--format", "json", "--schema", "goflow2" }, "--schema" },
		{ { "--pcap", "x", "--workers", "2" },
		  "--workers has no effect with --pcap" },
		{ { "--pcap", "x", "--rcvbuf", "1M" }, "--rcvbuf" },
		{ { "--pcap", "x", "--batch", "8" }, "--batch" },
		{ { "--pcap", "x", "--xdp", "eth0" },
		  "--xdp has no effect with --pcap" },
		{ { "--xdp-mode", "skb" },
		  "--xdp-mode has no effect without --xdp (add --xdp IFACE)" },
		{ { "--xdp-zerocopy", "on" }, "--xdp-zerocopy" },
		{ { "--xdp-frames", "64" }, "--xdp-frames" },
		{ { "--xdp-obj", "x.o" }, "--xdp-obj" },
		{ { "--xdp-busy-poll", "50" },
		  "--xdp-busy-poll has no effect without --xdp (add --xdp IFACE)" },
		{ { "--xdp-busy-poll-budget", "64" },
		  "--xdp-busy-poll-budget" },
		{ { "--xdp", "eth0", "--xdp-busy-poll-budget", "64" },
		  "--xdp-busy-poll-budget has no effect without busy polling (add --xdp-busy-poll USECS)" },
		{ { "--xdp-coalesce-us", "50" },
		  "--xdp-coalesce-us has no effect without --xdp (add --xdp IFACE)" },
	};
	struct options *o = *state;
	char err[256];

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *const *a = refused[i].args;

		err[0] = '\0';
		if (parse(o, err, sizeof(err), a[0], a[1], a[2], a[3], a[4],
			  NULL) != -EINVAL)
			fail_msg("accepted %s %s", a[0], a[1]);
		if (!strstr(err, refused[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", a[0], a[1],
				 refused[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
	/* Where they do something. */
	assert_int_equal(parse(o, err, sizeof(err), "-o", "kafka",
			       "--kafka-brokers", "b:9092", "-X", "acks=1",
			       "--format", "pb", "--schema", "goflow-v3", NULL),
			 OPTIONS_RUN);
	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-mode", "skb", "--xdp-frames", "64",
			       "--workers", "2", "--batch", "8", NULL),
			 OPTIONS_RUN);
	assert_int_equal(parse(o, err, sizeof(err), "--pcap", "x", "--file",
			       "f", "--bpffs", "/sys/fs/bpf/t", NULL),
			 OPTIONS_RUN);
	/* Help and version are answered whatever else is there. */
	assert_int_equal(parse(o, err, sizeof(err), "--kafka-topic", "t",
			       "--help", NULL),
			 OPTIONS_HELP);
}

/* Wakeup coalescing of the AF_XDP sockets: 100 us by default, 0 turns it
 * off, at most 1000 us. */
static void test_xdp_coalesce(void **state)
{
	static const struct bad_case bad[] = {
		{ "--xdp-coalesce-us", "-1", "xdp-coalesce-us" },
		{ "--xdp-coalesce-us", "1001", "0..1000" },
		{ "--xdp-coalesce-us", "50us", "xdp-coalesce-us" },
		{ "--xdp-coalesce-us", "", "xdp-coalesce-us" },
	};
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_coalesce_us, 1000);
	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-coalesce-us", "0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_coalesce_us, 0);
	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-coalesce-us", "1000", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_coalesce_us, 1000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(o, err, sizeof(err), "--xdp", "eth0", bad[i].a,
			       bad[i].b, NULL);

		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a, bad[i].b);
		if (!strstr(err, bad[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", bad[i].a,
				 bad[i].b, bad[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
}

/* Wakeup coalescing of the UDP sockets: 5000 us by default, 0 turns it
 * off, at most 100000 us; nothing to coalesce with --pcap. */
static void test_socket_coalesce(void **state)
{
	static const struct bad_case bad[] = {
		{ "--coalesce-us", "-1", "coalesce-us" },
		{ "--coalesce-us", "100001", "0..100000" },
		{ "--coalesce-us", "50us", "coalesce-us" },
		{ "--coalesce-us", "", "coalesce-us" },
	};
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), NULL), OPTIONS_RUN);
	assert_int_equal(o->coalesce_us, 5000);
	assert_int_equal(parse(o, err, sizeof(err), "--coalesce-us", "0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->coalesce_us, 0);
	assert_int_equal(parse(o, err, sizeof(err), "--coalesce-us", "100000",
			       NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->coalesce_us, 100000);
	err[0] = '\0';
	assert_int_equal(parse(o, err, sizeof(err), "--pcap", "x",
			       "--coalesce-us", "10", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "--coalesce-us has no effect with --pcap"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(o, err, sizeof(err), bad[i].a, bad[i].b, NULL);

		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a, bad[i].b);
		if (!strstr(err, bad[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", bad[i].a,
				 bad[i].b, bad[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
}

/* Busy polling of the AF_XDP sockets: off by default, ranges, values. */
static void test_xdp_busy_poll(void **state)
{
	static const struct bad_case bad[] = {
		{ "--xdp-busy-poll", "-1", "xdp-busy-poll" },
		{ "--xdp-busy-poll", "1000001", "0..1000000" },
		{ "--xdp-busy-poll", "50us", "xdp-busy-poll" },
		{ "--xdp-busy-poll", "", "xdp-busy-poll" },
		{ "--xdp-busy-poll-budget", "65536", "0..65535" },
		{ "--xdp-busy-poll-budget", "x", "xdp-busy-poll-budget" },
	};
	struct options *o = *state;
	char err[256];

	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_busy_poll, 0);
	assert_int_equal(o->xdp_busy_poll_budget, 0);

	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-busy-poll", "50", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_busy_poll, 50);
	assert_int_equal(o->xdp_busy_poll_budget, 0);

	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-busy-poll", "1000000",
			       "--xdp-busy-poll-budget", "65535", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_busy_poll, 1000000);
	assert_int_equal(o->xdp_busy_poll_budget, 65535);

	/* A budget with busy polling given as off does nothing either. */
	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0",
			       "--xdp-busy-poll", "0", "--xdp-busy-poll-budget",
			       "64", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "add --xdp-busy-poll USECS"));

	/* The next parse starts from the defaults again. */
	assert_int_equal(parse(o, err, sizeof(err), "--xdp", "eth0", NULL),
			 OPTIONS_RUN);
	assert_int_equal(o->xdp_busy_poll, 0);
	assert_int_equal(o->xdp_busy_poll_budget, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(o, err, sizeof(err), "--xdp", "eth0", bad[i].a,
			       bad[i].b, NULL);

		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a, bad[i].b);
		if (!strstr(err, bad[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", bad[i].a,
				 bad[i].b, bad[i].needle, err);
		assert_null(strchr(err, '\n'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_option, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_help_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_forms, setup,
						teardown),
		cmocka_unit_test(test_usage_lists_every_option),
		cmocka_unit_test_setup_teardown(test_no_effect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xdp_busy_poll, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_coalesce, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xdp_coalesce, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
