// SPDX-License-Identifier: Apache-2.0
/* Unit tests for the shared command-line module (common/cli): defaults
 * through the setters, the parse loop's every error path, help/version
 * precedence and CLI_NOW, several tables in one parse, the integer and
 * byte-size parsers' forms and range checks, words, strings, getopt arrays,
 * the standard rows and the --help row layouts. */
#include "unit.h"
#include "unit_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/cli.h"

struct tgt {
	unsigned u;
	unsigned long ul, bytes;
	uint64_t big;
	const char *s, *any;
	int word;
	unsigned flags; /* --flag count */
};

static int set_word(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	static const struct cli_choice c[] = { { "one", 1 }, { "two", 2 } };

	return cli_pick(d, arg, c, 2, "one or two",
			&((struct tgt *)target)->word, err, errlen);
}

static int set_flag(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	(void)d, (void)arg, (void)err, (void)errlen;
	((struct tgt *)target)->flags++;
	return 0;
}

static int help_now(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	(void)target, (void)d, (void)arg, (void)err, (void)errlen;
	return CLI_HELP | CLI_NOW;
}

#define OFF(f) offsetof(struct tgt, f)

static const struct cli_opt rows[] = {
	{ "uint", 'u', "N", "7", cli_set_uint, OFF(u), 1, 64, "an unsigned" },
	{ "ulong", 0, "N", "65536", cli_set_ulong, OFF(ul), 0, 1UL << 24,
	  "an unsigned long" },
	{ "bytes", 0, "BYTES", "32M", cli_set_bytes, OFF(bytes), 0, 1UL << 30,
	  "a size" },
	{ "big", 0, "N", NULL, cli_set_u64, OFF(big), 0, UINT64_MAX,
	  "a uint64" },
	{ "str", 's', "S", "-", cli_set_str, OFF(s), 0, 0, "a string" },
	{ "any", 0, "S", NULL, cli_set_any_str, OFF(any), 0, 0, "any string" },
	{ "word", 0, "W", "two", set_word, 0, 0, 0, "one or two" },
	{ "flag", 0, NULL, NULL, set_flag, 0, 0, 0, "a flag" },
	{ NULL, 'Y', "K=V", NULL, cli_set_str, OFF(any), 0, 0, "letter only" },
	{ "help", 'h', NULL, NULL, cli_set_help, 0, 0, 0, "help" },
	{ "version", 'V', NULL, NULL, cli_set_version, 0, 0, 0, "version" },
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* A second table: its rows' values follow the first table's. */
struct tgt2 {
	unsigned n;
};

static const struct cli_opt rows2[] = {
	{ "second", 0, "N", "3", cli_set_uint, offsetof(struct tgt2, n), 0, 9,
	  "in the second table" },
	{ "letter", 'L', "N", NULL, cli_set_uint, offsetof(struct tgt2, n), 0,
	  9, "a letter in the second table" },
};

#define MAX_ARGS 24

struct fx {
	struct tgt t;
	struct tgt2 t2;
	char err[256];
};

static int vparse(struct fx *f, const struct cli_table *tab, size_t nt,
		  va_list ap)
{
	char *argv[MAX_ARGS + 2];
	int argc;

	/* MAX_ARGS is enough */
	assert_null(unit_argv(argv, &argc, MAX_ARGS, "prog", ap));
	memset(&f->t, 0, sizeof(f->t));
	memset(&f->t2, 0, sizeof(f->t2));
	f->err[0] = '\0';
	assert_int_equal(cli_defaults(tab, nt, f->err, sizeof(f->err)), 0);
	return cli_parse(tab, nt, argc, argv, f->err, sizeof(f->err));
}

/* Parses a NULL-terminated argument list against rows then rows2. */
static int parse(struct fx *f, ...)
{
	const struct cli_table tab[] = { { rows, N_ROWS, &f->t },
					 { rows2, 2, &f->t2 } };
	va_list ap;
	int rc;

	va_start(ap, f);
	rc = vparse(f, tab, 2, ap);
	va_end(ap);
	return rc;
}

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct fx));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_defaults(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, NULL), CLI_RUN);
	assert_string_equal(f->err, "");
	assert_int_equal(f->t.u, 7);
	assert_int_equal(f->t.ul, 65536);
	assert_int_equal(f->t.bytes, 32UL << 20);
	assert_int_equal(f->t.big, 0);
	assert_string_equal(f->t.s, "-");
	assert_null(f->t.any);
	assert_int_equal(f->t.word, 2);
	assert_int_equal(f->t.flags, 0);
	assert_int_equal(f->t2.n, 3);
}

