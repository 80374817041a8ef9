/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decode stage's public API: one context per receive worker, fed one
 * datagram at a time, emitting struct flow_rec into a struct flow_sink.
 * A context is not thread-safe; give each worker its own.
 */
#ifndef XDPFLOW_DECODE_H
#define XDPFLOW_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/flow.h"
#include "decode/decode_stats.h"

/* What becomes of a NetFlow v9/IPFIX record that counts both directions
 * (ASA's initiator/responder counters, RFC 5103 biflows). */
enum decode_biflow {
	DECODE_BIFLOW_SPLIT = 0,   /* a second flow, dst -> src, for the
				    * reverse counters when not zero */
	DECODE_BIFLOW_FORWARD = 1, /* the forward flow only (GoFlow2) */
};

struct decode_config {
	size_t max_templates;	  /* LRU bound over all exporters */
	size_t max_held_sets;	  /* data sets waiting for their template */
	size_t max_held_bytes;	  /* and the bytes they may hold in all */
	uint64_t held_max_age_ns; /* held sets older than this are dropped */
	size_t max_exporters;	  /* per-exporter statistics entries */
	enum decode_biflow biflow;
};

/* Sensible defaults for an operator's collector. */
void decode_config_defaults(struct decode_config *cfg);

struct decode_ctx;

/* Returns a new context or NULL (out of memory). */
struct decode_ctx *decode_ctx_new(const struct decode_config *cfg);
void decode_ctx_free(struct decode_ctx *ctx);

/*
 * Decodes one datagram, emitting every flow it holds (and any held data sets
 * its templates unlock) into sink. Never reads outside dg->data[0..len).
 * Returns the number of flows emitted, or a negative -errno when the whole
 * datagram was rejected (the reason is counted per exporter).
 */
int decode_datagram(struct decode_ctx *ctx, const struct datagram *dg,
		    struct flow_sink *sink);

/* Drops held data sets older than the configured age (counted). Call it
 * from time to time; decode_datagram also calls it. */
void decode_expire(struct decode_ctx *ctx, uint64_t now_ns);

/* Drops every held data set, each counted as expired
 * (error_held_set_expired): their template never came. Call it when the
 * input ends (the end of a capture, the daemon stopping), so no held set
 * is lost without a counter rising. */
void decode_drop_held(struct decode_ctx *ctx);

/* Saves every NetFlow v9/IPFIX template and options template (and the
 * sampling rates learnt from options data) that the n contexts know, to one
 * file at path, atomically (written beside, then renamed). The caller keeps
 * the contexts from being used meanwhile (workers hold a lock per batch).
 * Returns 0 or -errno. */
int decode_templates_save(struct decode_ctx *const *ctxs, size_t n,
			  const char *path);

/* Loads what decode_templates_save wrote into ctx (call it for each
 * worker's context). A missing file is not an error (returns 0); a corrupt
 * or truncated one returns -EINVAL and loads nothing. */
int decode_templates_load(struct decode_ctx *ctx, const char *path);

/* The same from a file image buf[0..len) (used by the fuzz target):
 * returns 0, or -EINVAL (nothing loaded) or -ENOMEM. */
int decode_templates_load_buf(struct decode_ctx *ctx, const uint8_t *buf,
			      size_t len);

/* True once since the last call if templates changed (learnt, withdrawn),
 * so the daemon saves only when there is something new. */
bool decode_templates_dirty(struct decode_ctx *ctx);

/* One NetFlow v9/IPFIX template as the context knows it, for inspection
 * (the daemon's /templates). Valid only during the callback. */
struct decode_field {
	uint32_t pen; /* enterprise number, 0 if none */
	uint16_t ie;  /* element id, enterprise bit cleared */
	uint16_t len; /* 0xffff: IPFIX variable length */
};

struct decode_template {
	struct flow_addr exporter;
	uint8_t version; /* 9 or 10 (IPFIX) */
	uint32_t domain; /* v9 source id / IPFIX observation domain */
	uint16_t id;	 /* template id */
	bool options;	 /* options template (scope fields first) */
	uint16_t nscope;
	uint16_t nfields;
	const struct decode_field *fields;
	uint64_t seen_ns; /* CLOCK_REALTIME when last announced; 0: loaded
			   * from the templates file and not announced since */
};

/* Calls fn for every template ctx holds, least recently used first,
 * without changing anything (no LRU touch). The caller keeps ctx from being
 * used meanwhile, as for decode_templates_save. */
void decode_templates_foreach(const struct decode_ctx *ctx,
			      void (*fn)(const struct decode_template *t,
					 void *arg),
			      void *arg);

/* The context's per-exporter counters (read-only use). */
const struct dstats_table *decode_stats(const struct decode_ctx *ctx);

#endif
