/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The output options every xdpflow program that publishes flows shares
 * (xdpflowd and xdpflow-mock): -o/--output, --format, --schema, --file,
 * --kafka-brokers, --kafka-topic, --kafka-key, --kafka-batch and -X. One
 * table of common/cli.h rows holds each option's name, argument, default,
 * help and setter; a program parses it next to its own rows
 * (output_opts_table), prints it with output_opts_usage and turns the
 * result into a struct publish_config (output_opts_publish_config).
 */
#ifndef XDPFLOW_DAEMON_OUTPUT_OPTS_H
#define XDPFLOW_DAEMON_OUTPUT_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "common/cli.h"
#include "encode/encode.h"
#include "publish/publish.h"

#define OUTPUT_OPTS_MAX_PROPS 64
/* Rows in the table (the number of options). */
#define OUTPUT_OPTS_N 9

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

/* The output rows bound to oo, for cli_parse next to a program's own
 * table. Strings the setters keep point into argv or at literals. */
struct cli_table output_opts_table(struct output_opts *oo);

/* Copies oo into cfg (every field of cfg is set; cfg borrows oo's strings
 * and props, so oo must outlive the publisher's opening). */
void output_opts_publish_config(const struct output_opts *oo,
				struct publish_config *cfg);

/* Writes the --help rows of every output option (cli_usage). */
void output_opts_usage(FILE *f);

#endif