static void test_bad_default(void **state)
{
	static const struct cli_opt bad[] = {
		{ "a", 0, "N", "x", cli_set_uint, OFF(u), 0, 9, "" },
		{ "b", 0, "N", "5", cli_set_ulong, OFF(ul), 0, 9, "" },
		{ "c", 0, "N", "10", cli_set_uint, OFF(u), 0, 9, "" },
	};
	const struct cli_table tab = { bad, 3, &((struct fx *)*state)->t };
	struct fx *f = *state;

	memset(&f->t, 0, sizeof(f->t));
	assert_int_equal(cli_defaults(&tab, 1, f->err, sizeof(f->err)),
			 -EINVAL);
	/* The first failure is reported, the good rows still applied. */
	assert_non_null(strstr(f->err, "--a"));
	assert_int_equal(f->t.ul, 5);
}

static void test_every_form(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "-u", "64", "--ulong=0", "--bytes", "64KiB",
			       "--big", "18446744073709551615", "-sx", "--any",
			       "", "--word", "one", "--flag", "--flag", "-Y",
			       "k=v", "--second", "9", NULL),
			 CLI_RUN);
	assert_string_equal(f->err, "");
	assert_int_equal(f->t.u, 64);
	assert_int_equal(f->t.ul, 0);
	assert_int_equal(f->t.bytes, 64 << 10);
	assert_true(f->t.big == UINT64_MAX);
	assert_string_equal(f->t.s, "x");
	assert_string_equal(f->t.any, "k=v"); /* -Y came later */
	assert_int_equal(f->t.word, 1);
	assert_int_equal(f->t.flags, 2);
	assert_int_equal(f->t2.n, 9);
	/* Long names may be abbreviated, as getopt_long allows. */
	assert_int_equal(parse(f, "--ul", "3", "--sec=4", "-L", "5", NULL),
			 CLI_RUN);
	assert_int_equal(f->t.ul, 3);
	assert_int_equal(f->t2.n, 5);
	/* A second parse starts afresh (defaults, getopt's state). */
	assert_int_equal(parse(f, NULL), CLI_RUN);
	assert_int_equal(f->t.u, 7);
	assert_int_equal(f->t2.n, 3);
	assert_int_equal(f->t.flags, 0);
}

static void test_help_version(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "-h", NULL), CLI_HELP);
	assert_int_equal(parse(f, "--help", NULL), CLI_HELP);
	assert_int_equal(parse(f, "-V", NULL), CLI_VERSION);
	assert_int_equal(parse(f, "--version", NULL), CLI_VERSION);
	/* Help wins over version in either order. */
	assert_int_equal(parse(f, "-V", "-h", NULL), CLI_HELP);
	assert_int_equal(parse(f, "-h", "-V", NULL), CLI_HELP);
	/* The whole line is parsed: a bad option still fails. */
	assert_int_equal(parse(f, "--help", "--bogus", NULL), -EINVAL);
	assert_int_equal(parse(f, "--version", "stray", NULL), -EINVAL);
	/* Options after --help are still applied. */
	assert_int_equal(parse(f, "-h", "-u", "9", NULL), CLI_HELP);
	assert_int_equal(f->t.u, 9);
}

