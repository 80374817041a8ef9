// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflow-mock's option table, its setters, the getopt_long arrays (its own
 * rows followed by the shared output rows of output_opts) and --help.
 */
#include "mock/mock_opts.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

struct mopt_def;
typedef int (*mopt_set_fn)(struct mock_opts *o, const struct mopt_def *d,
			   const char *arg, char *err, size_t errlen);

struct mopt_def {
	const char *name;
	char short_name;
	const char *arg; /* NULL: a flag */
	const char *def; /* NULL: none */
	mopt_set_fn set;
	uint64_t min, max;
	const char *help;
};

static int bad(const struct mopt_def *d, const char *arg, const char *why,
	       char *err, size_t errlen)
{
	snprintf(err, errlen, "bad value '%s' for --%s: %s", arg, d->name, why);
	return -EINVAL;
}

/* Decimal, within d's range. */
static int parse_u64(const struct mopt_def *d, const char *arg, uint64_t *out,
		     char *err, size_t errlen)
{
	uint64_t v = 0;
	const char *p = arg;
	char why[96];

	if (*p < '0' || *p > '9')
		return bad(d, arg, "not a number", err, errlen);
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			goto range;
		v = v * 10 + digit;
	}
	if (*p)
		return bad(d, arg, "not a number", err, errlen);
	if (v < d->min || v > d->max)
		goto range;
	*out = v;
	return 0;
range:
	snprintf(why, sizeof(why), "out of range %llu..%llu",
		 (unsigned long long)d->min, (unsigned long long)d->max);
	return bad(d, arg, why, err, errlen);
}

static int set_rate(struct mock_opts *o, const struct mopt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	return parse_u64(d, arg, &o->rate, err, errlen);
}

static int set_count(struct mock_opts *o, const struct mopt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	return parse_u64(d, arg, &o->count, err, errlen);
}

static int set_seed(struct mock_opts *o, const struct mopt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	int rc = parse_u64(d, arg, &o->gen.seed, err, errlen);

	if (!rc)
		o->seed_given = true;
	return rc;
}

static int set_exporters(struct mock_opts *o, const struct mopt_def *d,
			 const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = parse_u64(d, arg, &v, err, errlen);

	if (!rc)
		o->gen.exporters = (unsigned)v;
	return rc;
}

static int set_ipv6(struct mock_opts *o, const struct mopt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = parse_u64(d, arg, &v, err, errlen);

	if (!rc)
		o->gen.ipv6_percent = (unsigned)v;
	return rc;
}

static int set_sampling(struct mock_opts *o, const struct mopt_def *d,
			const char *arg, char *err, size_t errlen)
{
	return parse_u64(d, arg, &o->gen.sampling_rate, err, errlen);
}

static int set_stats(struct mock_opts *o, const struct mopt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = parse_u64(d, arg, &v, err, errlen);

	if (!rc)
		o->stats_interval = (unsigned)v;
	return rc;
}

static int set_log_level(struct mock_opts *o, const struct mopt_def *d,
			 const char *arg, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		enum log_level lvl;
	} c[] = {
		{ "err", LOG_LVL_ERR },	  { "error", LOG_LVL_ERR },
		{ "warn", LOG_LVL_WARN }, { "warning", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (strcmp(arg, c[i].word) == 0) {
			o->log_level = c[i].lvl;
			return 0;
		}
	}
	return bad(d, arg, "expected err, warn, info or debug", err, errlen);
}

static int set_help(struct mock_opts *o, const struct mopt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	(void)d, (void)arg, (void)err, (void)errlen;
	o->help = true;
	return 0;
}

static int set_version(struct mock_opts *o, const struct mopt_def *d,
		       const char *arg, char *err, size_t errlen)
{
	(void)d, (void)arg, (void)err, (void)errlen;
	o->version = true;
	return 0;
}

