/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table-driven command lines for every xdpflow program. A program declares
 * its options once, as rows of struct cli_opt (name, letter, argument name,
 * default, help, setter), groups rows with the struct they fill into
 * struct cli_table, and derives everything else from them: the defaults
 * (each default goes through the row's own setter), getopt_long's arrays,
 * the dispatch loop with its one-line errors (unknown option, missing value,
 * bad value, stray argument) and the --help rows. Parsing never exits or
 * prints: it returns what to do (run, help, version) or -EINVAL with a
 * reason, and main turns that into an exit status (2 for a bad command
 * line). Shared setters and parsers cover integers with a range, byte sizes
 * with K/M/G suffixes, words from a list and non-empty strings.
 */
#ifndef XDPFLOW_COMMON_CLI_H
#define XDPFLOW_COMMON_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

/* Rows over all the tables of one parse. */
#define CLI_MAX_OPTS 64
/* Room cli_getopt needs for the short-option string. */
#define CLI_SHORTOPTS_LEN (2 + 2 * CLI_MAX_OPTS)

struct cli_opt;

/*
 * Applies arg (never NULL: "" for a flag) to the option's field in target.
 * Returns 0 when applied, -EINVAL with a one-line reason in err (cli_bad),
 * or an enum cli_action (help, version), optionally or'ed with CLI_NOW.
 */
typedef int (*cli_set_fn)(void *target, const struct cli_opt *d,
			  const char *arg, char *err, size_t errlen);

struct cli_opt {
	const char *name; /* long name without "--"; NULL: the letter only */
	char short_name;  /* 0: long only */
	const char *arg;  /* the value's name in --help; NULL: a flag */
	const char *def;  /* default, applied through set; NULL: none */
	cli_set_fn set;
	size_t off;	   /* the field, for the generic setters below */
	uint64_t min, max; /* the range, for the integer setters */
	const char *help;
};

/* Rows and the struct their setters fill. */
struct cli_table {
	const struct cli_opt *opts;
	size_t n;
	void *target;
	/* NULL, or where cli_apply sets bit j when row j is given on the
	 * command line (defaults never set it; the owner zeroes it), so a
	 * program can refuse an option that has no effect in the mode
	 * chosen (cli_given). At most 64 rows then. */
	uint64_t *given;
};

enum cli_action {
	CLI_RUN = 0,
	CLI_HELP = 1,	 /* print the usage, exit 0 */
	CLI_VERSION = 2, /* print the version, exit 0 */
};

/* Or'ed into a setter's action: stop parsing there (the rest of the command
 * line is not looked at). Without it the whole line is parsed first, so a
 * bad option fails even next to --help, and help wins over version. */
#define CLI_NOW 0x100

/*
 * Applies every row's default (rows with def) through its setter, table by
 * table, in order. Returns 0, or -EINVAL with the first failure in err (a
 * table bug: every default must parse).
 */
int cli_defaults(const struct cli_table *t, size_t nt, char *err,
		 size_t errlen);

/*
 * Parses argv (argv[0] skipped) with getopt_long against the tables, after
 * the caller has applied the defaults. A row's getopt value is its letter,
 * else 256 + its index over all tables. Returns CLI_RUN, CLI_HELP or
 * CLI_VERSION, or -EINVAL with a one-line reason in err: unknown option,
 * missing value, a setter's refusal, a stray argument, or more than
 * CLI_MAX_OPTS rows. Strings the setters keep point into argv. Not
 * reentrant (getopt_long's globals); parsing again starts afresh.
 */
int cli_parse(const struct cli_table *t, size_t nt, int argc, char **argv,
	      char *err, size_t errlen);

/*
 * Fills getopt_long's arrays for the tables: longopts one entry per named
 * row then the all-zero terminator, shortopts ":" (report a missing value
 * as ':') then each letter, followed by ':' when it takes a value. Returns
 * 0, or -EINVAL (nothing usable written) over CLI_MAX_OPTS rows.
 */
int cli_getopt(const struct cli_table *t, size_t nt,
	       struct option longopts[CLI_MAX_OPTS + 1],
	       char shortopts[CLI_SHORTOPTS_LEN]);

/*
 * Applies the option getopt_long returned as val (see cli_parse) with arg
 * (NULL: "") to its table's target. Returns -ENOENT when val is no row's
 * (nothing done, err untouched), else the row setter's result.
 */
int cli_apply(const struct cli_table *t, size_t nt, int val, const char *arg,
	      char *err, size_t errlen);

/* Whether the row named name (a long name) was given on the command line:
 * false when t keeps no given bits or has no such row. */
bool cli_given(const struct cli_table *t, const char *name);

/* How --help rows look. NULL means xdpflowd's: text at column 32, long-only
 * names indented as if they had a letter, "(default: X)". */
struct cli_layout {
	int col;	      /* column of the help text */
	bool letter_room;     /* long-only rows keep the "-c, " room */
	const char *def_word; /* "(<def_word> X)" after the help text */
};

/*
 * Writes one row: "  -c, --name ARG" (or "      --name ARG", "  -c ARG")
 * padded to the layout's column (or alone on its line when too long), then
 * the help, with the default when the row has one, wrapped at 79 columns.
 */
void cli_usage_row(FILE *f, const struct cli_opt *d,
		   const struct cli_layout *lay);

/* Writes cli_usage_row for each of the n rows. */
void cli_usage(FILE *f, const struct cli_opt *opts, size_t n,
	       const struct cli_layout *lay);

/* Fills err with "bad value 'ARG' for --NAME: WHY" (-C when the row has no
 * name) and returns -EINVAL. */
int cli_bad(const struct cli_opt *d, const char *arg, const char *why,
	    char *err, size_t errlen);

/*
 * Parses arg as a decimal integer (digits only: no sign, space or base)
 * within d->min..d->max into *out. Returns 0, or -EINVAL via cli_bad: "not
 * a number", "out of range MIN..MAX" (overflow included).
 */
int cli_parse_uint(const struct cli_opt *d, const char *arg, uint64_t *out,
		   char *err, size_t errlen);

/* As cli_parse_uint, with an optional binary suffix K, M or G (either
 * case, "KiB" style accepted) multiplying the number before the range
 * check. */
int cli_parse_bytes(const struct cli_opt *d, const char *arg, uint64_t *out,
		    char *err, size_t errlen);

/* A word and the value it stands for. */
struct cli_choice {
	const char *word;
	int value;
};

/* Finds arg among the n choices and stores its value in *out. Returns 0,
 * or -EINVAL via cli_bad with "expected WORDS". */
int cli_pick(const struct cli_opt *d, const char *arg,
	     const struct cli_choice *c, size_t n, const char *words, int *out,
	     char *err, size_t errlen);

/*
 * Appends arg, a librdkafka property NAME=VALUE (-X), to props (*n of max
 * used): the one -X check of every program. Returns 0, or -EINVAL via
 * cli_bad: "expected property=value" (no '=', or nothing before it), "too
 * many properties (at most MAX)".
 */
int cli_add_prop(const struct cli_opt *d, const char *arg, const char **props,
		 size_t *n, size_t max, char *err, size_t errlen);

/*
 * The rows every xdpflow program ends its own options with, bound to
 * *lvl: --log-level LEVEL (err, warn, info or debug; error and warning
 * too; default info), -h/--help and -V/--version.
 */
struct cli_table cli_std_table(enum log_level *lvl);

/* Generic setters, for rows whose field is at d->off in the target. */
/* unsigned, decimal within min..max */
int cli_set_uint(void *target, const struct cli_opt *d, const char *arg,
		 char *err, size_t errlen);
/* unsigned long, decimal within min..max */
int cli_set_ulong(void *target, const struct cli_opt *d, const char *arg,
		  char *err, size_t errlen);
/* uint64_t, decimal within min..max */
int cli_set_u64(void *target, const struct cli_opt *d, const char *arg,
		char *err, size_t errlen);
/* unsigned long byte count with K/M/G suffixes, within min..max */
int cli_set_bytes(void *target, const struct cli_opt *d, const char *arg,
		  char *err, size_t errlen);
/* const char *, pointing at arg; refuses "" ("empty") */
int cli_set_str(void *target, const struct cli_opt *d, const char *arg,
		char *err, size_t errlen);
/* const char *, pointing at arg, "" included */
int cli_set_any_str(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen);
/* No field: return CLI_HELP and CLI_VERSION. */
int cli_set_help(void *target, const struct cli_opt *d, const char *arg,
		 char *err, size_t errlen);
int cli_set_version(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen);

#endif
