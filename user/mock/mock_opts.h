/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflow-mock's command line: its own options (--rate, --count, --seed,
 * the generator's knobs, stats, logging) from one table, plus the output
 * options shared with xdpflowd (publish/publish_opts.h), so -o, --format,
 * --schema, --file, --kafka-* and -X mean exactly what they mean there;
 * both tables are common/cli.h rows. Parsing never exits: it returns what
 * to do, or -EINVAL with a one-line reason.
 */
#ifndef XDPFLOW_MOCK_OPTS_H
#define XDPFLOW_MOCK_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "mock/mock_gen.h"
#include "publish/publish_opts.h"

struct mock_opts {
	uint64_t rate;	 /* flows per second, 0: as fast as possible */
	uint64_t count;	 /* flows to send, 0: until stopped */
	bool seed_given; /* --seed; else the seed comes from the clock */
	struct mock_gen_config gen;
	unsigned stats_interval; /* seconds, 0: only on SIGUSR1 and at exit */
	enum log_level log_level;
	struct publish_opts out;
};

enum mock_opts_action {
	MOCK_OPTS_RUN = CLI_RUN,
	MOCK_OPTS_HELP = CLI_HELP,
	MOCK_OPTS_VERSION = CLI_VERSION,
};

/* Fills o with every option's default. Returns 0, or -EINVAL when a
 * default does not parse (a table bug). */
int mock_opts_defaults(struct mock_opts *o);

/*
 * Parses argv into o (defaults first). Strings in o point into argv or at
 * literals. Returns an enum mock_opts_action, or -EINVAL with a one-line
 * reason in err (publish_opts_check's included: an output option with no
 * effect is refused). Not reentrant (getopt_long).
 */
int mock_opts_parse(struct mock_opts *o, int argc, char **argv, char *err,
		    size_t errlen);

/* Writes --help: usage, every option with its argument, help, default. */
void mock_opts_usage(FILE *f, const char *prog);

#endif
