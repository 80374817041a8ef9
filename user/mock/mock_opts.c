// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-mock's option table and its own setters; defaults, parsing and
 * --help come from common/cli.h, with the output rows shared with
 * xdpflowd (publish_opts.h) after its own.
 */
#include "mock/mock_opts.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static int set_seed(void *target, const struct cli_opt *d, const char *arg,
		    char *err, size_t errlen)
{
	struct mock_opts *o = target;
	int rc = cli_parse_uint(d, arg, &o->gen.seed, err, errlen);

	if (!rc)
		o->seed_given = true;
	return rc;
}

#define OFF(f) offsetof(struct mock_opts, f)

static const struct cli_opt opts[] = {
	{ "rate", 'r', "FLOWS", "1000", cli_set_u64, OFF(rate), 0, 1000000000,
	  "flows per second; 0: as fast as possible" },
	{ "count", 'n', "N", "0", cli_set_u64, OFF(count), 0, UINT64_MAX,
	  "flows to send, then flush and exit; 0: until SIGINT/SIGTERM" },
	{ "seed", 's', "N", NULL, set_seed, 0, 0, UINT64_MAX,
	  "random seed: the same seed gives the same flows (times aside); "
	  "default: from the clock, printed at start" },
	{ "exporters", 0, "N", "4", cli_set_uint, OFF(gen.exporters), 1,
	  MOCK_MAX_EXPORTERS,
	  "exporters 198.18.0.1, .2, ... whose flows are NetFlow v9, IPFIX, "
	  "sFlow and NetFlow v5 in turn (the flows' sampler address, the "
	  "Kafka key)" },
	{ "ipv6-percent", 0, "PCT", "50", cli_set_uint, OFF(gen.ipv6_percent),
	  0, 100,
	  "share of IPv6 flows (2001:db8:0:1::/64; the rest IPv4 in "
	  "198.18.0.0/15)" },
	{ "sampling-rate", 0, "N", "0", cli_set_u64, OFF(gen.sampling_rate), 0,
	  UINT32_MAX,
	  "sampling rate of every flow; 0: per exporter (1, 100, 512, 1)" },
	{ "stats-interval", 0, "SECONDS", "0", cli_set_uint,
	  OFF(stats_interval), 0, 86400,
	  "print the stats line this often (0: only on SIGUSR1 and at exit)" },
	/* then cli_std_table: --log-level, --help, --version */
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* Zeroes o, binds its tables into t and applies every default. Returns 0,
 * or -EINVAL with the default that did not parse in err (a table bug). */
static int init(struct mock_opts *o, struct cli_table t[3], char *err,
		size_t errlen)
{
	memset(o, 0, sizeof(*o));
	mock_gen_config_defaults(&o->gen);
	return publish_opts_bind(t, opts, N_OPTS, o, &o->log_level, &o->out,
				 err, errlen);
}

int mock_opts_defaults(struct mock_opts *o)
{
	struct cli_table t[3];
	char err[256];

	return init(o, t, err, sizeof(err));
}

int mock_opts_parse(struct mock_opts *o, int argc, char **argv, char *err,
		    size_t errlen)
{
	struct cli_table t[3];

	int rc;

	if (init(o, t, err, errlen))
		return -EINVAL;
	rc = cli_parse(t, 3, argc, argv, err, errlen);
	if (rc == MOCK_OPTS_RUN && publish_opts_check(&o->out, err, errlen))
		return -EINVAL;
	return rc;
}

void mock_opts_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Generates random flows (as flow-pipeline's mocker, and more) "
		"and publishes\nthem with xdpflowd's own encoders and publisher: "
		"a stand-in for the collector.\n\n",
		prog);
	publish_opts_usage(f, opts, N_OPTS, "Output (the same as xdpflowd's):");
	fprintf(f,
		"\nSignals: SIGINT/SIGTERM stop (flush, print stats), SIGUSR1 "
		"prints the stats\nline. Exit status: 0 ok, 1 runtime failure "
		"or flows lost, 2 bad command line.\n");
}
