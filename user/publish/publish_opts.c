// SPDX-License-Identifier: Apache-2.0
/*
 * The publish stage's option table (-o, --format, --schema, --file, --kafka-*, -X)
 * shared by xdpflowd and xdpflow-mock, as common/cli.h rows with their
 * setters, and how such a program binds and prints its tables. Defaults
 * are parsed by the rows' own setters, so the table is the one source of
 * truth for both programs.
 */
#include "publish/publish_opts.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static int set_output(void *target, const struct cli_opt *d, const char *arg,
		      char *err, size_t errlen)
{
	static const struct cli_choice c[] = { { "file", OUT_KIND_FILE },
					       { "kafka", OUT_KIND_KAFKA } };
	struct publish_opts *oo = target;
	int v, rc = cli_pick(d, arg, c, 2, "file or kafka", &v, err, errlen);

	if (!rc)
		oo->output = (enum out_kind)v;
	return rc;
}

static int set_format(void *target, const struct cli_opt *d, const char *arg,
		      char *err, size_t errlen)
{
	struct publish_opts *oo = target;

	if (encode_format_parse(arg, &oo->format))
		return cli_bad(d, arg, "expected json or pb", err, errlen);
	return 0;
}

static int set_schema(void *target, const struct cli_opt *d, const char *arg,
		      char *err, size_t errlen)
{
	struct publish_opts *oo = target;

	if (encode_schema_parse(arg, &oo->schema))
		return cli_bad(d, arg, "expected goflow2 or goflow-v3", err,
			       errlen);
	return 0;
}

static int set_kafka_key(void *target, const struct cli_opt *d, const char *arg,
			 char *err, size_t errlen)
{
	static const struct cli_choice c[] = {
		{ "exporter", KAFKA_KEY_EXPORTER },
		{ "none", KAFKA_KEY_NONE },
	};
	struct publish_opts *oo = target;
	int v, rc = cli_pick(d, arg, c, 2, "exporter or none", &v, err, errlen);

	if (!rc)
		oo->kafka_key = (enum kafka_key)v;
	return rc;
}

static int set_prop(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	struct publish_opts *oo = target;

	return cli_add_prop(d, arg, oo->props, &oo->n_props,
			    PUBLISH_OPTS_MAX_PROPS, err, errlen);
}

#define OFF(f) offsetof(struct publish_opts, f)

static const struct cli_opt table[PUBLISH_OPTS_N] = {
	{ "output", 'o', "KIND", "file", set_output, 0, 0, 0,
	  "where flows go: file or kafka" },
	{ "format", 0, "FMT", "json", set_format, 0, 0, 0,
	  "json (one object per line) or pb (length-prefixed protobuf, "
	  "GoFlow2's bin)" },
	{ "schema", 0, "NAME", "goflow2", set_schema, 0, 0, 0,
	  "protobuf schema of pb output: goflow2 (proto/flow.proto) or "
	  "goflow-v3 (flow-pipeline's light proto, proto/flow_legacy.proto)" },
	{ "file", 0, "PATH", "-", cli_set_str, OFF(file), 0, 0,
	  "output file for -o file; - is stdout" },
	{ "kafka-brokers", 0, "LIST", "127.0.0.1:9092", cli_set_str,
	  OFF(kafka_brokers), 0, 0, "Kafka bootstrap brokers, HOST:PORT,..." },
	{ "kafka-topic", 0, "TOPIC", "flows", cli_set_str, OFF(kafka_topic), 0,
	  0, "Kafka topic" },
	{ "kafka-key", 0, "KEY", "exporter", set_kafka_key, 0, 0, 0,
	  "Kafka message key: exporter (its flows stay in one partition) or "
	  "none" },
	{ "kafka-batch", 0, "N", "1", cli_set_uint, OFF(kafka_batch), 1, 100000,
	  "flows per Kafka message" },
	{ "property", 'X', "NAME=VALUE", NULL, set_prop, 0, 0, 0,
	  "librdkafka property, e.g. -X compression.codec=lz4 (repeatable)" },
};

struct cli_table publish_opts_table(struct publish_opts *oo)
{
	return (struct cli_table){ table, PUBLISH_OPTS_N, oo, &oo->given };
}

int publish_opts_check(const struct publish_opts *oo, char *err, size_t errlen)
{
	static const struct {
		const char *row, *shown;
	} kafka_only[] = {
		{ "kafka-brokers", "--kafka-brokers" },
		{ "kafka-topic", "--kafka-topic" },
		{ "kafka-key", "--kafka-key" },
		{ "kafka-batch", "--kafka-batch" },
		{ "property", "-X" },
	};
	struct cli_table t = publish_opts_table((struct publish_opts *)oo);

	for (size_t i = 0; oo->output != OUT_KIND_KAFKA && i < 5; i++) {
		if (cli_given(&t, kafka_only[i].row)) {
			snprintf(err, errlen,
				 "%s has no effect without -o kafka (add -o kafka)",
				 kafka_only[i].shown);
			return -EINVAL;
		}
	}
	if (oo->output != OUT_KIND_FILE && cli_given(&t, "file")) {
		snprintf(err, errlen,
			 "--file has no effect with -o kafka (it is for -o file)");
		return -EINVAL;
	}
	if (oo->format != OUT_FORMAT_PB && cli_given(&t, "schema")) {
		snprintf(err, errlen,
			 "--schema has no effect with --format json (add --format pb)");
		return -EINVAL;
	}
	return 0;
}

int publish_opts_defaults(struct publish_opts *oo)
{
	struct cli_table t = publish_opts_table(oo);
	char err[256];

	memset(oo, 0, sizeof(*oo));
	return cli_defaults(&t, 1, err, sizeof(err));
}

void publish_opts_config(const struct publish_opts *oo,
			 struct publish_config *cfg)
{
	*cfg = (struct publish_config){
		.kind = oo->output,
		.format = oo->format,
		.file_path = oo->file,
		.brokers = oo->kafka_brokers,
		.topic = oo->kafka_topic,
		.key = oo->kafka_key,
		.batch = oo->kafka_batch,
		.props = oo->props,
		.n_props = oo->n_props,
	};
}

int publish_opts_bind(struct cli_table t[3], const struct cli_opt *own,
		      size_t n, void *target, enum log_level *lvl,
		      struct publish_opts *oo, char *err, size_t errlen)
{
	t[0] = (struct cli_table){ own, n, target };
	t[1] = cli_std_table(lvl);
	t[2] = publish_opts_table(oo);
	return cli_defaults(t, 3, err, errlen);
}

void publish_opts_usage(FILE *f, const struct cli_opt *own, size_t n,
			const char *title)
{
	const struct cli_table std = cli_std_table(NULL);

	cli_usage(f, own, n, NULL);
	cli_usage(f, std.opts, std.n, NULL);
	fprintf(f, "\n%s\n", title);
	cli_usage(f, table, PUBLISH_OPTS_N, NULL);
}