static void test_now(void **state)
{
	static const struct cli_opt now_rows[] = {
		{ "uint", 'u', "N", NULL, cli_set_uint, OFF(u), 1, 9, "" },
		{ "help", 'h', NULL, NULL, help_now, 0, 0, 0, "" },
	};
	struct fx *f = *state;
	const struct cli_table tab = { now_rows, 2, &f->t };
	char *ok[] = {
		"p", "-u", "2", "-h", "--bogus", "stray", "-u", "0", NULL
	};
	char *bad_first[] = { "p", "-u", "0", "-h", NULL };

	assert_int_equal(cli_parse(&tab, 1, 8, ok, f->err, sizeof(f->err)),
			 CLI_HELP);
	assert_int_equal(f->t.u, 2);
	assert_int_equal(cli_parse(&tab, 1, 4, bad_first, f->err,
				   sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "--uint"));
}

struct bad_case {
	const char *a, *b; /* b may be NULL */
	const char *msg;   /* the whole message */
};

static void test_bad_forms(void **state)
{
	static const struct bad_case bad[] = {
		/* The parse loop's own errors. */
		{ "--bogus", NULL, "unknown option '--bogus' (see --help)" },
		{ "--bogus=1", NULL,
		  "unknown option '--bogus=1' (see --help)" },
		{ "-q", NULL, "unknown option '-q'" },
		{ "-uq", NULL, "bad value 'q' for --uint: not a number" },
		{ "-hq", NULL, "unknown option '-q'" },
		{ "--help=x", NULL, "unknown option '--help=x' (see --help)" },
		{ "--flag=1", NULL, "unknown option '--flag=1' (see --help)" },
		{ "--uint", NULL, "option '--uint' needs a value" },
		{ "-u", NULL, "option '-u' needs a value" },
		{ "-Y", NULL, "option '-Y' needs a value" },
		{ "-L", NULL, "option '-L' needs a value" },
		{ "stray", NULL, "unexpected argument 'stray' (see --help)" },
		/* Integers. */
		{ "--uint", "0",
		  "bad value '0' for --uint: out of range 1..64" },
		{ "--uint", "65",
		  "bad value '65' for --uint: out of range 1..64" },
		{ "--uint", "", "bad value '' for --uint: not a number" },
		{ "--uint", "-1", "bad value '-1' for --uint: not a number" },
		{ "--uint", "+4", "bad value '+4' for --uint: not a number" },
		{ "--uint", " 4", "bad value ' 4' for --uint: not a number" },
		{ "--uint", "4 ", "bad value '4 ' for --uint: not a number" },
		{ "--uint", "4x", "bad value '4x' for --uint: not a number" },
		{ "--uint", "1.5", "bad value '1.5' for --uint: not a number" },
		{ "--uint", "0x10",
		  "bad value '0x10' for --uint: not a number" },
		{ "--uint", "4K", "bad value '4K' for --uint: not a number" },
		{ "--uint", "99999999999999999999",
		  "bad value '99999999999999999999' for --uint: out of range "
		  "1..64" },
		{ "--big", "18446744073709551616",
		  "bad value '18446744073709551616' for --big: out of range "
		  "0..18446744073709551615" },
		{ "--ulong", "16777217",
		  "bad value '16777217' for --ulong: out of range 0..16777216" },
		/* Byte sizes. */
		{ "--bytes", "2G",
		  "bad value '2G' for --bytes: out of range "
		  "0..1073741824" },
		{ "--bytes", "1025M",
		  "bad value '1025M' for --bytes: out of "
		  "range 0..1073741824" },
		{ "--bytes", "1T",
		  "bad value '1T' for --bytes: not a number "
		  "(suffixes K, M, G)" },
		{ "--bytes", "M", "bad value 'M' for --bytes: not a number" },
		{ "--bytes", "1KB",
		  "bad value '1KB' for --bytes: not a number" },
		{ "--bytes", "1Ki",
		  "bad value '1Ki' for --bytes: not a number" },
		{ "--bytes", "1KiBx",
		  "bad value '1KiBx' for --bytes: not a "
		  "number" },
		{ "--bytes", "18446744073709551615K",
		  "bad value '18446744073709551615K' for --bytes: out of range "
		  "0..1073741824" },
		/* Words, strings, a letter-only row, the second table. */
		{ "--word", "three",
		  "bad value 'three' for --word: expected "
		  "one or two" },
		{ "--word", "",
		  "bad value '' for --word: expected one or two" },
		{ "--str", "", "bad value '' for --str: empty" },
		{ "-s", "", "bad value '' for --str: empty" },
		{ "-Y", "", "bad value '' for -Y: empty" },
		{ "--second", "10",
		  "bad value '10' for --second: out of range "
		  "0..9" },
		{ "-L", "x", "bad value 'x' for --letter: not a number" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = bad[i].b ? parse(f, bad[i].a, bad[i].b, NULL)
				  : parse(f, bad[i].a, NULL);
		if (rc != -EINVAL)
			fail_msg("accepted %s %s", bad[i].a,
				 bad[i].b ? bad[i].b : "");
		if (strcmp(f->err, bad[i].msg))
			fail_msg("%s %s: want \"%s\", got \"%s\"", bad[i].a,
				 bad[i].b ? bad[i].b : "", bad[i].msg, f->err);
	}
}

static void test_boundaries(void **state)
{
	struct fx *f = *state;

	assert_int_equal(parse(f, "--uint", "1", "--bytes", "1G", NULL),
			 CLI_RUN);
	assert_int_equal(f->t.u, 1);
	assert_int_equal(f->t.bytes, 1UL << 30);
	assert_int_equal(parse(f, "--uint", "0064", "--bytes", "1048576K",
			       "--ulong", "16777216", NULL),
			 CLI_RUN);
	assert_int_equal(f->t.u, 64);
	assert_int_equal(f->t.bytes, 1UL << 30);
	assert_int_equal(f->t.ul, 1UL << 24);
	assert_int_equal(parse(f, "--bytes", "0", "--big", "0", NULL), CLI_RUN);
	assert_int_equal(f->t.bytes, 0);
	assert_int_equal(parse(f, "--bytes", "3m", "--bytes=2g", NULL),
			 -EINVAL);
	assert_int_equal(parse(f, "--bytes", "3m", NULL), CLI_RUN);
	assert_int_equal(f->t.bytes, 3UL << 20);
	assert_int_equal(parse(f, "--bytes", "5kiB", NULL), CLI_RUN);
	assert_int_equal(f->t.bytes, 5 << 10);
}

static void test_parsers_direct(void **state)
{
	const struct cli_opt d = { "n", 0, "N", NULL, NULL, 0, 10, 20, "" };
	const struct cli_opt x = { NULL, 'x', "N", NULL, NULL, 0, 0, 0, "" };
	static const struct cli_choice c[] = { { "a", 5 } };
	uint64_t v = 99;
	char small[16];
	int w = 0;

	(void)state;
	assert_int_equal(cli_parse_uint(&d, "10", &v, small, sizeof(small)), 0);
	assert_int_equal(v, 10);
	assert_int_equal(cli_parse_uint(&d, "21", &v, small, sizeof(small)),
			 -EINVAL);
	assert_int_equal(v, 10); /* untouched on failure */
	/* A short buffer truncates, never overflows. */
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(cli_parse_bytes(&d, "0K", &v, small, sizeof(small)),
			 -EINVAL);
	assert_int_equal(cli_pick(&x, "a", c, 1, "a", &w, small, sizeof(small)),
			 0);
	assert_int_equal(w, 5);
	assert_int_equal(cli_bad(&x, "v", "why", small, 0), -EINVAL);
}

static void test_getopt_arrays(void **state)
{
	struct fx *f = *state;
	const struct cli_table tab[] = { { rows, N_ROWS, &f->t },
					 { rows2, 2, &f->t2 } };
	struct option lo[CLI_MAX_OPTS + 1];
	char so[CLI_SHORTOPTS_LEN];

	memset(lo, 0xa5, sizeof(lo));
	assert_int_equal(cli_getopt(tab, 2, lo, so), 0);
	assert_string_equal(so, ":u:s:Y:hVL:");
	/* Every named row, in order, then the terminator. */
	assert_string_equal(lo[0].name, "uint");
	assert_int_equal(lo[0].val, 'u');
	assert_int_equal(lo[0].has_arg, required_argument);
	assert_string_equal(lo[1].name, "ulong");
	assert_int_equal(lo[1].val, 256 + 1);
	assert_string_equal(lo[7].name, "flag");
	assert_int_equal(lo[7].has_arg, no_argument);
	assert_string_equal(lo[8].name, "help"); /* -Y has no long name */
	assert_int_equal(lo[8].has_arg, no_argument);
	assert_string_equal(lo[10].name, "second");
	assert_int_equal(lo[10].val, 256 + (int)N_ROWS);
	assert_string_equal(lo[11].name, "letter");
	assert_null(lo[12].name);
	assert_int_equal(lo[12].val, 0);

	/* cli_apply: by value, into the right table; -ENOENT for others. */
	memset(&f->t, 0, sizeof(f->t));
	memset(&f->t2, 0, sizeof(f->t2));
	assert_int_equal(cli_apply(tab, 2, 'u', "5", f->err, sizeof(f->err)),
			 0);
	assert_int_equal(f->t.u, 5);
	assert_int_equal(cli_apply(tab, 2, 256 + (int)N_ROWS, "4", f->err,
				   sizeof(f->err)),
			 0);
	assert_int_equal(f->t2.n, 4);
	assert_int_equal(cli_apply(tab, 2, 'h', NULL, f->err, sizeof(f->err)),
			 CLI_HELP);
	assert_int_equal(cli_apply(tab, 2, 'Y', NULL, f->err, sizeof(f->err)),
			 -EINVAL); /* NULL is "", and -Y refuses it */
	assert_int_equal(cli_apply(tab, 2, 'z', "1", f->err, sizeof(f->err)),
			 -ENOENT);
	assert_int_equal(cli_apply(tab, 2, 256 + 99, "1", f->err,
				   sizeof(f->err)),
			 -ENOENT);
}

static void test_too_many_options(void **state)
{
	static struct cli_opt many[CLI_MAX_OPTS + 1];
	struct fx *f = *state;
	const struct cli_table tab[] = { { many, CLI_MAX_OPTS, &f->t },
					 { many, 1, &f->t } };
	struct option lo[CLI_MAX_OPTS + 1];
	char so[CLI_SHORTOPTS_LEN];
	char *argv[] = { "p", NULL };

	for (size_t i = 0; i < CLI_MAX_OPTS + 1; i++)
		many[i] = (struct cli_opt){ "x", 0, NULL, NULL, set_flag,
					    0,	 0, 0,	  "" };
	/* Exactly CLI_MAX_OPTS rows fit. */
	assert_int_equal(cli_getopt(tab, 1, lo, so), 0);
	assert_int_equal(cli_parse(tab, 1, 1, argv, f->err, sizeof(f->err)),
			 CLI_RUN);
	assert_int_equal(cli_getopt(tab, 2, lo, so), -EINVAL);
	assert_int_equal(cli_parse(tab, 2, 1, argv, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_string_equal(f->err, "more than 64 options");
}

static void test_std_table(void **state)
{
	static const char *const words[] = { "err",	"error", "warn",
					     "warning", "info",	 "debug" };
	static const enum log_level lv[] = { LOG_LVL_ERR,  LOG_LVL_ERR,
					     LOG_LVL_WARN, LOG_LVL_WARN,
					     LOG_LVL_INFO, LOG_LVL_DEBUG };
	struct fx *f = *state;
	enum log_level lvl = LOG_LVL_DEBUG;
	const struct cli_table t = cli_std_table(&lvl);
	char *argv[] = { "p", "--log-level", NULL, NULL };

	assert_int_equal(t.n, 3);
	assert_int_equal(cli_defaults(&t, 1, f->err, sizeof(f->err)), 0);
	assert_int_equal(lvl, LOG_LVL_INFO);
	for (size_t i = 0; i < 6; i++) {
		argv[2] = (char *)words[i];
		assert_int_equal(cli_parse(&t, 1, 3, argv, f->err,
					   sizeof(f->err)),
				 CLI_RUN);
		assert_int_equal(lvl, lv[i]);
	}
	argv[2] = "trace";
	assert_int_equal(cli_parse(&t, 1, 3, argv, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_string_equal(f->err,
			    "bad value 'trace' for --log-level: "
			    "expected err, warn, info or debug");
	argv[1] = "-V";
	assert_int_equal(cli_parse(&t, 1, 2, argv, f->err, sizeof(f->err)),
			 CLI_VERSION);
	argv[1] = "--help";
	assert_int_equal(cli_parse(&t, 1, 2, argv, f->err, sizeof(f->err)),
			 CLI_HELP);
}

static char *usage_of(const struct cli_opt *o, size_t n,
		      const struct cli_layout *lay)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cli_usage(f, o, n, lay);
	fclose(f);
	return buf;
}

static void test_usage_rows(void **state)
{
	static const struct cli_opt u[] = {
		{ "listen", 'l', "URI", "netflow://:2055", NULL, 0, 0, 0,
		  "where to receive" },
		{ "workers", 0, "N", NULL, NULL, 0, 0, 0, "threads" },
		{ NULL, 'X', "NAME=VALUE", NULL, NULL, 0, 0, 0, "property" },
		{ "help", 'h', NULL, NULL, NULL, 0, 0, 0, "this help" },
		{ "a-very-long-option-name", 0, "ARGUMENT", NULL, NULL, 0, 0, 0,
		  "alone on its line" },
		{ "wrapped", 0, "N", "4", NULL, 0, 0, 0,
		  "words words words words words words words words words words "
		  "words" },
	};
	static const struct cli_layout insert_like = { 25, false, "default" };
	char *std = usage_of(u, 6, NULL), *alt = usage_of(u, 6, &insert_like);

	(void)state;
	assert_string_equal(
		std,
		"  -l, --listen URI              where to receive (default: "
		"netflow://:2055)\n"
		"      --workers N               threads\n"
		"  -X NAME=VALUE                 property\n"
		"  -h, --help                    this help\n"
		"      --a-very-long-option-name ARGUMENT\n"
		"                                alone on its line\n"
		"      --wrapped N               words words words words words "
		"words words words\n"
		"                                words words words (default: "
		"4)\n");
	assert_string_equal(
		alt,
		"  -l, --listen URI       where to receive (default "
		"netflow://:2055)\n"
		"  --workers N            threads\n"
		"  -X NAME=VALUE          property\n"
		"  -h, --help             this help\n"
		"  --a-very-long-option-name ARGUMENT\n"
		"                         alone on its line\n"
		"  --wrapped N            words words words words words words "
		"words words words\n"
		"                         words words (default 4)\n");
	for (char *line = std, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_true(nl - line <= 79);
	}
	free(std);
	free(alt);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),      T(test_bad_default),
		T(test_every_form),    T(test_help_version),
		T(test_now),	       T(test_bad_forms),
		T(test_boundaries),    T(test_parsers_direct),
		T(test_getopt_arrays), T(test_too_many_options),
		T(test_std_table),     T(test_usage_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
