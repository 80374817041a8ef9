/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xdpflowd's runtime: struct daemon is the top-level context, the one
 * owner of everything a run needs (the options it runs with, the signals,
 * the publisher, the workers and what they share, the XDP fast path, the
 * metrics server, the stats source), and the three steps of a run:
 * daemon_start sets everything up and starts the worker threads,
 * daemon_run is the event loop (signals, the workers' end, the named
 * timers: live flush, template save, stats report) until a stop signal or
 * the end of a capture, and daemon_stop stops the workers, flushes the
 * output, saves the templates, prints the final report and frees it all.
 * Signals: SIGINT/SIGTERM stop, SIGUSR1 prints the report, SIGHUP reopens
 * the output file, reloads the allow-list file (workers and XDP maps,
 * in place) and the enrichment sources (--enrich; a named timer also
 * reloads a source whose file changed).
 */
#ifndef XDPFLOW_DAEMON_DAEMON_H
#define XDPFLOW_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/signals.h"
#include "daemon/metrics_http.h"
#include "daemon/options.h"
#include "daemon/stats_report.h"
#include "daemon/worker.h"
#include "daemon/xdp_path.h"
#include "enrich/enricher.h"
#include "publish/publish.h"

struct daemon {
	const struct options *o; /* borrowed; outlives the daemon */
	struct signals sig;
	struct publisher *pub;
	struct worker_shared sh;
	struct allow_list *allow; /* the list in use: options + file */
	struct enricher *enr;	  /* --enrich, NULL: none */
	struct worker *ws;
	unsigned nw;	      /* workers set up (worker_init) */
	unsigned started;     /* worker threads started */
	struct xdp_path *xdp; /* NULL: no XDP fast path */
	struct metrics_http *metrics;
	struct stats_source src;
	uint64_t flushed_flows; /* publisher flows at the last live flush */
	bool save_pending;	/* a failed template save still due */
	bool running;		/* start got as far as the worker threads */
	bool failed;		/* a runtime failure: the run did not go well */
};

/*
 * Sets d up for the options o (parsed; borrowed until daemon_stop): the
 * signals, the publisher, the workers with their sockets (or the capture)
 * and the AF_XDP sockets, the templates, dropped privileges, the metrics
 * server, then starts the worker threads and logs the "running" line with
 * version (the program's, so that the library does not depend on the
 * generated version header). Returns 0, or -errno after one error line.
 * Call daemon_stop afterwards in either case.
 */
int daemon_start(struct daemon *d, const struct options *o,
		 const char *version);

/*
 * The event loop: SIGUSR1 reports, SIGHUP reloads (daemon_reload), the timers
 * flush live output, save templates and report stats as configured; ends
 * on SIGINT/SIGTERM, when a worker ends (the capture is read, or a fatal
 * error), or at once when start did not get the workers running. Returns
 * 0, or -errno when it could not wait (logged).
 */
int daemon_run(struct daemon *d);

/*
 * What SIGHUP does: reopens the output file (log rotation) and, with
 * --allow-exporter-file, reads the allow-list again (the options' prefixes
 * plus the file's) and swaps it in for the workers and the XDP program,
 * with no detach; a list that does not load is logged and the current one
 * kept. With --enrich, re-reads every enrichment source; one that does not
 * load is logged (file:line) and its previous table kept. Main thread,
 * while the workers run.
 */
void daemon_reload(struct daemon *d);

/*
 * Ends the run: stops and joins the workers, flushes the output (bounded),
 * saves the templates and prints the final report when the workers ran;
 * then frees everything and detaches XDP. Returns 0 when the run went
 * well, -EIO when it did not (a worker stopped on an error, a thread did
 * not start, start failed). d is then empty.
 */
int daemon_stop(struct daemon *d);

#endif
