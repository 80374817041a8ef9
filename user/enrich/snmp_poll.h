/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SNMP poller: learns exporters from the flow path, polls each in the
 * background (snmp_client.h: sysName, ifName, ifAlias, ifHighSpeed) every
 * snmp-poll-interval, and after a round in which something changed
 * publishes on the enrichment context a new interface table.
 *
 * Flow path: snmp_poller_note_exporter is lock-free and allocates nothing:
 * it notes the exporter in a seen-set (seen_set.h: a hash, a load and a
 * compare for a known exporter, one compare-and-swap for a new one) and
 * wakes the poller through an eventfd (once per exporter, ever). Past
 * max_exporters, new exporters are not polled (a flag in the stats says
 * so; no shared write per flow).
 *
 * Polling: one agent at a time on the poller's thread, each request
 * bounded by snmp-timeout and snmp-retries. net-snmp's async API would
 * overlap agents, but its multi-session event loop rests on the library's
 * global session list; one synchronous single-session poll at a time keeps
 * the global state in one module and makes the cost of a dead agent plain:
 * it delays the agents after it in that round by timeout * (retries + 1)
 * (its first request fails; nothing more is sent to it that round), and
 * never the flow path, which does not wait for the poller at all.
 *
 * Tables: the poller publishes the interface table (enrich_set_ifaces):
 * the static interfaces file's rows first (its fields win: an operator's
 * override beats what the agent says), then the polled interfaces, which
 * fill the fields the file leaves empty. While it runs it owns that source
 * of the context: whoever loads the static file hands it over
 * (snmp_poller_set_static) rather than publishing it. A failed poll keeps
 * that exporter's previous values. The polled sysName is the exporter's
 * name for classification: the enricher (enricher.c), which owns the
 * exporters table, asks snmp_poller_sysname when it rebuilds that table,
 * which it does whenever the interface table changes.
 */
#ifndef XDPFLOW_ENRICH_SNMP_POLL_H
#define XDPFLOW_ENRICH_SNMP_POLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "enrich/snmp_opts.h"

struct enrich;
struct enrich_ifaces;
struct snmp_poller;

/* Counters (monotonic since start). */
struct snmp_poller_stats {
	uint64_t rounds;       /* poll rounds ended (tables published) */
	uint64_t polls_ok;     /* agent polls that succeeded */
	uint64_t polls_failed; /* ... that failed (the sum of the next) */
	uint64_t timeouts;     /* no answer (or a wrong v2c community) */
	uint64_t auth_errors;  /* v3 authentication/privacy refused */
	uint64_t other_errors; /* bad replies, other failures */
	uint64_t exporters;    /* exporters known */
	bool table_full;       /* a new exporter was refused: max_exporters */
};

/* Starts the poller's thread for ctx with a copy of o (which must have
 * passed snmp_poller_opts_check; o->enabled must be set). The poller
 * publishes with enrich_set_ifaces from its thread; ctx must outlive it. 0 with *out set, -EINVAL, -ENOMEM or the
 * -errno of creating the thread (reason in err). */
int snmp_poller_start(struct enrich *ctx, const struct snmp_poller_opts *o,
		      struct snmp_poller **out, char *err, size_t errlen);

/* Tells the poller a flow came from the exporter at a (len 4 or 16; 0 and
 * other lengths are ignored). Any thread, any time between start and
 * stop; never blocks, never allocates; cheap enough for every flow. p may
 * be NULL (no poller). */
void snmp_poller_note_exporter(struct snmp_poller *p,
			       const struct flow_addr *a);

/* Gives the poller the static interface table (NULL: none), taking
 * ownership and freeing the one it had; the poller republishes the merged
 * table at once, without polling. Control thread (a load or reload). */
void snmp_poller_set_static(struct snmp_poller *p,
			    struct enrich_ifaces *static_ifaces);

/* Copies the last polled sysName of the exporter at a into buf (len
 * bytes, cut if need be); false when there is none (not polled yet, no
 * good poll, or an agent without one). Takes a lock the poller thread
 * holds only to swap a poll's result in: for the control thread, not the
 * flow path. p may be NULL (false). */
bool snmp_poller_sysname(struct snmp_poller *p, const struct flow_addr *a,
			 char *buf, size_t len);

/* How many interface tables the poller has published so far (0 for a
 * NULL p): a consumer that derives something from the published table
 * (the enricher's exporters) compares it with the count it last saw. */
uint64_t snmp_poller_published(struct snmp_poller *p);

/* The counters so far. */
void snmp_poller_stats(struct snmp_poller *p, struct snmp_poller_stats *out);

/* Writes st as the "key=value ..." list of the "stats snmp" log line
 * (rounds=N polls_ok=N polls_failed=N timeouts=N auth_errors=N
 * other_errors=N exporters=N table_full=0|1) into buf (len bytes, cut if
 * need be, always NUL-terminated). */
void snmp_poller_stats_format(const struct snmp_poller_stats *st, char *buf,
			      size_t len);

/* Stops the thread (a poll in progress ends at its next request or
 * timeout) and frees p; the tables it published stay on the context.
 * NULL is fine. */
void snmp_poller_stop(struct snmp_poller *p);

#endif