static const struct mopt_def opts[] = {
	{ "rate", 'r', "FLOWS", "1000", set_rate, 0, 1000000000,
	  "flows per second; 0: as fast as possible" },
	{ "count", 'n', "N", "0", set_count, 0, UINT64_MAX,
	  "flows to send, then flush and exit; 0: until SIGINT/SIGTERM" },
	{ "seed", 's', "N", NULL, set_seed, 0, UINT64_MAX,
	  "random seed: the same seed gives the same flows (times aside); "
	  "default: from the clock, printed at start" },
	{ "exporters", 0, "N", "4", set_exporters, 1, MOCK_MAX_EXPORTERS,
	  "exporters 198.18.0.1, .2, ... whose flows are NetFlow v9, IPFIX, "
	  "sFlow and NetFlow v5 in turn (the flows' sampler address, the "
	  "Kafka key)" },
	{ "ipv6-percent", 0, "PCT", "50", set_ipv6, 0, 100,
	  "share of IPv6 flows (2001:db8:0:1::/64; the rest IPv4 in "
	  "198.18.0.0/15)" },
	{ "sampling-rate", 0, "N", "0", set_sampling, 0, UINT32_MAX,
	  "sampling rate of every flow; 0: per exporter (1, 100, 512, 1)" },
	{ "stats-interval", 0, "SECONDS", "0", set_stats, 0, 86400,
	  "print the stats line this often (0: only on SIGUSR1 and at exit)" },
	{ "log-level", 0, "LEVEL", "info", set_log_level, 0, 0,
	  "err, warn, info or debug" },
	{ "help", 'h', NULL, NULL, set_help, 0, 0, "print this help and exit" },
	{ "version", 'V', NULL, NULL, set_version, 0, 0,
	  "print the version and exit" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

void mock_opts_defaults(struct mock_opts *o)
{
	char err[256];

	memset(o, 0, sizeof(*o));
	mock_gen_config_defaults(&o->gen);
	output_opts_defaults(&o->out);
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].def && opts[i].set(o, &opts[i], opts[i].def, err,
					       sizeof(err)))
			fprintf(stderr, "xdpflow-mock: bad default: %s\n", err);
}

int mock_opts_parse(struct mock_opts *o, int argc, char **argv, char *err,
		    size_t errlen)
{
	struct option longopts[N_OPTS + OUTPUT_OPTS_N + 1];
	char shortopts[2 * N_OPTS + 2 * OUTPUT_OPTS_N + 2];
	size_t ns = 0;
	int c;

	mock_opts_defaults(o);
	shortopts[ns++] = ':';
	for (size_t i = 0; i < N_OPTS; i++) {
		longopts[i] = (struct option){
			.name = opts[i].name,
			.has_arg = opts[i].arg ? required_argument : no_argument,
			.flag = NULL,
			.val = opts[i].short_name ? opts[i].short_name
						  : 256 + (int)i,
		};
		if (opts[i].short_name) {
			shortopts[ns++] = opts[i].short_name;
			if (opts[i].arg)
				shortopts[ns++] = ':';
		}
	}
	output_opts_getopt(&longopts[N_OPTS], &shortopts[ns]);
	memset(&longopts[N_OPTS + OUTPUT_OPTS_N], 0, sizeof(longopts[0]));

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct mopt_def *d = NULL;
		const char *opt = argv[optind - 1];
		int rc;

		if (c == '?') {
			if (optopt && optopt < 256 && opt[0] == '-' && opt[1] != '-')
				snprintf(err, errlen, "unknown option '-%c'",
					 optopt);
			else
				snprintf(err, errlen,
					 "unknown option '%s' (see --help)", opt);
			return -EINVAL;
		}
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value", opt);
			return -EINVAL;
		}
		for (size_t i = 0; i < N_OPTS; i++)
			if (longopts[i].val == c)
				d = &opts[i];
		if (d) {
			if (d->set(o, d, optarg ? optarg : "", err, errlen))
				return -EINVAL;
			continue;
		}
		rc = output_opts_set(&o->out, c, optarg, err, errlen);
		if (rc < 0)
			return -EINVAL;
		if (rc > 0) {
			snprintf(err, errlen, "unknown option '%s'", opt);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)",
			 argv[optind]);
		return -EINVAL;
	}
	if (o->help)
		return MOCK_OPTS_HELP;
	if (o->version)
		return MOCK_OPTS_VERSION;
	return MOCK_OPTS_RUN;
}

void mock_opts_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Generates random flows (as flow-pipeline's mocker, and more) "
		"and publishes\nthem with xdpflowd's own encoders and publisher: "
		"a stand-in for the collector.\n\n",
		prog);
	for (size_t i = 0; i < N_OPTS; i++)
		output_opts_usage_row(f, opts[i].short_name, opts[i].name,
				      opts[i].arg, opts[i].def, opts[i].help);
	fprintf(f, "\nOutput (the same as xdpflowd's):\n");
	output_opts_usage(f);
	fprintf(f,
		"\nSignals: SIGINT/SIGTERM stop (flush, print stats), SIGUSR1 "
		"prints the stats\nline. Exit status: 0 ok, 1 runtime failure "
		"or flows lost, 2 bad command line.\n");
}
