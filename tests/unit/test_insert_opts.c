// SPDX-License-Identifier: Apache-2.0
/* Unit tests for xdpflow-insert's option parsing: defaults, each option,
 * --postgres copied and wiped from argv, --help and --version as every
 * program's (common/cli.h's shared rows: log-level words, -X check), every
 * bad form rejected with one line, and --help exactly as it reads. */
#include "unit.h"
#include "unit_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "insert/insert_opts.h"

#define MAX_ARGS 24

struct fx {
	struct insert_opts o;
	char err[256];
	char pg[64]; /* a writable --postgres value */
};

static int parse(struct fx *f, ...)
{
	char *argv[MAX_ARGS + 2];
	const char *a;
	int argc;
	va_list ap;

	va_start(ap, f);
	a = unit_argv(argv, &argc, MAX_ARGS, "xdpflow-insert", ap);
	va_end(ap);
	assert_null(a);
	f->err[0] = '\0';
	return insert_opts_parse(&f->o, argc, argv, f->err, sizeof(f->err));
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fx));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	insert_opts_release(&f->o);
	free(f);
	return 0;
}

static void test_defaults(void **state)
{
	struct fx *f = *state;
	const struct inserter_config *c = &f->o.cfg;

	assert_int_equal(parse(f, NULL), INSERT_OPTS_RUN);
	assert_string_equal(c->brokers, "127.0.0.1:9092");
	assert_string_equal(c->topic, "flows");
	assert_string_equal(c->group, "xdpflow-insert");
	assert_string_equal(c->conninfo, "");
	assert_int_equal(c->n_props, 0);
	assert_ptr_equal(c->props, f->o.props);
	assert_int_equal(c->batch_rows, 50000);
	assert_int_equal(c->batch_ms, 1000);
	assert_int_equal(c->retention_days, 0);
	assert_int_equal(c->writers, 4);
	assert_int_equal(f->o.log_level, LOG_LVL_INFO);
}

static void test_every_option(void **state)
{
	struct fx *f = *state;
	const struct inserter_config *c = &f->o.cfg;

	strcpy(f->pg, "postgresql://u:secret@h/db");
	assert_int_equal(parse(f, "--kafka-brokers", "k:1", "--kafka-topic=t",
			       "--kafka-group", "g", "-X", "a=b", "-X",
			       "c=", "--postgres", f->pg, "--batch-rows",
			       "10000000", "--batch-ms", "1",
			       "--retention-days", "100000", "--pg-writers",
			       "16", "--log-level", "warn", NULL),
			 INSERT_OPTS_RUN);
	assert_string_equal(f->err, "");
	assert_string_equal(c->brokers, "k:1");
	assert_string_equal(c->topic, "t");
	assert_string_equal(c->group, "g");
	assert_int_equal(c->n_props, 2);
	assert_string_equal(c->props[0], "a=b");
	assert_string_equal(c->props[1], "c="); /* librdkafka judges it */
	assert_string_equal(c->conninfo, "postgresql://u:secret@h/db");
	/* argv's copy is wiped, so `ps` never shows the password. */
	assert_null(strstr(f->pg, "secret"));
	assert_int_equal(strspn(f->pg, "x"),
			 strlen("postgresql://u:secret@h/db"));
	assert_int_equal(c->batch_rows, 10000000);
	assert_int_equal(c->batch_ms, 1);
	assert_int_equal(c->retention_days, 100000);
	assert_int_equal(c->writers, 16);
	assert_int_equal(f->o.log_level, LOG_LVL_WARN);
	/* xdpflowd's words, err included. */
	for (size_t i = 0; i < 6; i++) {
		static const char *const w[] = { "err",	    "error", "warn",
						 "warning", "info",  "debug" };
		static const enum log_level lv[] = {
			LOG_LVL_ERR,  LOG_LVL_ERR,  LOG_LVL_WARN,
			LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG,
		};

		assert_int_equal(parse(f, "--log-level", w[i], NULL),
				 INSERT_OPTS_RUN);
		assert_int_equal(f->o.log_level, lv[i]);
	}
	/* A second parse starts afresh; the --postgres copy is released. */
	assert_int_equal(parse(f, NULL), INSERT_OPTS_RUN);
	assert_string_equal(c->conninfo, "");
	assert_null(f->o.conninfo);
	assert_int_equal(c->n_props, 0);
}

/* As xdpflowd's: the whole line is parsed first, help wins over
 * version. */
