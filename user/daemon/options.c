// SPDX-License-Identifier: Apache-2.0
/*
 * The option table and everything derived from it: defaults (each default
 * is parsed by the option's own setter, so the table is the one source of
 * truth), getopt_long's long-option array, error messages and --help.
 */
#include "daemon/options.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opt_def;
typedef int (*opt_set_fn)(struct options *o, const struct opt_def *d,
			  const char *arg, char *err, size_t errlen);

struct opt_def {
	const char *name;
	char short_name;      /* 0: long only */
	const char *arg;      /* NULL: a flag without value */
	const char *def;      /* default, parsed by set; NULL: none */
	opt_set_fn set;
	size_t off;	      /* field for the generic setters */
	unsigned long min, max; /* integer range */
	const char *help;
};

/* Setters. Each returns 0 or -EINVAL with err filled. */

static int bad(const struct opt_def *d, const char *arg, const char *why,
	       char *err, size_t errlen)
{
	snprintf(err, errlen, "bad value '%s' for --%s: %s", arg, d->name, why);
	return -EINVAL;
}

/* Decimal integer with an optional binary K/M/G suffix when allowed. */
static int parse_ulong(const struct opt_def *d, const char *arg,
		       bool suffix, unsigned long *out, char *err,
		       size_t errlen)
{
	unsigned long long v = 0, mult = 1;
	const char *p = arg;
	char range[96];

	if (*p < '0' || *p > '9')
		return bad(d, arg, "not a number", err, errlen);
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > 0xffffffffffULL)
			goto out_of_range;
	}
	if (suffix && *p) {
		switch (*p) {
		case 'k': case 'K': mult = 1ULL << 10; break;
		case 'm': case 'M': mult = 1ULL << 20; break;
		case 'g': case 'G': mult = 1ULL << 30; break;
		default:
			return bad(d, arg, "not a number (suffixes K, M, G)",
				   err, errlen);
		}
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
	}
	if (*p)
		return bad(d, arg, "not a number", err, errlen);
	v *= mult;
	if (v < d->min || v > d->max)
		goto out_of_range;
	*out = (unsigned long)v;
	return 0;

out_of_range:
	snprintf(range, sizeof(range), "out of range %lu..%lu", d->min, d->max);
	return bad(d, arg, range, err, errlen);
}

static int set_uint(struct options *o, const struct opt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	unsigned long v;
	int rc = parse_ulong(d, arg, false, &v, err, errlen);

	if (!rc)
		*(unsigned *)((char *)o + d->off) = (unsigned)v;
	return rc;
}

static int set_ulong(struct options *o, const struct opt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	return parse_ulong(d, arg, false, (unsigned long *)((char *)o + d->off),
			   err, errlen);
}

static int set_size(struct options *o, const struct opt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	return parse_ulong(d, arg, true, (unsigned long *)((char *)o + d->off),
			   err, errlen);
}

static int set_batch(struct options *o, const struct opt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	unsigned long v;
	int rc = parse_ulong(d, arg, false, &v, err, errlen);

	if (!rc)
		o->batch = v;
	return rc;
}

static int set_str(struct options *o, const struct opt_def *d,
		   const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return bad(d, arg, "empty", err, errlen);
	*(const char **)((char *)o + d->off) = arg;
	return 0;
}

static int set_listen(struct options *o, const struct opt_def *d,
		      const char *arg, char *err, size_t errlen)
{
	(void)d;
	if (!o->listen_given) {
		o->n_listen = 0;
		o->listen_given = true;
	}
	return listen_uri_parse_list(arg, o->listen, OPT_MAX_LISTEN,
				     &o->n_listen, err, errlen) ? -EINVAL : 0;
}

static int set_allow(struct options *o, const struct opt_def *d,
		     const char *arg, char *err, size_t errlen)
{
	int rc = allow_list_add(&o->allow, arg);

	if (rc == -E2BIG)
		return bad(d, arg, "too many prefixes", err, errlen);
	if (rc)
		return bad(d, arg, "expected ADDR or ADDR/BITS (IPv4 or IPv6)",
			   err, errlen);
	return 0;
}

/* A word from a list; *out receives the matching value. */
struct choice {
	const char *word;
	int value;
};

