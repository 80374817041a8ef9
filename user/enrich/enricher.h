/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enricher: one configuration file (enrich config, format below and in
 * xdpflow-enrich.conf(5)) turned into a running enrichment context whose
 * sources are loaded, reloaded on SIGHUP or when their file changes, and
 * applied to flows with the AS number precedence the config asks for.
 * xdpflowd --enrich and xdpflow-enrich both sit on this.
 *
 * Config format: one `key = value` per line; blank lines and lines whose
 * first non-blank character is '#' are skipped; spaces around key and value
 * are trimmed. A key given twice, an unknown key, a missing '=' or a bad
 * value is an error "file:line: reason". Relative paths are relative to the
 * config file's folder. Keys:
 *   networks = PATH           networks CSV (networks_file.h)
 *   asn-database = PATH       MMDB giving AS number and name (geo_db.h)
 *   country-database = PATH   MMDB giving the country (geo_db.h)
 *   interfaces = PATH         interface names CSV (iface_file.h)
 *   exporters = PATH          exporter classification rules (exporters.h)
 *   asn-providers = LIST      comma list of flow, geoip, networks, each at
 *                             most once (default flow,geoip,networks)
 *   asn-override = BOOL       false (default): a non-zero AS number the
 *                             exporter sent is never replaced; true: the
 *                             providers' order alone decides (a router's
 *                             value is ignored when flow is not listed)
 *   private-asn-absent = BOOL true: private and reserved AS numbers (0,
 *                             23456, 64496-131071, 4200000000-4294967295;
 *                             RFC 6793, 5398, 6996, 7300) count as absent
 *                             from every provider, the router's included,
 *                             so the next provider may fill them and the
 *                             result is 0 when none does. Default false,
 *                             so that by default nothing the router sent is
 *                             touched and a networks file may tag internal
 *                             networks with private AS numbers.
 *   exporters-max = N         exporters seen in flows that are classified,
 *                             at most (1..65536, default 1024; the others
 *                             are not, and a warning says so once); needs
 *                             networks, exporters or snmp-*
 *   snmp-* = VALUE            the SNMP poller's keys (snmp_opts.h; kept
 *                             with their line, enricher_snmp_settings);
 *                             with snmp-poll = on, the enricher starts the
 *                             poller (snmp_poll.h), notes each flow's
 *                             exporter for it in enricher_apply*, hands it
 *                             the interfaces file to merge and publish,
 *                             and names exporters by their polled sysName
 * BOOL is true/false, yes/no, on/off or 1/0. At least one source (networks,
 * asn-database, country-database, interfaces, exporters) or snmp-* key must
 * be given: a config that would enrich nothing is an error.
 *
 * Exporter classification: the classified exporters are those the
 * interface table names (the interfaces file's, and with SNMP the polled
 * ones) and those seen in flows (enricher_apply* notes each flow's
 * exporter in a lock-free set of at most exporters-max, kept only when a
 * networks file, exporter rules or SNMP can name or classify them); each
 * is named by its polled sysName, else by the networks file's name for its
 * address, then classified by the rules. It is rebuilt whenever the rules,
 * the interfaces (each SNMP poll round publishes new ones; enricher_poll
 * notices), the networks or the exporters seen change: the first flows of
 * a new exporter go unclassified until the next enricher_poll.
 *
 * Threads: enricher_open, _reload, _poll, _reader_add, _context and _close
 * run on one control thread; _begin/_end/_apply on the readers (workers),
 * one slot each; _stats from any thread.
 */
#ifndef XDPFLOW_ENRICH_ENRICHER_H
#define XDPFLOW_ENRICH_ENRICHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "enrich/enrich.h"
#include "enrich/snmp_poll.h"

struct enricher;
struct snmp_poller;

/* Where the AS number of a flow may come from (asn-providers). */
enum enricher_asn_provider {
	ENRICHER_ASN_FLOW = 0,	   /* what the exporter sent */
	ENRICHER_ASN_GEOIP = 1,	   /* asn-database (or country-database) */
	ENRICHER_ASN_NETWORKS = 2, /* networks file's asn column */
};

#define ENRICHER_MAX_PROVIDERS 3

/* The AS number policy of a config (also used on its own by tests). */
struct enricher_asn_policy {
	enum enricher_asn_provider order[ENRICHER_MAX_PROVIDERS];
	unsigned n; /* providers in order[] */
	int override;
	int private_absent;
};

/* One snmp-* line of the config, for the SNMP poller (enrich-snmp). */
struct enricher_setting {
	const char *key;   /* "snmp-community", ... */
	const char *value; /* trimmed */
	const char *file;  /* the config's path */
	unsigned line;
};

