// SPDX-License-Identifier: Apache-2.0
/*
 * xdpflowd's option table and its own setters. Everything derived from the
 * table (defaults, each parsed by the option's own setter so the table is
 * the one source of truth; getopt_long's arrays; error messages; --help)
 * comes from common/cli.h, with the output rows of publish_opts.h.
 */
#include "daemon/options.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_batch(void *target, const struct cli_opt *d, const char *arg,
		     char *err, size_t errlen)
{
	uint64_t v;
	int rc = cli_parse_uint(d, arg, &v, err, errlen);

	if (!rc)
		((struct options *)target)->batch = (size_t)v;
	return rc;
}

static int set_listen(void *target, const struct cli_opt *d, const char *arg,
		      char *err, size_t errlen)
{
	struct options *o = target;

	(void)d;
	if (!o->listen_given) {
		o->n_listen = 0;
		o->listen_given = true;
	}
	return listen_uri_parse_list(arg, o->listen, OPT_MAX_LISTEN,
				     &o->n_listen, err, errlen)
		       ? -EINVAL
		       : 0;
}

static int set_allow(void *target, const struct cli_opt *d, const char *arg,
		     char *err, size_t errlen)
{
	struct options *o = target;
	int rc = allow_list_add(&o->allow, arg);

	if (rc == -E2BIG)
		return cli_bad(d, arg, "too many prefixes", err, errlen);
	if (rc)
		return cli_bad(d, arg,
			       "expected ADDR or ADDR/BITS (IPv4 or IPv6)", err,
			       errlen);
	return 0;
}

static int set_metrics(void *target, const struct cli_opt *d, const char *arg,
		       char *err, size_t errlen)
{
	struct options *o = target;
	char uri[300], ignored[256];
	struct listen_uri u;

	if (strlen(arg) > 200 || strchr(arg, '?') || strchr(arg, ','))
		return cli_bad(d, arg, "expected ADDR:PORT", err, errlen);
	/* Same ADDR:PORT grammar as a listen URI. */
	snprintf(uri, sizeof(uri), "flow://%s", arg);
	if (listen_uri_parse(uri, &u, ignored, sizeof(ignored)))
		return cli_bad(d, arg,
			       "expected ADDR:PORT (ADDR empty, IPv4 or [IPv6])",
			       err, errlen);
	o->metrics = true;
	o->metrics_addr = u.addr;
	o->metrics_addrlen = u.addrlen;
	o->metrics_any = u.any;
	return 0;
}

static int set_xdp(void *target, const struct cli_opt *d, const char *arg,
		   char *err, size_t errlen)
{
	struct options *o = target;

	if (!*arg || strlen(arg) >= 16 || strchr(arg, '/'))
		return cli_bad(d, arg, "expected an interface name", err,
			       errlen);
	for (size_t i = 0; i < o->n_xdp; i++)
		if (strcmp(o->xdp_ifaces[i], arg) == 0)
			return cli_bad(d, arg, "interface given twice", err,
				       errlen);
	if (o->n_xdp >= OPT_MAX_XDP)
		return cli_bad(d, arg, "too many interfaces", err, errlen);
	o->xdp_ifaces[o->n_xdp++] = arg;
	return 0;
}

static int set_xdp_mode(void *target, const struct cli_opt *d, const char *arg,
			char *err, size_t errlen)
{
	static const struct cli_choice c[] = { { "auto", XDP_LOAD_AUTO },
					       { "native", XDP_LOAD_NATIVE },
					       { "skb", XDP_LOAD_SKB } };
	int v, rc = cli_pick(d, arg, c, 3, "native, skb or auto", &v, err,
			     errlen);

	if (!rc)
		((struct options *)target)->xdp_mode = (enum xdp_load_mode)v;
	return rc;
}

static int set_log_format(void *target, const struct cli_opt *d,
			  const char *arg, char *err, size_t errlen)
{
	static const struct cli_choice c[] = { { "text", LOG_FMT_TEXT },
					       { "json", LOG_FMT_JSON } };
	int v, rc = cli_pick(d, arg, c, 2, "text or json", &v, err, errlen);

	if (!rc)
		((struct options *)target)->log_format = (enum log_format)v;
	return rc;
}

static int set_xdp_zerocopy(void *target, const struct cli_opt *d,
			    const char *arg, char *err, size_t errlen)
{
	static const struct cli_choice c[] = { { "auto", XSK_RX_ZC_AUTO },
					       { "on", XSK_RX_ZC_ON },
					       { "off", XSK_RX_ZC_OFF } };
	int v, rc = cli_pick(d, arg, c, 3, "auto, on or off", &v, err, errlen);

	if (!rc)
		((struct options *)target)->xdp_zerocopy =
			(enum xsk_rx_zerocopy)v;
	return rc;
}

