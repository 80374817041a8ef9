/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflowd's command line: one table of options (name, argument, default,
 * help, setter; common/cli.h rows) from which the defaults, the parser and
 * --help are all derived, next to the output options shared with
 * xdpflow-mock (publish_opts.h). Parsing never exits: it returns what to do,
 * or -EINVAL with a one-line reason, and main turns that into an exit
 * status.
 */
#ifndef XDPFLOW_DAEMON_OPTIONS_H
#define XDPFLOW_DAEMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "common/cli.h"
#include "common/log.h"
#include "daemon/allow_list.h"
#include "daemon/listen_uri.h"
#include "decode/decode.h"
#include "encode/encode.h"
#include "publish/publish.h"
#include "publish/publish_opts.h"
#include "xdp/xdp_load.h"
#include "xdp/xsk_rx.h"

#define OPT_MAX_LISTEN 32
#define OPT_MAX_PROPS 64
#define OPT_MAX_XDP 32 /* --xdp interfaces */

struct options {
	struct listen_uri listen[OPT_MAX_LISTEN];
	size_t n_listen;
	bool listen_given; /* the first -l replaces the default list */
	unsigned workers;
	unsigned long rcvbuf;
	size_t batch;
	struct allow_list allow; /* --allow-exporter */
	const char *allow_file;	 /* --allow-exporter-file, NULL: none */
	const char *pcap;	 /* NULL: live sockets */
	/* tls:// listeners: PEM certificate chain and key, and the CA file
	 * exporters' certificates must chain to (NULL: not verified). */
	const char *tls_cert, *tls_key, *tls_ca;
	struct publish_opts
		out; /* -o, --format, --kafka-*, -X (publish_opts.h) */
	const char *templates_file; /* NULL: templates are not kept */
	const char *enrich;	    /* --enrich config, NULL: no enrichment */
	unsigned long max_templates;
	enum decode_biflow biflow; /* --biflow split|forward */
	unsigned stats_interval;   /* seconds, 0 = off */
	enum log_level log_level;
	enum log_format log_format; /* --log-format */
	bool metrics;		    /* --metrics given */
	struct sockaddr_storage metrics_addr;
	socklen_t metrics_addrlen;
	bool metrics_any; /* empty ADDR: every address, dual-stack */
	unsigned health_kafka_timeout; /* seconds Kafka may be unreachable */
	/* XDP/AF_XDP fast path (daemon/xdp_path.c) */
	const char *xdp_ifaces[OPT_MAX_XDP]; /* --xdp, in order given */
	size_t n_xdp;
	enum xdp_load_mode xdp_mode;
	enum xsk_rx_zerocopy xdp_zerocopy;
	const char *bpffs;   /* pin directory */
	const char *xdp_obj; /* NULL: bpf/xdpflow.bpf.o beside the binary */
	unsigned long xdp_frames; /* UMEM frames per socket, a power of 2 */
	unsigned xdp_busy_poll;	  /* SO_BUSY_POLL microseconds, 0: off */
	unsigned xdp_busy_poll_budget; /* SO_BUSY_POLL_BUDGET, 0: kernel's */
	unsigned xdp_coalesce_us;      /* wakeup coalescing bound, 0: off */
	unsigned coalesce_us;	       /* the same for UDP sockets, 0: off */
	const char *user; /* NULL: stay root (capabilities dropped) */
	uint64_t given;	  /* own rows given on the command line */
};

enum options_action {
	OPTIONS_RUN = CLI_RUN,
	OPTIONS_HELP = CLI_HELP,       /* print options_usage, exit 0 */
	OPTIONS_VERSION = CLI_VERSION, /* print the version, exit 0 */
};

/* Fills o with every option's default (from the table). Returns 0, or
 * -EINVAL when a default does not parse (a table bug). */
int options_defaults(struct options *o);

/*
 * Parses argv into o (defaults first). Strings in o point into argv or at
 * literals. Returns an enum options_action, or -EINVAL with a one-line
 * reason in err (unknown option, missing or malformed value, integer out of
 * range, stray argument, or an option with no effect in the mode chosen:
 * publish_opts_check's, --workers, --rcvbuf, --batch or --xdp with
 * --pcap, --xdp-mode, --xdp-zerocopy, --xdp-frames, --xdp-obj or
 * --xdp-busy-poll without --xdp, --xdp-busy-poll-budget without
 * --xdp-busy-poll, --health-kafka-timeout without --metrics or without
 * -o kafka). Not reentrant (getopt_long).
 */
int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t errlen);

/* Writes --help: usage, every option with its argument, help and default. */
void options_usage(FILE *f, const char *prog);

#endif
