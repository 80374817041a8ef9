// SPDX-License-Identifier: Apache-2.0
/*
 * The output option table (-o, --format, --schema, --file, --kafka-*, -X)
 * shared by xdpflowd and xdpflow-mock, its setters, its getopt_long rows
 * and its --help rows. Defaults are parsed by the rows' own setters, so the
 * table is the one source of truth for both programs.
 */
#include "daemon/output_opts.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct out_def;
typedef int (*out_set_fn)(struct output_opts *oo, const struct out_def *d,
			  const char *arg, char *err, size_t errlen);

struct out_def {
	const char *name;
	char short_name; /* 0: long only */
	const char *arg;
	const char *def; /* NULL: none */
	out_set_fn set;
	const char *help;
};

static int bad(const struct out_def *d, const char *arg, const char *why,
	       char *err, size_t errlen)
{
	snprintf(err, errlen, "bad value '%s' for --%s: %s", arg, d->name, why);
	return -EINVAL;
}

/* A word from a list; *out receives the matching value. */
struct choice {
	const char *word;
	int value;
};

static int pick(const struct out_def *d, const char *arg,
		const struct choice *c, size_t n, const char *words, int *out,
		char *err, size_t errlen)
{
	char why[96];

	for (size_t i = 0; i < n; i++) {
		if (strcmp(arg, c[i].word) == 0) {
			*out = c[i].value;
			return 0;
		}
	}
	snprintf(why, sizeof(why), "expected %s", words);
	return bad(d, arg, why, err, errlen);
}

static int set_output(struct output_opts *oo, const struct out_def *d,
		      const char *arg, char *err, size_t errlen)
{
	static const struct choice c[] = { { "file", OUT_KIND_FILE },
					   { "kafka", OUT_KIND_KAFKA } };
	int v, rc = pick(d, arg, c, 2, "file or kafka", &v, err, errlen);

	if (!rc)
		oo->output = (enum out_kind)v;
	return rc;
}

static int set_format(struct output_opts *oo, const struct out_def *d,
		      const char *arg, char *err, size_t errlen)
{
	if (encode_format_parse(arg, &oo->format))
		return bad(d, arg, "expected json or pb", err, errlen);
	return 0;
}

static int set_schema(struct output_opts *oo, const struct out_def *d,
		      const char *arg, char *err, size_t errlen)
{
	if (encode_schema_parse(arg, &oo->schema))
		return bad(d, arg, "expected goflow2 or goflow-v3", err, errlen);
	return 0;
}

static int set_nonempty(const struct out_def *d, const char *arg,
			const char **out, char *err, size_t errlen)
{
	if (!*arg)
		return bad(d, arg, "empty", err, errlen);
	*out = arg;
	return 0;
}

static int set_file(struct output_opts *oo, const struct out_def *d,
		    const char *arg, char *err, size_t errlen)
{
	return set_nonempty(d, arg, &oo->file, err, errlen);
}

static int set_brokers(struct output_opts *oo, const struct out_def *d,
		       const char *arg, char *err, size_t errlen)
{
	return set_nonempty(d, arg, &oo->kafka_brokers, err, errlen);
}

static int set_topic(struct output_opts *oo, const struct out_def *d,
		     const char *arg, char *err, size_t errlen)
{
	return set_nonempty(d, arg, &oo->kafka_topic, err, errlen);
}

static int set_kafka_key(struct output_opts *oo, const struct out_def *d,
			 const char *arg, char *err, size_t errlen)
{
	static const struct choice c[] = { { "exporter", KAFKA_KEY_EXPORTER },
					   { "none", KAFKA_KEY_NONE } };
	int v, rc = pick(d, arg, c, 2, "exporter or none", &v, err, errlen);

	if (!rc)
		oo->kafka_key = (enum kafka_key)v;
	return rc;
}

#define KAFKA_BATCH_MAX 100000

static int set_kafka_batch(struct output_opts *oo, const struct out_def *d,
			   const char *arg, char *err, size_t errlen)
{
	unsigned long v = 0;
	const char *p = arg;

	if (*p < '0' || *p > '9')
		return bad(d, arg, "not a number", err, errlen);
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > KAFKA_BATCH_MAX)
			break;
	}
	if (*p && (*p < '0' || *p > '9'))
		return bad(d, arg, "not a number", err, errlen);
	if (v < 1 || v > KAFKA_BATCH_MAX)
		return bad(d, arg, "out of range 1..100000", err, errlen);
	oo->kafka_batch = (unsigned)v;
	return 0;
}