static int pick(const struct opt_def *d, const char *arg,
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

static int set_log_level(struct options *o, const struct opt_def *d,
			 const char *arg, char *err, size_t errlen)
{
	static const struct choice c[] = {
		{ "err", LOG_LVL_ERR },	    { "error", LOG_LVL_ERR },
		{ "warn", LOG_LVL_WARN },   { "warning", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO },   { "debug", LOG_LVL_DEBUG },
	};
	int v, rc = pick(d, arg, c, 6, "err, warn, info or debug", &v, err,
			 errlen);

	if (!rc)
		o->log_level = (enum log_level)v;
	return rc;
}

static int set_metrics(struct options *o, const struct opt_def *d,
		       const char *arg, char *err, size_t errlen)
{
	char uri[300], ignored[256];
	struct listen_uri u;

	if (strlen(arg) > 200 || strchr(arg, '?') || strchr(arg, ','))
		return bad(d, arg, "expected ADDR:PORT", err, errlen);
	/* Same ADDR:PORT grammar as a listen URI. */
	snprintf(uri, sizeof(uri), "flow://%s", arg);
	if (listen_uri_parse(uri, &u, ignored, sizeof(ignored)))
		return bad(d, arg,
			   "expected ADDR:PORT (ADDR empty, IPv4 or [IPv6])",
			   err, errlen);
	o->metrics = true;
	o->metrics_addr = u.addr;
	o->metrics_addrlen = u.addrlen;
	o->metrics_any = u.any;
	return 0;
}

static int set_xdp(struct options *o, const struct opt_def *d,
		   const char *arg, char *err, size_t errlen)
{
	if (!*arg || strlen(arg) >= 16 || strchr(arg, '/'))
		return bad(d, arg, "expected an interface name", err, errlen);
	for (size_t i = 0; i < o->n_xdp; i++)
		if (strcmp(o->xdp_ifaces[i], arg) == 0)
			return bad(d, arg, "interface given twice", err, errlen);
	if (o->n_xdp >= OPT_MAX_XDP)
		return bad(d, arg, "too many interfaces", err, errlen);
	o->xdp_ifaces[o->n_xdp++] = arg;
	return 0;
}

static int set_xdp_mode(struct options *o, const struct opt_def *d,
			const char *arg, char *err, size_t errlen)
{
	static const struct choice c[] = { { "auto", XDP_LOAD_AUTO },
					   { "native", XDP_LOAD_NATIVE },
					   { "skb", XDP_LOAD_SKB } };
	int v, rc = pick(d, arg, c, 3, "native, skb or auto", &v, err, errlen);

	if (!rc)
		o->xdp_mode = (enum xdp_load_mode)v;
	return rc;
}

static int set_xdp_zerocopy(struct options *o, const struct opt_def *d,
			    const char *arg, char *err, size_t errlen)
{
	static const struct choice c[] = { { "auto", XSK_RX_ZC_AUTO },
					   { "on", XSK_RX_ZC_ON },
					   { "off", XSK_RX_ZC_OFF } };
	int v, rc = pick(d, arg, c, 3, "auto, on or off", &v, err, errlen);

	if (!rc)
		o->xdp_zerocopy = (enum xsk_rx_zerocopy)v;
	return rc;
}

static int set_xdp_frames(struct options *o, const struct opt_def *d,
			  const char *arg, char *err, size_t errlen)
{
	unsigned long v;
	int rc = parse_ulong(d, arg, false, &v, err, errlen);

	if (rc)
		return rc;
	if (v & (v - 1))
		return bad(d, arg, "not a power of 2", err, errlen);
	o->xdp_frames = v;
	return 0;
}

static int set_help(struct options *o, const struct opt_def *d,
		    const char *arg, char *err, size_t errlen)
{
	(void)d, (void)arg, (void)err, (void)errlen;
	o->help = true;
	return 0;
}

static int set_version(struct options *o, const struct opt_def *d,
		       const char *arg, char *err, size_t errlen)
{
	(void)d, (void)arg, (void)err, (void)errlen;
	o->version = true;
	return 0;
}

#define OFF(f) offsetof(struct options, f)

static const struct opt_def opts[] = {
	{ "listen", 'l', "URI[,URI]", "netflow://:2055,sflow://:6343",
	  set_listen, 0, 0, 0,
	  "where to receive: netflow://ADDR:PORT (v5, v9, IPFIX), "
	  "sflow://ADDR:PORT, flow://ADDR:PORT (any); ADDR empty (all, "
	  "dual-stack), IPv4 or [IPv6]; ?count=N sets the listener's "
	  "sockets/workers; repeatable" },
	{ "workers", 0, "N", "1", set_uint, OFF(workers), 1, LISTEN_MAX_COUNT,
	  "receive threads, each with one SO_REUSEPORT socket per listener" },
	{ "rcvbuf", 0, "BYTES", "32M", set_size, OFF(rcvbuf), 0, 1UL << 30,
	  "socket receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF); suffixes "
	  "K, M, G; 0 keeps the system default" },
	{ "batch", 0, "N", "64", set_batch, 0, 1, 1024,
	  "datagrams per recvmmsg call" },
	{ "allow-exporter", 0, "CIDR", NULL, set_allow, 0, 0, 0,
	  "accept datagrams only from this prefix (IPv4 or IPv6, "
	  "repeatable); others are dropped before decode and counted" },
	{ "pcap", 0, "FILE", NULL, set_str, OFF(pcap), 0, 0,
	  "decode a capture (pcap/pcapng) instead of listening: UDP to a "
	  "listen URI's port, as fast as possible, then exit" },
	{ "templates-file", 0, "PATH", NULL, set_str, OFF(templates_file), 0,
	  0, "load NetFlow v9/IPFIX templates at start, save them when they "
	     "change (every few seconds) and at exit" },
	{ "max-templates", 0, "N", "65536", set_ulong, OFF(max_templates), 1,
	  1UL << 24, "templates kept per worker (LRU over all exporters)" },
	{ "stats-interval", 0, "SECONDS", "0", set_uint, OFF(stats_interval),
	  0, 86400, "print the stats report this often (0: only on SIGUSR1 "
		    "and at exit)" },
	{ "metrics", 0, "ADDR:PORT", NULL, set_metrics, 0, 0, 0,
	  "serve Prometheus /metrics and /__health over HTTP (off by "
	  "default)" },
	{ "xdp", 0, "IFACE", NULL, set_xdp, 0, 0, 0,
	  "receive the listeners' ports on IFACE through XDP and AF_XDP "
	  "sockets (one per RX queue), dropping exporters outside "
	  "--allow-exporter in the driver; the UDP sockets keep running for "
	  "fragments and other interfaces; if AF_XDP cannot work on IFACE "
	  "the sockets take over (an error with a forced --xdp-mode or "
	  "--xdp-zerocopy on); repeatable" },
	{ "xdp-mode", 0, "MODE", "auto", set_xdp_mode, 0, 0, 0,
	  "XDP attach mode: native, skb (generic) or auto (native, else "
	  "skb)" },
	{ "xdp-zerocopy", 0, "WHEN", "auto", set_xdp_zerocopy, 0, 0, 0,
	  "AF_XDP zero-copy: auto (when the driver offers it), on (or fail) "
	  "or off (copy mode)" },
	{ "xdp-frames", 0, "N", "4096", set_xdp_frames, 0, 64, 1UL << 20,
	  "UMEM frames (2 KiB each) per AF_XDP socket, a power of 2" },
	{ "xdp-obj", 0, "PATH", NULL, set_str, OFF(xdp_obj), 0, 0,
	  "the XDP object (default: bpf/xdpflow.bpf.o beside the binary)" },
	{ "bpffs", 0, "DIR", XDPFLOW_BPFFS_DEFAULT, set_str, OFF(bpffs), 0, 0,
	  "where the XDP maps and programs are pinned (removed at exit)" },
	{ "user", 0, "NAME", NULL, set_str, OFF(user), 0, 0,
	  "after setup, run as this user (and its group); every capability "
	  "is dropped except, with --xdp, those that detaching at exit "
	  "needs, which stay out of the effective set until then" },
	{ "log-level", 0, "LEVEL", "info", set_log_level, 0, 0, 0,
	  "err, warn, info or debug" },
	{ "help", 'h', NULL, NULL, set_help, 0, 0, 0,
	  "print this help and exit" },
	{ "version", 'V', NULL, NULL, set_version, 0, 0, 0,
	  "print the version and exit" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

void options_defaults(struct options *o)
{
	char err[256];

	memset(o, 0, sizeof(*o));
	allow_list_init(&o->allow);
	output_opts_defaults(&o->out);
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].def && opts[i].set(o, &opts[i], opts[i].def, err,
					       sizeof(err)))
			/* A table bug, caught by test_options. */
			fprintf(stderr, "xdpflow: bad default: %s\n", err);
	o->listen_given = false;
}

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen)
{
	struct option longopts[N_OPTS + OUTPUT_OPTS_N + 1];
	char shortopts[2 * N_OPTS + 2 * OUTPUT_OPTS_N + 2];
	size_t ns = 0;
	int c;

	options_defaults(o);
	shortopts[ns++] = ':'; /* report a missing value as ':' */
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
	optind = 0; /* full re-initialisation, so parsing can run again */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct opt_def *d = NULL;
		const char *opt = argv[optind - 1];

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
		if (!d) {
			int rc = output_opts_set(&o->out, c, optarg, err, errlen);

			if (rc <= 0) {
				if (rc)
					return -EINVAL;
				continue;
			}
			snprintf(err, errlen, "unknown option '%s'", opt);
			return -EINVAL;
		}
		if (d->set(o, d, optarg ? optarg : "", err, errlen))
			return -EINVAL;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)",
			 argv[optind]);
		return -EINVAL;
	}
	if (o->help)
		return OPTIONS_HELP;
	if (o->version)
		return OPTIONS_VERSION;
	return OPTIONS_RUN;
}

void options_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Collects NetFlow v5/v9, IPFIX and sFlow v5 and publishes "
		"GoFlow2-compatible\nFlowMessages (JSON or protobuf) to a file "
		"or Kafka.\n\n",
		prog);
	for (size_t i = 0; i < N_OPTS; i++)
		output_opts_usage_row(f, opts[i].short_name, opts[i].name,
				      opts[i].arg, opts[i].def, opts[i].help);
	fprintf(f, "\nOutput (the same for xdpflow-mock):\n");
	output_opts_usage(f);
	fprintf(f,
		"\nSignals: SIGINT/SIGTERM stop (flush output, save templates, "
		"print stats),\nSIGUSR1 prints the stats report, SIGHUP reopens "
		"--file (log rotation).\nExit status: 0 ok, 1 runtime failure, "
		"2 bad command line.\n");
}
