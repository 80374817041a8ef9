/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's statistics: a snapshot taken by locking each worker in turn
 * (per-exporter decode counters merged over workers, receive counters,
 * allow-list refusals) plus the publisher's counters, written either as the
 * log report or as Prometheus text.
 *
 * The log report is parsed by tests and scripts; its lines are, at info
 * level on stderr:
 *   xdpflow: info: stats exporter=ADDR NAME=N ...   (one per exporter, by
 *       address, nonzero counters only, names from dstat_name, in enum
 *       order; the shared overflow entry is exporter=other-exporters)
 *   xdpflow: info: stats rx packets=N not_allowed=N ignored=N bytes=N
 *       drops=N truncated=N fragments=N reassembled=N errors=N
 *   xdpflow: info: stats socket listener=URI worker=N drops=N   (one per
 *       listener socket: the kernel's drop count for it, receive queue full)
 *   xdpflow: info: stats publish flows=N messages=N delivery_errors=N
 *       delivered=N encode_errors=N write_errors=N
 *   xdpflow: info: stats xdp iface=IF[,IF...] packets=N redirected=N
 *       passed_no_socket=N dropped_not_allowed=N passed_fragment=N ...
 *       (with --xdp only: the XDP program's per-CPU counters summed over
 *       CPUs; one line for all the interfaces, which share the map)
 *   xdpflow: info: stats enrich generation=N reloads=N reload_failures=N
 *       exporters_seen=N exporters_full=0|1
 *       (with --enrich only: the current table set, 1 at start and +1 per
 *       table published; sources reloaded and sources that failed to;
 *       exporters seen in flows for classification, and 1 once one was
 *       refused past exporters-max)
 *   xdpflow: info: stats snmp rounds=N polls_ok=N polls_failed=N
 *       timeouts=N auth_errors=N other_errors=N exporters=N table_full=0|1
 *       (with snmp-poll = on in the enrichment config only: poll rounds
 *       ended, agent polls that succeeded and failed, the failures by
 *       cause, exporters known to the poller, and 1 once one was refused)
 */
#ifndef XDPFLOW_DAEMON_STATS_REPORT_H
#define XDPFLOW_DAEMON_STATS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "daemon/worker.h"
#include "daemon/xdp_path.h"
#include "decode/decode_stats.h"
#include "enrich/enricher.h"
#include "publish/publish.h"
#include "rx/rx.h"

/* Where a snapshot is taken from (all borrowed). */
struct stats_source {
	struct worker *workers;
	size_t n_workers;
	struct publisher *pub;	    /* may be NULL */
	const struct xdp_path *xdp; /* NULL: no XDP fast path */
	const struct enricher *enr; /* NULL: no enrichment */
};

struct stats_exporter {
	struct flow_addr addr; /* len 0: the overflow entry */
	uint64_t c[DSTAT__COUNT];
};

/* One listener socket's kernel drop count. */
struct stats_socket {
	const char *listener; /* borrowed from its worker (rx_name) */
	unsigned worker;
	uint64_t drops;
};

struct stats_snapshot {
	struct stats_exporter *exp; /* sorted by address, overflow last */
	size_t n_exp;
	struct rx_stats rx;
	uint64_t not_allowed;
	struct stats_socket *sock; /* named sources (listener sockets) */
	size_t n_sock;
	struct publish_stats pub;
	uint64_t encode_errors, write_errors;
	size_t n_workers;
	const char *xdp_ifaces; /* NULL: no XDP fast path (xdp unset) */
	struct xdpflow_stats xdp;
	int enrich; /* enr was set: the enr counters are meaningful */
	struct enricher_stats enr;
};

/* Takes a snapshot (locks each worker briefly). Returns 0 or -ENOMEM. */
int stats_snapshot_take(const struct stats_source *src,
			struct stats_snapshot *s);
void stats_snapshot_free(struct stats_snapshot *s);

/* Writes the report lines above through pr_info. */
void stats_report_log(const struct stats_snapshot *s);

/* Takes a snapshot of src and writes it as the report lines (a warning
 * instead when there is no memory for it). */
void stats_report_now(const struct stats_source *src);

/* Writes the snapshot as Prometheus text exposition (xdpflow_* metrics). */
void stats_report_prometheus(const struct stats_snapshot *s, FILE *f);

#endif
