/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflow-insert's command line: one table of common/cli.h rows (Kafka
 * source, PostgreSQL target, batching, retention) and the rows every
 * program shares (--log-level, --help, --version, with the same words and
 * the same -X check as xdpflowd), from which the defaults, the parser and
 * --help are derived, in the insert's own --help layout. --postgres is copied and wiped from argv, so `ps` never shows a
 * password. Parsing never exits: it returns what to do, or -EINVAL with a
 * one-line reason that never quotes --postgres.
 */
#ifndef XDPFLOW_INSERT_INSERT_OPTS_H
#define XDPFLOW_INSERT_INSERT_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "insert/inserter.h"

#define INSERT_OPTS_MAX_PROPS 64

struct insert_opts {
	/* What inserter_run takes: props points at props below, conninfo at
	 * the copy below or "" (PG* variables only). */
	struct inserter_config cfg;
	const char *props[INSERT_OPTS_MAX_PROPS]; /* -X name=value */
	char *conninfo; /* --postgres, owned; NULL: not given */
	enum log_level log_level;
};

enum insert_opts_action {
	INSERT_OPTS_RUN = CLI_RUN,
	INSERT_OPTS_HELP = CLI_HELP,	   /* print insert_opts_usage, exit 0 */
	INSERT_OPTS_VERSION = CLI_VERSION, /* print the version, exit 0 */
};

/*
 * Parses argv into o, defaults first. o must be zeroed or hold an earlier
 * parse (whose --postgres copy is released). Strings in o point into argv
 * or at literals, except conninfo. As for every program, the whole line
 * is parsed first (a bad option fails even next to --help) and help wins
 * over version. Returns an enum insert_opts_action, or -EINVAL with a
 * one-line reason in err (unknown option, missing or bad value, stray
 * argument, empty --kafka-brokers/--kafka-topic/--kafka-group, no memory).
 * Not reentrant (getopt_long). Call insert_opts_release after, whatever
 * the result.
 */
int insert_opts_parse(struct insert_opts *o, int argc, char **argv, char *err,
		      size_t errlen);

/* Wipes and frees the --postgres copy; o->cfg.conninfo becomes "". */
void insert_opts_release(struct insert_opts *o);

/* Writes --help: usage, what the program does, every option. */
void insert_opts_usage(FILE *f);

#endif
