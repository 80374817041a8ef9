// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-enrich's option table and its -X setter; --log-level, --help and
 * --version are the rows every program shares (common/cli.h).
 */
#include "relay/relay_opts.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int set_prop(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	struct relay_opts *o = target;

	return cli_add_prop(d, arg, o->props, &o->cfg.n_props,
			    RELAY_OPTS_MAX_PROPS, err, errlen);
}

#define OFF(f) offsetof(struct relay_opts, f)

static const struct cli_opt opts[] = {
	{ "config", 0, "FILE", NULL, cli_set_str, OFF(config), 0, 0,
	  "enrichment config (the format of xdpflowd --enrich); without it "
	  "flows are copied unchanged" },
	{ "kafka-brokers", 0, "LIST", "127.0.0.1:9092", cli_set_str,
	  OFF(cfg.brokers), 0, 0, "bootstrap brokers" },
	{ "in-topic", 0, "NAME", "flows", cli_set_str, OFF(cfg.in_topic), 0, 0,
	  "topic to read flows from" },
	{ "out-topic", 0, "NAME", "flows-enriched", cli_set_str,
	  OFF(cfg.out_topic), 0, 0, "topic to write enriched flows to" },
	{ "group", 0, "NAME", "xdpflow-enrich", cli_set_str, OFF(cfg.group), 0,
	  0, "consumer group" },
	{ "transactional-id", 0, "ID", NULL, cli_set_str,
	  OFF(cfg.transactional_id), 0, 0,
	  "transactional.id, unique per running instance and the same across "
	  "its restarts (default: xdpflow-enrich-HOSTNAME)" },
	{ NULL, 'X', "NAME=VALUE", NULL, set_prop, 0, 0, 0,
	  "librdkafka property for the consumer and the producer (repeatable)" },
	{ "txn-interval-ms", 0, "MS", "100", cli_set_uint,
	  OFF(cfg.txn_interval_ms), 1, 60000,
	  "commit the open transaction at least every MS" },
	{ "txn-messages", 0, "N", "10000", cli_set_uint, OFF(cfg.txn_max_msgs),
	  1, 10000000, "and after N input messages" },
	{ "poll-ms", 0, "MS", "1000", cli_set_uint, OFF(tick_ms), 10, 3600000,
	  "with --config: look for changed source files every MS" },
	/* then cli_std_table: --log-level, --help, --version */
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static const struct cli_layout layout = { 25, true, "default" };

int relay_opts_parse(struct relay_opts *o, int argc, char **argv, char *err,
		     size_t errlen)
{
	const struct cli_table t[2] = { { opts, N_OPTS, o, &o->given },
					cli_std_table(&o->log_level) };
	char host[256];
	int rc;

	memset(o, 0, sizeof(*o));
	o->cfg.props = o->props;
	if (cli_defaults(t, 2, err, errlen))
		return -EINVAL; /* a table bug */
	rc = cli_parse(t, 2, argc, argv, err, errlen);
	if (rc != RELAY_OPTS_RUN)
		return rc;
	if (!o->cfg.transactional_id) {
		if (gethostname(host, sizeof(host)) || !host[0])
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(o->txn_id, sizeof(o->txn_id), "xdpflow-enrich-%s",
			 host);
		o->cfg.transactional_id = o->txn_id;
	}
	if (!strcmp(o->cfg.in_topic, o->cfg.out_topic)) {
		snprintf(err, errlen,
			 "--in-topic and --out-topic must differ (%s)",
			 o->cfg.in_topic);
		return -EINVAL;
	}
	if (!o->config && cli_given(&t[0], "poll-ms")) {
		snprintf(err, errlen, "--poll-ms needs --config");
		return -EINVAL;
	}
	o->cfg.tick_ms = o->tick_ms;
	return RELAY_OPTS_RUN;
}

void relay_opts_usage(FILE *f)
{
	const struct cli_table std = cli_std_table(NULL);

	fprintf(f,
		"usage: xdpflow-enrich [options]\n"
		"Reads FlowMessages (proto/flow.proto, bare or "
		"varint-length-delimited) from\n"
		"a Kafka topic, enriches them and writes them to another "
		"topic in the same\n"
		"framing, exactly once (Kafka transactions).\n"
		"\n");
	cli_usage(f, opts, N_OPTS, &layout);
	cli_usage(f, std.opts, std.n, &layout);
}
