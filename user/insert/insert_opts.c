// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-insert's option table and its own setters (-X, --postgres);
 * --log-level, --help and --version are the rows every program shares, and
 * defaults, parsing and --help rows come from common/cli.h.
 */
#include "insert/insert_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int set_prop(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	struct insert_opts *o = target;

	return cli_add_prop(d, arg, o->props, &o->cfg.n_props,
			    INSERT_OPTS_MAX_PROPS, err, errlen);
}

static int set_postgres(void *target, const struct cli_opt *d, const char *arg,
			char *err, size_t errlen)
{
	struct insert_opts *o = target;

	(void)d;
	insert_opts_release(o);
	o->conninfo = strdup(arg);
	/* Wipe argv's copy (writable: C17 5.1.2.2.1) so `ps` never shows a
	 * password; never quote arg in err either. */
	memset((char *)arg, 'x', strlen(arg));
	if (!o->conninfo) {
		snprintf(err, errlen, "could not copy --postgres: %s",
			 strerror(ENOMEM));
		return -EINVAL;
	}
	o->cfg.conninfo = o->conninfo;
	return 0;
}

#define OFF(f) offsetof(struct insert_opts, f)

static const struct cli_opt opts[] = {
	{ "kafka-brokers", 0, "LIST", "127.0.0.1:9092", cli_set_any_str,
	  OFF(cfg.brokers), 0, 0, "bootstrap brokers" },
	{ "kafka-topic", 0, "NAME", "flows", cli_set_any_str, OFF(cfg.topic), 0,
	  0, "topic" },
	{ "kafka-group", 0, "NAME", "xdpflow-insert", cli_set_any_str,
	  OFF(cfg.group), 0, 0, "consumer group" },
	{ NULL, 'X', "NAME=VALUE", NULL, set_prop, 0, 0, 0,
	  "librdkafka consumer property (repeatable)" },
	{ "postgres", 0, "CONNINFO", NULL, set_postgres, 0, 0, 0,
	  "libpq conninfo or postgresql:// URI; PG* variables fill what it "
	  "leaves out (default: PG* only)" },
	{ "batch-rows", 0, "N", "50000", cli_set_uint, OFF(cfg.batch_rows), 1,
	  10000000, "commit every N rows" },
	{ "batch-ms", 0, "MS", "1000", cli_set_uint, OFF(cfg.batch_ms), 1,
	  3600000, "commit a batch at most MS old" },
	{ "retention-days", 0, "N", NULL, cli_set_uint, OFF(cfg.retention_days),
	  0, 100000, "drop daily partitions older than N days (0: keep)" },
	{ "pg-writers", 0, "N", "4", cli_set_uint, OFF(cfg.writers), 1, 16,
	  "PostgreSQL connections writing in parallel, Kafka partitions "
	  "spread over them" },
	/* then cli_std_table: --log-level, --help, --version */
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* The insert's --help as it has always looked. */
static const struct cli_layout layout = { 25, false, "default" };

void insert_opts_release(struct insert_opts *o)
{
	if (o->conninfo) {
		memset(o->conninfo, 0, strlen(o->conninfo));
		free(o->conninfo);
		o->conninfo = NULL;
	}
	o->cfg.conninfo = "";
}

int insert_opts_parse(struct insert_opts *o, int argc, char **argv, char *err,
		      size_t errlen)
{
	const struct cli_table t[2] = { { opts, N_OPTS, o },
					cli_std_table(&o->log_level) };
	int rc;

	insert_opts_release(o);
	memset(o, 0, sizeof(*o));
	o->cfg.props = o->props;
	o->cfg.conninfo = "";
	if (cli_defaults(t, 2, err, errlen))
		return -EINVAL; /* a table bug, caught by test_insert_opts */
	rc = cli_parse(t, 2, argc, argv, err, errlen);
	if (rc != INSERT_OPTS_RUN)
		return rc;
	if (!*o->cfg.topic || !*o->cfg.group || !*o->cfg.brokers) {
		snprintf(err, errlen,
			 "--kafka-brokers, --kafka-topic and --kafka-group "
			 "must not be empty");
		return -EINVAL;
	}
	return INSERT_OPTS_RUN;
}

void insert_opts_usage(FILE *f)
{
	const struct cli_table std = cli_std_table(NULL);

	fprintf(f,
		"usage: xdpflow-insert [options]\n"
		"Reads FlowMessages (proto/flow.proto, bare or "
		"varint-length-delimited)\n"
		"from Kafka and inserts them into PostgreSQL exactly once.\n"
		"\n");
	cli_usage(f, opts, N_OPTS, &layout);
	cli_usage(f, std.opts, std.n, &layout);
}
