/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SNMP poller: learns exporters from the flow path, polls each in the
 * background (snmp_client.h: sysName, ifName, ifAlias, ifHighSpeed) every
 * snmp-poll-interval, and after each round publishes on the enrichment
 * context a new interface table and a new exporters table.
 *
 * Flow path: snmp_poller_note_exporter is lock-free and allocates nothing:
 * a fixed open-addressing table of 2 * max_exporters slots, a hash, a load
 * and a compare for a known exporter; a new one is claimed with one
 * compare-and-swap and the poller is woken through an eventfd (once per
 * exporter, ever). Past max_exporters, new exporters are not polled (a
 * flag in the stats says so; no shared write per flow).
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
 * Tables: the interface table holds the static file's interfaces first
 * (its fields win: an operator's override beats what the agent says) and
 * then the polled ones, which fill the fields the file leaves empty. The
 * exporters table holds every exporter seen (and every exporter of the
 * static file), classified by the rules with the polled sysName as the
 * exporter's name (none before the first good poll: the rules may still
 * name it by prefix). A failed poll keeps that exporter's previous values.
 * The poller owns both sources of the context while it runs: the caller
 * gives it the static file and the rules (snmp_poller_set_sources) rather
 * than publishing them itself.
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
struct enrich_exporter_rules;
struct snmp_poller;

/* Counters (monotonic since start). */
struct snmp_poller_stats {
	uint64_t rounds;	 /* poll rounds ended (tables published) */
	uint64_t polls_ok;	 /* agent polls that succeeded */
	uint64_t polls_failed;	 /* ... that failed (the sum of the next) */
	uint64_t timeouts;	 /* no answer (or a wrong v2c community) */
	uint64_t auth_errors;	 /* v3 authentication/privacy refused */
	uint64_t other_errors;	 /* bad replies, other failures */
	uint64_t exporters;	 /* exporters known */
	bool table_full; /* a new exporter was refused: max_exporters */
};

/* Starts the poller's thread for ctx with a copy of o (which must have
 * passed snmp_poller_opts_check; o->enabled must be set). The poller
 * publishes with enrich_set_ifaces and enrich_set_exporters from its
 * thread; ctx must outlive it. 0 with *out set, -EINVAL, -ENOMEM or the
 * -errno of creating the thread (reason in err). */
int snmp_poller_start(struct enrich *ctx, const struct snmp_poller_opts *o,
		      struct snmp_poller **out, char *err, size_t errlen);

/* Tells the poller a flow came from the exporter at a (len 4 or 16; 0 and
 * other lengths are ignored). Any thread, any time between start and
 * stop; never blocks, never allocates; cheap enough for every flow. p may
 * be NULL (no poller). */
void snmp_poller_note_exporter(struct snmp_poller *p, const struct flow_addr *a);

/* Gives the poller the static interface table and the exporter rules
 * (either NULL: none), taking ownership of both (also on error) and
 * freeing the ones it had; the poller republishes both tables at once,
 * without polling. Control thread (a reload). */
void snmp_poller_set_sources(struct snmp_poller *p,
			    struct enrich_ifaces *static_ifaces,
			    struct enrich_exporter_rules *rules);

/* The counters so far. */
void snmp_poller_stats(struct snmp_poller *p, struct snmp_poller_stats *out);

/* Stops the thread (a poll in progress ends at its next request or
 * timeout) and frees p; the tables it published stay on the context.
 * NULL is fine. */
void snmp_poller_stop(struct snmp_poller *p);

#endif