static int set_prop(struct output_opts *oo, const struct out_def *d,
		    const char *arg, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg)
		return bad(d, arg, "expected property=value", err, errlen);
	if (oo->n_props >= OUTPUT_OPTS_MAX_PROPS)
		return bad(d, arg, "too many properties", err, errlen);
	oo->props[oo->n_props++] = arg;
	return 0;
}

static const struct out_def table[OUTPUT_OPTS_N] = {
	{ "output", 'o', "KIND", "file", set_output,
	  "where flows go: file or kafka" },
	{ "format", 0, "FMT", "json", set_format,
	  "json (one object per line) or pb (length-prefixed protobuf, "
	  "GoFlow2's bin)" },
	{ "schema", 0, "NAME", "goflow2", set_schema,
	  "protobuf schema of pb output: goflow2 (proto/flow.proto) or "
	  "goflow-v3 (flow-pipeline's light proto, proto/flow_legacy.proto)" },
	{ "file", 0, "PATH", "-", set_file,
	  "output file for -o file; - is stdout" },
	{ "kafka-brokers", 0, "LIST", "127.0.0.1:9092", set_brokers,
	  "Kafka bootstrap brokers, HOST:PORT,..." },
	{ "kafka-topic", 0, "TOPIC", "flows", set_topic, "Kafka topic" },
	{ "kafka-key", 0, "KEY", "exporter", set_kafka_key,
	  "Kafka message key: exporter (its flows stay in one partition) or "
	  "none" },
	{ "kafka-batch", 0, "N", "1", set_kafka_batch,
	  "flows per Kafka message" },
	{ "property", 'X', "NAME=VALUE", NULL, set_prop,
	  "librdkafka property, e.g. -X compression.codec=lz4 (repeatable)" },
};

void output_opts_defaults(struct output_opts *oo)
{
	char err[256];

	memset(oo, 0, sizeof(*oo));
	for (size_t i = 0; i < OUTPUT_OPTS_N; i++)
		if (table[i].def && table[i].set(oo, &table[i], table[i].def,
						 err, sizeof(err)))
			/* A table bug, caught by test_mock and test_options. */
			fprintf(stderr, "xdpflow: bad default: %s\n", err);
}

static int val_of(size_t i)
{
	return table[i].short_name ? table[i].short_name
				   : OUTPUT_OPTS_VAL + (int)i;
}

void output_opts_getopt(struct option *longopts, char *shortopts)
{
	size_t ns = 0;

	for (size_t i = 0; i < OUTPUT_OPTS_N; i++) {
		longopts[i] = (struct option){
			.name = table[i].name,
			.has_arg = required_argument,
			.flag = NULL,
			.val = val_of(i),
		};
		if (table[i].short_name) {
			shortopts[ns++] = table[i].short_name;
			shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
}

int output_opts_set(struct output_opts *oo, int c, const char *arg,
		    char *err, size_t errlen)
{
	for (size_t i = 0; i < OUTPUT_OPTS_N; i++)
		if (val_of(i) == c)
			return table[i].set(oo, &table[i], arg ? arg : "", err,
					    errlen);
	return 1;
}

void output_opts_publish_config(const struct output_opts *oo,
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

/* Writes s wrapped at width, each line after the first indented by ind. */
static void wrap(FILE *f, const char *s, int col, int ind, int width)
{
	while (*s) {
		int room = width - col, n = (int)strlen(s);

		if (n > room) {
			n = room;
			while (n > 0 && s[n] != ' ')
				n--;
			if (n == 0)
				n = room;
		}
		fprintf(f, "%.*s\n", n, s);
		s += n;
		while (*s == ' ')
			s++;
		if (*s)
			fprintf(f, "%*s", ind, "");
		col = ind;
	}
}

void output_opts_usage_row(FILE *f, char short_name, const char *name,
			   const char *arg, const char *def, const char *help)
{
	enum { COL = 32, WIDTH = 79 };
	char head[80], text[512];
	int n;

	if (short_name)
		n = snprintf(head, sizeof(head), "  -%c, --%s%s%s", short_name,
			     name, arg ? " " : "", arg ? arg : "");
	else
		n = snprintf(head, sizeof(head), "      --%s%s%s", name,
			     arg ? " " : "", arg ? arg : "");
	if (def)
		snprintf(text, sizeof(text), "%s (default: %s)", help, def);
	else
		snprintf(text, sizeof(text), "%s", help);
	if (n >= COL - 1)
		fprintf(f, "%s\n%*s", head, COL, "");
	else
		fprintf(f, "%-*s", COL, head);
	wrap(f, text, COL, COL, WIDTH);
}

void output_opts_usage(FILE *f)
{
	for (size_t i = 0; i < OUTPUT_OPTS_N; i++)
		output_opts_usage_row(f, table[i].short_name, table[i].name,
				      table[i].arg, table[i].def, table[i].help);
}