static int set_xdp_frames(void *target, const struct cli_opt *d,
			  const char *arg, char *err, size_t errlen)
{
	uint64_t v;
	int rc = cli_parse_uint(d, arg, &v, err, errlen);

	if (rc)
		return rc;
	if (v & (v - 1))
		return cli_bad(d, arg, "not a power of 2", err, errlen);
	((struct options *)target)->xdp_frames = (unsigned long)v;
	return 0;
}

static int set_biflow(void *target, const struct cli_opt *d, const char *arg,
		      char *err, size_t errlen)
{
	static const struct cli_choice c[] = {
		{ "split", DECODE_BIFLOW_SPLIT },
		{ "forward", DECODE_BIFLOW_FORWARD },
	};
	int v, rc = cli_pick(d, arg, c, 2, "split or forward", &v, err, errlen);

	if (!rc)
		((struct options *)target)->biflow = (enum decode_biflow)v;
	return rc;
}

#define OFF(f) offsetof(struct options, f)

static const struct cli_opt opts[] = {
	{ "listen", 'l', "URI[,URI]", "netflow://:2055,sflow://:6343",
	  set_listen, 0, 0, 0,
	  "where to receive: netflow://ADDR:PORT (v5, v9, IPFIX), "
	  "sflow://ADDR:PORT, flow://ADDR:PORT (any), tcp://ADDR:PORT (IPFIX "
	  "over TCP), tls://ADDR:PORT (IPFIX over TLS); ADDR empty (all, "
	  "dual-stack), IPv4 or [IPv6]; ?count=N sets the listener's "
	  "sockets/workers; repeatable" },
	{ "workers", 0, "N", "1", cli_set_uint, OFF(workers), 1,
	  LISTEN_MAX_COUNT,
	  "receive threads, each with one SO_REUSEPORT socket per listener" },
	{ "rcvbuf", 0, "BYTES", "32M", cli_set_bytes, OFF(rcvbuf), 0, 1UL << 30,
	  "socket receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF); suffixes "
	  "K, M, G; 0 keeps the system default" },
	{ "batch", 0, "N", "64", set_batch, 0, 1, 1024,
	  "datagrams per recvmmsg call, and per AF_XDP ring read with "
	  "--xdp" },
	{ "coalesce-us", 0, "USECS", "5000", cli_set_uint, OFF(coalesce_us), 0,
	  100000,
	  "after a short batch from a UDP socket, wait up to USECS "
	  "microseconds before polling again, so that one wakeup serves "
	  "several datagrams (adds at most that much latency; shortened to "
	  "what the last batches' rate takes to fill a batch, none after a "
	  "full batch, nor when datagrams come further apart); 0: wake per "
	  "datagram" },
	{ "allow-exporter", 0, "CIDR", NULL, set_allow, 0, 0, 0,
	  "accept datagrams only from this prefix (IPv4 or IPv6, "
	  "repeatable); others are dropped before decode and counted" },
	{ "allow-exporter-file", 0, "PATH", NULL, cli_set_str, OFF(allow_file),
	  0, 0,
	  "more allowed prefixes, one per line ('#' comments), read at start "
	  "and again on SIGHUP (with --xdp, updated in the XDP maps in "
	  "place)" },
	{ "tls-cert", 0, "FILE", NULL, cli_set_str, OFF(tls_cert), 0, 0,
	  "tls:// listeners: the collector's certificate chain (PEM)" },
	{ "tls-key", 0, "FILE", NULL, cli_set_str, OFF(tls_key), 0, 0,
	  "tls:// listeners: the certificate's private key (PEM)" },
	{ "tls-ca", 0, "FILE", NULL, cli_set_str, OFF(tls_ca), 0, 0,
	  "tls:// listeners: CA certificates (PEM) that exporters' "
	  "certificates must chain to; given, exporters must present one "
	  "(mutual authentication, as RFC 7011 asks)" },
	{ "pcap", 0, "FILE", NULL, cli_set_str, OFF(pcap), 0, 0,
	  "decode a capture (pcap/pcapng) instead of listening: UDP to a "
	  "listen URI's port, as fast as possible, then exit" },
	{ "enrich", 0, "CONFIG", NULL, cli_set_str, OFF(enrich), 0, 0,
	  "enrich every flow (networks, MMDB, interface and exporter names, "
	  "AS numbers) as the config file says (xdpflow-enrich.conf(5)); its "
	  "sources reload on SIGHUP and when their file changes" },
	{ "templates-file", 0, "PATH", NULL, cli_set_str, OFF(templates_file),
	  0, 0,
	  "load NetFlow v9/IPFIX templates at start, save them when they "
	  "change (every few seconds) and at exit" },
	{ "max-templates", 0, "N", "65536", cli_set_ulong, OFF(max_templates),
	  1, 1UL << 24, "templates kept per worker (LRU over all exporters)" },
	{ "biflow", 0, "MODE", "split", set_biflow, 0, 0, 0,
	  "NetFlow v9/IPFIX records counting both directions (ASA "
	  "initiator/responder, RFC 5103 reverse elements): split (a second "
	  "flow dst -> src for the reverse counters) or forward (the forward "
	  "flow only, as GoFlow2)" },
	{ "stats-interval", 0, "SECONDS", "0", cli_set_uint,
	  OFF(stats_interval), 0, 86400,
	  "print the stats report this often (0: only on SIGUSR1 "
	  "and at exit)" },
	{ "metrics", 0, "ADDR:PORT", NULL, set_metrics, 0, 0, 0,
	  "serve Prometheus /metrics and /__health over HTTP (off by "
	  "default); /__health is 503 when no worker is receiving or Kafka "
	  "has been unreachable too long" },
	{ "health-kafka-timeout", 0, "SECONDS", "30", cli_set_uint,
	  OFF(health_kafka_timeout), 1, 86400,
	  "how long Kafka may be unreachable before /__health answers 503 "
	  "(needs --metrics and -o kafka)" },
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
	{ "xdp-busy-poll", 0, "USECS", "0", cli_set_uint, OFF(xdp_busy_poll), 0,
	  1000000,
	  "busy-poll the AF_XDP sockets (SO_BUSY_POLL for USECS "
	  "microseconds, with SO_PREFER_BUSY_POLL): the receive loop drives "
	  "the driver's NAPI itself; 0: off; an error if the kernel refuses" },
	{ "xdp-busy-poll-budget", 0, "N", "0", cli_set_uint,
	  OFF(xdp_busy_poll_budget), 0, 65535,
	  "packets per busy-poll round (SO_BUSY_POLL_BUDGET; 0: the "
	  "kernel's, 8); needs --xdp-busy-poll" },
	{ "xdp-coalesce-us", 0, "USECS", "1000", cli_set_uint,
	  OFF(xdp_coalesce_us), 0, 1000,
	  "after a short AF_XDP batch, wait up to USECS microseconds before "
	  "polling again, so that one wakeup serves several packets (adds at "
	  "most that much latency; shortened to what the last batches' rate "
	  "takes to fill a batch, none after a full batch); 0: wake per "
	  "packet" },
	{ "xdp-obj", 0, "PATH", NULL, cli_set_str, OFF(xdp_obj), 0, 0,
	  "the XDP object (default: bpf/xdpflow.bpf.o beside the binary, else ../lib/xdpflow/ from it)" },
	{ "bpffs", 0, "DIR", XDPFLOW_BPFFS_DEFAULT, cli_set_str, OFF(bpffs), 0,
	  0, "where the XDP maps and programs are pinned (removed at exit)" },
	{ "log-format", 0, "FORMAT", "text", set_log_format, 0, 0, 0,
	  "log lines as text (xdpflow: LEVEL: [exporter ADDR: ]MSG) or json "
	  "(one object per line: ts, level, msg, exporter)" },
	{ "user", 0, "NAME", NULL, cli_set_str, OFF(user), 0, 0,
	  "after setup, run as this user (and its group); every capability "
	  "is dropped except, with --xdp, those that detaching at exit "
	  "needs, which stay out of the effective set until then" },
	/* then cli_std_table: --log-level, --help, --version */
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* Zeroes o, binds its tables into t and applies every default. Returns 0,
 * or -EINVAL with the default that did not parse in err (a table bug). */
static int init(struct options *o, struct cli_table t[3], char *err,
		size_t errlen)
{
	int rc;

	memset(o, 0, sizeof(*o));
	allow_list_init(&o->allow);
	rc = publish_opts_bind(t, opts, N_OPTS, o, &o->log_level, &o->out, err,
			       errlen);
	t[0].given = &o->given;
	o->listen_given = false; /* the default list is not a given -l */
	return rc;
}

/* A tls:// listener needs a certificate and its key; the TLS options do
 * nothing without one. */
static int check_tls(const struct options *o, const struct cli_table *own,
		     char *err, size_t errlen)
{
	static const char *const tls_opts[] = { "tls-cert", "tls-key",
						"tls-ca" };
	bool tls = false;

	for (size_t i = 0; i < o->n_listen; i++)
		tls = tls || o->listen[i].tls;
	for (size_t i = 0; !tls && i < 3; i++) {
		if (cli_given(own, tls_opts[i])) {
			snprintf(err, errlen,
				 "--%s has no effect without a tls:// listener (add -l tls://ADDR:PORT)",
				 tls_opts[i]);
			return -EINVAL;
		}
	}
	if (tls && (!o->tls_cert || !o->tls_key)) {
		snprintf(err, errlen,
			 "a tls:// listener needs --tls-cert and --tls-key");
		return -EINVAL;
	}
	return 0;
}

/* Refuses what the mode chosen would silently ignore. (--bpffs is let
 * alone: wrappers pass it whatever the mode, as where XDP pins when used.) */
static int check_modes(const struct options *o, const struct cli_table *own,
		       char *err, size_t errlen)
{
	static const char *const live_only[] = { "workers", "rcvbuf", "batch",
						 "coalesce-us", "xdp" };
	const size_t n_live_only = sizeof(live_only) / sizeof(live_only[0]);
	static const char *const xdp_only[] = {
		"xdp-mode",	  "xdp-zerocopy",  "xdp-frames",
		"xdp-obj",	  "xdp-busy-poll", "xdp-busy-poll-budget",
		"xdp-coalesce-us"
	};
	const size_t n_xdp_only = sizeof(xdp_only) / sizeof(xdp_only[0]);
	int rc;

	for (size_t i = 0; o->pcap && i < n_live_only; i++) {
		if (cli_given(own, live_only[i])) {
			snprintf(err, errlen,
				 "--%s has no effect with --pcap (a capture is read, nothing is received)",
				 live_only[i]);
			return -EINVAL;
		}
	}
	for (size_t i = 0; o->pcap && i < o->n_listen; i++) {
		if (o->listen[i].tcp) {
			snprintf(err, errlen,
				 "a %s:// listener has no effect with --pcap (a capture is read for UDP only)",
				 o->listen[i].tls ? "tls" : "tcp");
			return -EINVAL;
		}
	}
	rc = check_tls(o, own, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; !o->n_xdp && i < n_xdp_only; i++) {
		if (cli_given(own, xdp_only[i])) {
			snprintf(err, errlen,
				 "--%s has no effect without --xdp (add --xdp IFACE)",
				 xdp_only[i]);
			return -EINVAL;
		}
	}
	if (cli_given(own, "health-kafka-timeout") &&
	    (!o->metrics || o->out.output != OUT_KIND_KAFKA)) {
		snprintf(err, errlen,
			 "--health-kafka-timeout has no effect without %s",
			 !o->metrics ? "--metrics (add --metrics ADDR:PORT)"
				     : "-o kafka (health only watches Kafka)");
		return -EINVAL;
	}
	if (cli_given(own, "xdp-busy-poll-budget") && !o->xdp_busy_poll) {
		snprintf(err, errlen,
			 "--xdp-busy-poll-budget has no effect without busy polling (add --xdp-busy-poll USECS)");
		return -EINVAL;
	}
	return publish_opts_check(&o->out, err, errlen);
}

int options_defaults(struct options *o)
{
	struct cli_table t[3];
	char err[256];

	return init(o, t, err, sizeof(err));
}

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen)
{
	struct cli_table t[3];

	int rc;

	if (init(o, t, err, errlen))
		return -EINVAL;
	rc = cli_parse(t, 3, argc, argv, err, errlen);
	if (rc == OPTIONS_RUN && check_modes(o, &t[0], err, errlen))
		return -EINVAL;
	return rc;
}

void options_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Collects NetFlow v5/v9, IPFIX and sFlow v5 and publishes "
		"GoFlow2-compatible\nFlowMessages (JSON or protobuf) to a file "
		"or Kafka.\n\n",
		prog);
	publish_opts_usage(f, opts, N_OPTS,
			   "Output (the same for xdpflow-mock):");
	fprintf(f,
		"\nSignals: SIGINT/SIGTERM stop (flush output, save templates, "
		"print stats),\nSIGUSR1 prints the stats report, SIGHUP reopens "
		"--file (log rotation) and\nreloads --allow-exporter-file and the --enrich sources.\nExit status: 0 ok, 1 runtime failure, "
		"2 bad command line.\n");
}