static void test_help_version(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "-h", NULL), INSERT_OPTS_HELP);
	assert_int_equal(parse(f, "--help", NULL), INSERT_OPTS_HELP);
	assert_int_equal(parse(f, "-V", NULL), INSERT_OPTS_VERSION);
	assert_int_equal(parse(f, "--version", NULL), INSERT_OPTS_VERSION);
	assert_int_equal(parse(f, "--version", "-h", NULL), INSERT_OPTS_HELP);
	assert_int_equal(parse(f, "-h", "--version", NULL), INSERT_OPTS_HELP);
	/* The empty-value check is for a run only. */
	assert_int_equal(parse(f, "--kafka-topic", "", "-h", NULL),
			 INSERT_OPTS_HELP);
	/* A bad option fails even next to --help, before or after it. */
	assert_int_equal(parse(f, "--batch-rows", "0", "-h", NULL), -EINVAL);
	assert_int_equal(parse(f, "-h", "--bogus", NULL), -EINVAL);
	assert_int_equal(parse(f, "-h", "stray", NULL), -EINVAL);
	assert_int_equal(parse(f, "--version", "-X", "nonsense", NULL),
			 -EINVAL);
}

static void test_bad_forms(void **state)
{
	static const struct {
		const char *a, *b, *needle;
	} bad[] = {
		{ "--bogus", NULL, "--bogus" },
		{ "-q", NULL, "-q" },
		{ "--version=x", NULL, "--version" },
		{ "extra", NULL, "extra" },
		{ "--help=x", NULL, "--help" },
		{ "--postgres", NULL, "--postgres" },
		{ "-X", NULL, "-X" },
		{ "--batch-rows", "0", "1..10000000" },
		{ "--batch-rows", "10000001", "batch-rows" },
		{ "--batch-rows", "x", "batch-rows" },
		{ "--batch-rows", "-1", "batch-rows" },
		{ "--batch-ms", "x", "batch-ms" },
		{ "--batch-ms", "3600001", "1..3600000" },
		{ "--retention-days", "100001", "retention-days" },
		{ "--retention-days", "", "retention-days" },
		{ "--pg-writers", "17", "1..16" },
		{ "--pg-writers", "0", "pg-writers" },
		{ "--log-level", "loud", "loud" },
		{ "--log-level", "trace", "err, warn, info or debug" },
		{ "-X", "nonsense", "property=value" },
		{ "-X", "=v", "property=value" },
		{ "--kafka-topic", "", "must not be empty" },
		{ "--kafka-group", "", "must not be empty" },
		{ "--kafka-brokers", "", "must not be empty" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = bad[i].b ? parse(f, bad[i].a, bad[i].b, NULL)
				  : parse(f, bad[i].a, NULL);

		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a,
				 bad[i].b ? bad[i].b : "");
		if (!strstr(f->err, bad[i].needle))
			fail_msg("message for %s %s lacks '%s': %s", bad[i].a,
				 bad[i].b ? bad[i].b : "", bad[i].needle,
				 f->err);
		assert_null(strchr(f->err, '\n'));
	}
}

static void test_too_many_props(void **state)
{
	struct fx *f = *state;
	char *argv[2 + 2 * (INSERT_OPTS_MAX_PROPS + 1)];
	int argc = 0;

	argv[argc++] = (char *)"xdpflow-insert";
	for (int i = 0; i <= INSERT_OPTS_MAX_PROPS; i++) {
		argv[argc++] = (char *)"-X";
		argv[argc++] = (char *)"a=b";
	}
	argv[argc] = NULL;
	assert_int_equal(insert_opts_parse(&f->o, argc, argv, f->err,
					   sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "too many"));
	assert_int_equal(insert_opts_parse(&f->o, argc - 2, argv, f->err,
					   sizeof(f->err)),
			 INSERT_OPTS_RUN);
	assert_int_equal(f->o.cfg.n_props, INSERT_OPTS_MAX_PROPS);
}

static void test_usage(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	insert_opts_usage(f);
	fclose(f);
	assert_string_equal(
		buf,
		"usage: xdpflow-insert [options]\n"
		"Reads FlowMessages (proto/flow.proto, bare or "
		"varint-length-delimited)\n"
		"from Kafka and inserts them into PostgreSQL exactly once.\n"
		"\n"
		"  --kafka-brokers LIST   bootstrap brokers (default "
		"127.0.0.1:9092)\n"
		"  --kafka-topic NAME     topic (default flows)\n"
		"  --kafka-group NAME     consumer group (default "
		"xdpflow-insert)\n"
		"  -X NAME=VALUE          librdkafka consumer property "
		"(repeatable)\n"
		"  --postgres CONNINFO    libpq conninfo or postgresql:// URI; "
		"PG* variables\n"
		"                         fill what it leaves out (default: PG* "
		"only)\n"
		"  --batch-rows N         commit every N rows (default 50000)\n"
		"  --batch-ms MS          commit a batch at most MS old (default "
		"1000)\n"
		"  --retention-days N     drop daily partitions older than N "
		"days (0: keep)\n"
		"  --pg-writers N         PostgreSQL connections writing in "
		"parallel, Kafka\n"
		"                         partitions spread over them (default "
		"4)\n"
		"  --log-level LEVEL      err, warn, info or debug (default "
		"info)\n"
		"  -h, --help             print this help and exit\n"
		"  -V, --version          print the version and exit\n");
	free(buf);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),  T(test_every_option),   T(test_help_version),
		T(test_bad_forms), T(test_too_many_props), T(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
