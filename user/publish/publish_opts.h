/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The publish stage's command-line options, shared by every xdpflow
 * program that publishes flows (xdpflowd and xdpflow-mock): -o/--output, --format, --schema, --file,
 * --kafka-brokers, --kafka-topic, --kafka-key, --kafka-batch and -X. One
 * table of common/cli.h rows holds each option's name, argument, default,
 * help and setter; a program binds it after its own rows and the standard
 * ones (publish_opts_bind), parses them with cli_parse, prints them with
 * publish_opts_usage and turns the result into a struct publish_config
 * (publish_opts_config).
 */
#ifndef XDPFLOW_PUBLISH_PUBLISH_OPTS_H
#define XDPFLOW_PUBLISH_PUBLISH_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cli.h"
#include "common/log.h"
#include "encode/encode.h"
#include "publish/publish.h"

#define PUBLISH_OPTS_MAX_PROPS 64
/* Rows in the table (the number of options). */
#define PUBLISH_OPTS_N 9

struct publish_opts {
	enum out_kind output;
	enum out_format format;
	enum out_schema schema;
	const char *file;
	const char *kafka_brokers;
	const char *kafka_topic;
	enum kafka_key kafka_key;
	unsigned kafka_batch;
	const char *props[PUBLISH_OPTS_MAX_PROPS]; /* -X name=value */
	size_t n_props;
	uint64_t given; /* the rows given on the command line (cli_given) */
};

/* Fills oo with every output option's default (parsed from the table).
 * Returns 0, or -EINVAL when a default does not parse (a table bug). */
int publish_opts_defaults(struct publish_opts *oo);

/* The output rows bound to oo, for cli_parse next to a program's own
 * table. Strings the setters keep point into argv or at literals. */
struct cli_table publish_opts_table(struct publish_opts *oo);

/*
 * Refuses an output option that has no effect with the output and format
 * chosen: --kafka-* or -X without -o kafka, --file with -o kafka, --schema
 * with --format json. Call after a parse that returned CLI_RUN. Returns 0,
 * or -EINVAL with a one-line reason and the fix in err.
 */
int publish_opts_check(const struct publish_opts *oo, char *err, size_t errlen);

/* Copies oo into cfg (every field of cfg is set; cfg borrows oo's strings
 * and props, so oo must outlive the publisher's opening). */
void publish_opts_config(const struct publish_opts *oo,
			 struct publish_config *cfg);

/*
 * Binds the tables of a program that publishes flows into t: its own n
 * rows to target, then cli_std_table(lvl) (--log-level, --help, --version),
 * then the output rows to oo; and applies every row's default. The caller
 * has zeroed and initialised the rest of its struct. t is cli_parse's.
 * Returns 0, or -EINVAL with the failing default in err (a table bug);
 * every other default is applied all the same.
 */
int publish_opts_bind(struct cli_table t[3], const struct cli_opt *own,
		      size_t n, void *target, enum log_level *lvl,
		      struct publish_opts *oo, char *err, size_t errlen);

/* Writes the option rows of such a program's --help: its own n rows and
 * the standard ones, then a blank line, title and the output rows. */
void publish_opts_usage(FILE *f, const struct cli_opt *own, size_t n,
			const char *title);

#endif