/* Counters for stats and metrics (any thread). */
struct enricher_stats {
	uint64_t generation;	  /* current table set (enrich_generation) */
	uint64_t reloads;	  /* sources reloaded successfully */
	uint64_t reload_failures; /* sources that failed to reload */
	uint64_t exporters_seen;  /* distinct exporters seen in flows */
	bool exporters_full;	  /* one was refused: exporters-max */
	bool snmp;		  /* SNMP polling is on: snmp is set */
	struct snmp_poller_stats snmp_st;
};

/* Reads the config at config_path and loads every source it names. Returns
 * a new enricher, or NULL with "file:line: reason" (config errors) or
 * "file: reason" / the source's "file:line: reason" (load errors) in err
 * (errlen bytes, always NUL-terminated). */
struct enricher *enricher_open(const char *config_path, char *err,
			       size_t errlen);

/* SIGHUP: re-reads every source file the config named (the config itself
 * is not re-read), publishes those that loaded and keeps the previous
 * table of any that fails (malformed line, corrupt MMDB, missing file).
 * Returns 0, or -errno of the first failure with the message of every
 * failure ("file:line: reason", joined by "; ") in err; the other sources
 * are reloaded all the same. */
int enricher_reload(struct enricher *x, char *err, size_t errlen);

/* Cheap (one stat per source file); call it from a timer (~1 s). Reloads
 * each source whose file changed (mtime, size or inode) since it was last
 * loaded or last failed, and frees the retired tables no reader can still
 * hold. Returns how many sources were reloaded, or -errno of the first
 * that failed (every failure's message in enricher_last_error); a failed
 * file is retried only once it changes again. */
int enricher_poll(struct enricher *x);

/* The messages of the failed loads of the last enricher_reload or
 * enricher_poll, joined by "; " ("" if none); valid until the next call to
 * either. */
const char *enricher_last_error(const struct enricher *x);

/* Registers a reader (a worker thread), before it starts; returns its
 * slot, or -ENOSPC past ENRICH_MAX_READERS. */
int enricher_reader_add(struct enricher *x);

/* Brackets one batch of a reader (slot from enricher_reader_add): the
 * tables returned, and every string enricher_apply takes from them, stay
 * valid until enricher_end(x, slot). Never blocks. */
const struct enrich_tables *enricher_begin(struct enricher *x, int slot);
void enricher_end(struct enricher *x, int slot);

/* Fills *out (every field) for rec from the tables t (from enricher_begin):
 * per-side network, geo and AS name, interfaces, exporter, and src_as /
 * dst_as by the config's AS precedence (has_*_as set only when the result
 * differs from the record's). No allocation; strings point into t. */
void enricher_apply(const struct enricher *x, const struct enrich_tables *t,
		    const struct flow_rec *rec, struct flow_enriched *out);

/* The same for n records (out[i] for recs[i]); the prefix lookups are
 * batched (enrich_flow_recs) so their cache misses overlap. */
void enricher_apply_batch(const struct enricher *x,
			  const struct enrich_tables *t,
			  const struct flow_rec *recs, size_t n,
			  struct flow_enriched *out);

/* The AS number precedence on its own: the AS number to write for one side
 * given the record's value, the MMDB's and the networks file's (0: none).
 * *has is set when the result replaces the record's. */
uint32_t enricher_asn_pick(const struct enricher_asn_policy *p,
			   uint32_t flow_asn, uint32_t geo_asn,
			   uint32_t net_asn, uint8_t *has);

/* 1 if asn is private or reserved (the ranges above), else 0. */
int enricher_asn_private(uint32_t asn);

/* The config's AS number policy. */
const struct enricher_asn_policy *enricher_policy(const struct enricher *x);

/* The snmp-* settings in config order; *n receives their count. Valid
 * while x lives. */
const struct enricher_setting *enricher_snmp_settings(const struct enricher *x,
						      size_t *n);

/* The context underneath, for other sources (the SNMP poller) to publish
 * tables with enrich_set_ifaces and friends. Control thread. */
struct enrich *enricher_context(struct enricher *x);

/* The SNMP poller (snmp_poll.h: its stats), or NULL when snmp-poll is
 * off. */
struct snmp_poller *enricher_snmp(const struct enricher *x);

/* Copies the counters into *st. Any thread. */
void enricher_stats(const struct enricher *x, struct enricher_stats *st);

/* Frees x and every table. No reader may be inside a batch. NULL is
 * fine. */
void enricher_close(struct enricher *x);

#endif
