/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The output options every xdpflow program that publishes flows shares
 * (xdpflowd and xdpflow-mock): -o/--output, --format, --schema, --file,
 * --kafka-brokers, --kafka-topic, --kafka-key, --kafka-batch and -X. One
 * table holds each option's name, argument, default and help; a program's
 * own option parser merges the table into its getopt_long arrays
 * (output_opts_getopt), hands matching options to output_opts_set, prints
 * the rows with output_opts_usage and turns the result into a
 * struct publish_config (output_opts_publish_config).
 */
#ifndef XDPFLOW_DAEMON_OUTPUT_OPTS_H
#define XDPFLOW_DAEMON_OUTPUT_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "encode/encode.h"
#include "publish/publish.h"

#define OUTPUT_OPTS_MAX_PROPS 64
/* Rows in the table (the number of options). */
#define OUTPUT_OPTS_N 9
/* getopt_long values of the rows: OUTPUT_OPTS_VAL + row, or the short
 * letter for -o and -X. */
#define OUTPUT_OPTS_VAL 0x1000

struct output_opts {
	enum out_kind output;
	enum out_format format;
	enum out_schema schema;
	const char *file;
	const char *kafka_brokers;
	const char *kafka_topic;
	enum kafka_key kafka_key;
	unsigned kafka_batch;
	const char *props[OUTPUT_OPTS_MAX_PROPS]; /* -X name=value */
	size_t n_props;
};

/* Fills oo with every output option's default (parsed from the table). */
void output_opts_defaults(struct output_opts *oo);

/*
 * Appends the table's rows to a getopt_long array at longopts (room for
 * OUTPUT_OPTS_N entries; the caller terminates the array) and their letters
 * to the short-option string at shortopts (room for 4 more characters plus
 * the terminator, which is written). Row i gets .val OUTPUT_OPTS_VAL + i
 * unless it has a letter.
 */
void output_opts_getopt(struct option *longopts, char *shortopts);

/*
 * Applies the option getopt_long returned as c with argument arg (NULL for
 * none) to oo. Returns 1 when c is not an output option (nothing done), 0
 * when applied, or -EINVAL with a one-line reason in err. Strings in oo
 * point at arg (keep argv alive) or at literals.
 */
int output_opts_set(struct output_opts *oo, int c, const char *arg,
		    char *err, size_t errlen);

/* Copies oo into cfg (every field of cfg is set; cfg borrows oo's strings
 * and props, so oo must outlive the publisher's opening). */
void output_opts_publish_config(const struct output_opts *oo,
				struct publish_config *cfg);

/*
 * Writes one --help row: "  -c, --name ARG" (or "      --name ARG" when
 * short_name is 0) in a 32-column head, then help (with "(default: def)"
 * when def is not NULL) wrapped at 79 columns. The same layout for every
 * program.
 */
void output_opts_usage_row(FILE *f, char short_name, const char *name,
			   const char *arg, const char *def, const char *help);

/* Writes the rows of every output option (output_opts_usage_row). */
void output_opts_usage(FILE *f);

#endif
