/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflow-enrich's command line: one table of common/cli.h rows (the
 * enrichment config, the Kafka topics, group and transactions) and the
 * rows every program shares (--log-level, --help, --version), from which
 * the defaults, the parser and --help come. Parsing never exits: it
 * returns what to do, or -EINVAL with a one-line reason.
 */
#ifndef XDPFLOW_RELAY_RELAY_OPTS_H
#define XDPFLOW_RELAY_RELAY_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "relay/relay.h"

#define RELAY_OPTS_MAX_PROPS 64

struct relay_opts {
	struct relay_config cfg; /* props points at props below */
	const char *props[RELAY_OPTS_MAX_PROPS]; /* -X name=value */
	const char *config; /* --config; NULL: copy flows unchanged */
	unsigned tick_ms;   /* --poll-ms */
	uint64_t given;	    /* options given (cli_given) */
	char txn_id[300];   /* the default transactional.id */
	enum log_level log_level;
};

enum relay_opts_action {
	RELAY_OPTS_RUN = CLI_RUN,
	RELAY_OPTS_HELP = CLI_HELP,
	RELAY_OPTS_VERSION = CLI_VERSION,
};

/*
 * Parses argv into o (zeroed first), defaults first; the transactional.id
 * defaults to "xdpflow-enrich-" and the host name. Strings point into
 * argv, at literals or into o. Returns an enum relay_opts_action, or
 * -EINVAL with a one-line reason in err (unknown option, missing or bad
 * value, stray argument, an empty broker list, topic, group or
 * transactional.id, the same topic in and out, --poll-ms without
 * --config). Not reentrant
 * (getopt_long).
 */
int relay_opts_parse(struct relay_opts *o, int argc, char **argv, char *err,
		     size_t errlen);

/* Writes --help: usage, what the program does, every option. */
void relay_opts_usage(FILE *f);

#endif
