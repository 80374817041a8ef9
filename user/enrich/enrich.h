/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enrichment context: the current set of immutable tables behind one
 * atomic pointer, replaced whole on reload (RCU-style), and the lookups a
 * flow needs.
 *
 * Threads: one control thread loads sources and calls enrich_set_*,
 * enrich_reclaim and enrich_free; enrich_set_* and enrich_reclaim may also
 * be called from other threads (the SNMP poller publishes interface names
 * and exporters from its own thread): they serialize on a lock inside,
 * which readers never take. Each worker registers once
 * (enrich_reader_add) and brackets each batch with enrich_read_begin /
 * enrich_read_end; between them the tables and every string they point to
 * stay valid, and the worker sees one consistent set (never a half-loaded
 * one). A set replaced by a reload is freed by the control thread once
 * every worker has ended the batch that might use it (per-worker epochs:
 * a worker publishes the epoch it started in; a retired set is freed when
 * no worker is still in an older epoch). A worker must not block inside a
 * batch, or reclamation waits for it.
 *
 * Sources are reference-counted inside the context: replacing one source
 * (say the networks file) shares the others with the previous set.
 */
#ifndef XDPFLOW_ENRICH_ENRICH_H
#define XDPFLOW_ENRICH_ENRICH_H

#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "enrich/enrich_types.h"

struct enrich;
struct enrich_networks;
struct enrich_geo_db;
struct enrich_ifaces;
struct enrich_exporters;

/* Most worker threads one context serves. */
#define ENRICH_MAX_READERS 64

/* One immutable set of tables; any may be NULL (source not configured). */
struct enrich_tables {
	const struct enrich_networks *networks;
	const struct enrich_geo_db *asn_db;	/* AS number and name first */
	const struct enrich_geo_db *country_db; /* country first */
	const struct enrich_ifaces *ifaces;
	const struct enrich_exporters *exporters;
	uint64_t generation; /* 1 for the first set, +1 per reload */
};

/* A new context with an empty set of tables, or NULL (out of memory). */
struct enrich *enrich_new(void);

/* Frees e and every set of tables. No reader may be inside a batch, and
 * none may use e afterwards. NULL is fine. */
void enrich_free(struct enrich *e);

/* Registers a reader; returns its slot (>= 0) for enrich_read_begin/end,
 * or -ENOSPC past ENRICH_MAX_READERS. Control thread, before the reader
 * starts. */
int enrich_reader_add(struct enrich *e);

/* Starts a batch on reader slot: returns the current tables, valid until
 * enrich_read_end(e, slot). Never blocks; not reentrant per slot. */
const struct enrich_tables *enrich_read_begin(struct enrich *e, int slot);

/* Ends the batch started on slot. */
void enrich_read_end(struct enrich *e, int slot);

/* Publishes a new set in which the networks table is n (NULL: none); the
 * other sources are kept. Takes ownership of n on success (0); on -ENOMEM
 * the caller still owns n and the current set stays. Then reclaims what it
 * can, as enrich_reclaim. Any thread (writers serialize). */
int enrich_set_networks(struct enrich *e, struct enrich_networks *n);

/* The same for the ASN database (its AS number and name win) and the
 * country database (its country wins); each fills what the other lacks. */
int enrich_set_asn_db(struct enrich *e, struct enrich_geo_db *g);
int enrich_set_country_db(struct enrich *e, struct enrich_geo_db *g);

/* The same for the interface names and the classified exporters. */
int enrich_set_ifaces(struct enrich *e, struct enrich_ifaces *t);
int enrich_set_exporters(struct enrich *e, struct enrich_exporters *x);

/* Frees the retired sets no reader can still be using; returns how many
 * remain retired (0: all freed). Any thread; call it now and then (a
 * timer) so a reload's old tables go even without a further reload. */
size_t enrich_reclaim(struct enrich *e);

/* The current set's generation (for tests and metrics). */
uint64_t enrich_generation(struct enrich *e);

/* Fills *out with what t knows about a flow: src and dst addresses, the
 * exporter's address, input and output ifIndex. Absent addresses (len 0)
 * and absent sources leave the fields NULL/0. No allocation; pointers are
 * into t. */
void enrich_flow(const struct enrich_tables *t, const struct flow_addr *src,
		 const struct flow_addr *dst, const struct flow_addr *exporter,
		 uint32_t in_if, uint32_t out_if, struct enrich_result *out);

/* enrich_flow for n flow records at once (out[i] for recs[i]): the
 * exporter is recs[i].sampler_address, the interfaces recs[i].in_if and
 * out_if. The same answers as enrich_flow, with the prefix lookups
 * batched so their cache misses overlap. */
void enrich_flow_recs(const struct enrich_tables *t,
		      const struct flow_rec *recs, size_t n,
		      struct enrich_result *out);

#endif
